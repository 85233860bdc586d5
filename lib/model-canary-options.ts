import type { Duration } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Guard } from './guards/guard';
import type { RolloutSchedule } from './rollout-schedule';

/** What to do when a step's bake ends before the canary served `minRequestsPerStep` requests. */
export enum InsufficientTrafficAction {
  /** Keep the canary at its share, alert once, keep waiting for traffic (up to `maxHold`). */
  HOLD = 'HOLD',
  /** Set the canary weight to 0 and alert. */
  ROLL_BACK = 'ROLL_BACK',
}

/** What an approval gate does when nobody ran `approve` within `approvalTimeout`. */
export enum ApprovalTimeoutAction {
  /** Set the canary weight to 0 and alert. */
  ROLL_BACK = 'ROLL_BACK',
  /** Keep the canary at its share (the guards keep watching) until someone approves or aborts. */
  HOLD = 'HOLD',
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

  /**
   * How many failed requests of this check are sent again (after 1 s, 2 s, 4 s...), in all. A
   * healthy model with a 2 % transient error rate fails a check of 3 requests in about 6 releases
   * of 100 without retries, and practically never with 2; a model that keeps failing still fails.
   * A response without `expectResponseContains` fails at once (it is not transient).
   * @default 2
   */
  readonly retries?: number;
}

/**
 * Everything about a rollout that does not depend on the target: the schedule, the guards, the
 * pre-traffic checks and the alerts. Shared by every canary construct of this library.
 */
export interface ModelCanaryOptions {
  /**
   * A name people recognise in alert subjects and alarm names.
   * @default - the construct's path inside its stack, joined with '-' (the construct id for a canary placed directly in its stack)
   */
  readonly canaryName?: string;

  /**
   * Take over a routing of this name that exists already but was not created by this library
   * (Lambda: an alias from an `AWS::Lambda::Alias`, a CodeDeploy deployment group or made by hand;
   * SageMaker: an endpoint of this name). Its traffic stays as it is; the canary manages it from
   * then on. Without this, such a routing fails the deploy. If a CloudFormation resource declares
   * it, give that resource `RemovalPolicy.RETAIN` and deploy once, then remove it from the app and
   * add the canary with `adoptExisting: true`.
   * @default false
   */
  readonly adoptExisting?: boolean;

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
   * What rolls the canary back. Alarm guards (`Guard.errorRate()`, `Guard.latencyP95()`,
   * `Guard.fromAlarm(alarm)`...) are CloudWatch alarms; judged guards (`Guard.errorRateVsStable()`,
   * `Guard.latencyVsStable()`, `Guard.predictionShift()`...) compare the canary with stable in the
   * check step. More can be added with `addGuard()`.
   * @default Guard.defaults(): [Guard.errorRate(), Guard.latencyP95(), Guard.errorRateVsStable(), Guard.latencyVsStable()]
   */
  readonly guards?: Guard[];

  /**
   * The rollout's false-rollback budget: the chance that the judged guards roll back a canary
   * that is as good as stable (within each guard's margin), however often the check step looks.
   * Shared equally by the judged guards. Alarm guards are not counted in it.
   * @default 0.01
   */
  readonly falseRollbackRate?: number;

  /**
   * Promote on evidence: before the canary gets all traffic, every judged guard's anytime-valid
   * interval must rule out that the canary's odds of an event (an error, a guardrail block, a
   * request slower than `maxRatio` × stable's percentile, a predicted class) are this many times
   * stable's or more. A step waits at its share until they do (alerting once), for at most
   * `maxHold`; a rollout that cannot gather that evidence ends as `insufficient_evidence` (canary
   * at 0 %, not a regression). 5: the canary's data must have been able to catch a 5 × regression;
   * at 2 requests a second a 1 % error rate is ruled out at 5 × within the default schedule, a
   * 0.2 % rate needs about an hour more (BENCHMARKS.md). A guard without data blocks the step too.
   * @default 5
   */
  readonly promotionMargin?: number;

  /**
   * CloudWatch namespace the runtime helper writes the model signals to (the guards on tokens,
   * guardrail blocks, schema failures, response length, cost and predicted class read it).
   * @default 'ModelCanary'
   */
  readonly signalsNamespace?: string;

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
   * Canary shares that start only after a person approves (`cdk-model-canary approve`), each one of
   * the schedule's step percents other than the first, e.g. `[100]` for "ask before going to all
   * traffic". The step before the gate bakes as usual, then holds at its share and alerts with the
   * command to run.
   * @default - no gate: the rollout is unattended
   */
  readonly approvalGates?: number[];

  /**
   * How long a gate waits for its approval.
   * @default Duration.hours(24)
   */
  readonly approvalTimeout?: Duration;

  /**
   * What a gate does when nobody approved within `approvalTimeout`.
   * @default ApprovalTimeoutAction.ROLL_BACK
   */
  readonly onApprovalTimeout?: ApprovalTimeoutAction;

  /**
   * After the promotion the guard alarms keep watching the canary, now serving all traffic, for
   * this long, while the previous version stays routable (Lambda: its version; SageMaker: its
   * variant), at `controlPercent` of the traffic. A guard firing, the judge finding the canary worse
   * than that control, or `cdk-model-canary abort`, in that window sends all traffic back to the
   * previous version and alerts; the rollout then ends as rolled back.
   * `Duration.seconds(0)` ends the rollout at the promotion.
   * @default Duration.minutes(10); with `waitForVerdict`, at most what the deploy's 50 minutes leave
   * after the schedule (8 minutes with the default schedule)
   */
  readonly postPromotionWatch?: Duration;

  /**
   * The share of traffic (percent) the previous version keeps while the canary is at 100 %: its
   * 100 % step and the post-promotion watch. The judged guards compare the canary with it minute
   * by minute, so a regression that starts late is caught by the judge after the promotion too,
   * not only by the alarms. At the watch's end the canary takes it. 0: the canary serves
   * everything from its 100 % step on, and only the alarms watch it then. Used only with judged
   * guards. 5 % costs the canary's full rollout a twentieth of the traffic for the 100 % step and
   * the watch, and gives the judge about as many control requests a minute as the 5 % step gives
   * the canary.
   * @default 5
   */
  readonly controlPercent?: number;

  /**
   * `cdk deploy` waits for the rollout it starts: promoted, the deploy succeeds; rolled back or
   * failed, the deploy fails and CloudFormation rolls the stack back (the canary is at 0 % by then).
   * CloudFormation waits for a custom resource at most 1 hour, so the schedule's healthy run
   * (bakes, checks, gates, the post-promotion watch) must fit in 50 minutes.
   * @default false - the deploy returns as soon as the rollout has started
   */
  readonly waitForVerdict?: boolean;

  /**
   * A CloudWatch dashboard for the canary (traffic share, guards against their thresholds, the
   * judge's evidence, alarm states), its URL a stack output.
   * @default true
   */
  readonly dashboard?: boolean;

  /**
   * Topic for alerts, if you have one (for chat or paging integrations).
   * @default - a new topic encrypted with the AWS managed SNS key
   */
  readonly alertTopic?: sns.ITopic;
}
