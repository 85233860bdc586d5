import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { RolloutSchedule } from './rollout-schedule';

/** What to do when a step's bake ends before the canary served `minRequestsPerStep` requests. */
export enum InsufficientTrafficAction {
  /** Keep the canary at its share, alert once, keep waiting for traffic (up to `maxHold`). */
  HOLD = 'HOLD',
  /** Set the canary weight to 0 and alert. */
  ROLL_BACK = 'ROLL_BACK',
}

/** A request sent to the canary alone before it gets any traffic: warm-up and smoke test. */
export interface PreTrafficCheck {
  /** The request body, as the model expects it (usually JSON). */
  readonly payload: string;

  /**
   * How many times to send it. More than one warms up a cold canary (caches, JIT, model load).
   * @default 1
   */
  readonly repeat?: number;

  /**
   * The response must contain this text. Every response must also be free of errors.
   * @default - any response without an error passes
   */
  readonly expectResponseContains?: string;
}

/**
 * Everything about a rollout that does not depend on the target: the schedule, the guards, the
 * pre-traffic checks and the alerts. Shared by every canary construct of this library.
 */
export interface ModelCanaryOptions {
  /**
   * A name people recognise in alert subjects and alarm names.
   * @default - the construct id
   */
  readonly canaryName?: string;

  /**
   * How traffic moves to the canary.
   * @default RolloutSchedule.GRADUAL_5_25_50_100
   */
  readonly schedule?: RolloutSchedule;

  /**
   * Requests the canary must serve within a step before the step can pass. No traffic is never
   * taken as health.
   * @default 100
   */
  readonly minRequestsPerStep?: number;

  /**
   * What happens when a step's bake ends with fewer than `minRequestsPerStep` canary requests.
   * @default InsufficientTrafficAction.HOLD
   */
  readonly onInsufficientTraffic?: InsufficientTrafficAction;

  /**
   * How long a held step waits for traffic before the canary is rolled back.
   * @default Duration.hours(6)
   */
  readonly maxHold?: Duration;

  /**
   * How often the workflow checks a baking step (alarm states, request count). Alarms also roll
   * back at once through EventBridge, whatever this is.
   * @default Duration.seconds(30)
   */
  readonly checkInterval?: Duration;

  /**
   * Roll back when the canary's error rate (errors / requests) is above this, in percent, for
   * `guardWindow`.
   * @default 5
   */
  readonly maxErrorRatePercent?: number;

  /**
   * Roll back when the canary's p95 latency is above this for `guardWindow`.
   * @default Duration.seconds(10)
   */
  readonly maxLatencyP95?: Duration;

  /**
   * Roll back when the canary's error rate is more than this many percentage points above the
   * stable version's, for `guardWindow` (the seed controller's check).
   * @default 2
   */
  readonly maxErrorRateIncrease?: number;

  /**
   * Roll back when the canary's p95 latency is more than this above the stable version's, for
   * `guardWindow` (the seed controller's check).
   * @default Duration.millis(50)
   */
  readonly maxLatencyP95Increase?: Duration;

  /**
   * How long a guard's condition must hold before it fires: every 1-minute datapoint in this
   * window must breach.
   * @default Duration.minutes(5)
   */
  readonly guardWindow?: Duration;

  /**
   * More alarms that roll the canary back when they enter ALARM (for example a business metric).
   * An alarm already in ALARM when a rollout starts is ignored until it changes state: it cannot
   * be about a canary that had no traffic yet.
   * @default - only the library's own guards
   */
  readonly additionalAlarms?: cloudwatch.IAlarm[];

  /**
   * Requests sent to the canary alone before it gets traffic. The first failure ends the rollout
   * before any user request reaches the canary.
   * @default - no pre-traffic check
   */
  readonly preTrafficChecks?: PreTrafficCheck[];

  /**
   * Email addresses that receive every alert (each must confirm the SNS subscription once).
   * @default - no email subscription
   */
  readonly alertEmails?: string[];

  /**
   * Topic for alerts, if you have one (for chat or paging integrations).
   * @default - a new topic encrypted with the AWS managed SNS key
   */
  readonly alertTopic?: sns.ITopic;
}
