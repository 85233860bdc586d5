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
   * Guard the AI-model signals that `cdk-model-canary/runtime` emits from the model's own code
   * (tokens, guardrail interventions, schema validity, response length, predicted class), per
   * version. Turn on once the model code records them: without data these guards stay quiet.
   * @default false
   */
  readonly modelSignals?: boolean;

  /**
   * CloudWatch namespace the runtime helper writes to.
   * @default 'ModelCanary'
   */
  readonly signalsNamespace?: string;

  /**
   * Roll back when the canary's tokens per request exceed this multiple of the stable version's
   * for `tokensWindow` (the seed guidance: 150 %). Needs `modelSignals`.
   * @default 1.5
   */
  readonly maxTokensPerRequestRatio?: number;

  /**
   * How long the token guard's condition must hold.
   * @default Duration.minutes(10)
   */
  readonly tokensWindow?: Duration;

  /**
   * Roll back when guardrails block more than this many canary requests per minute for
   * `guardWindow` (the seed guidance). Needs `modelSignals`.
   * @default 10
   */
  readonly maxGuardrailBlocksPerMinute?: number;

  /**
   * Roll back when the canary's guardrail block rate is more than this many percentage points
   * above the stable version's for `guardWindow`. Needs `modelSignals`.
   * @default 5
   */
  readonly maxGuardrailBlockRateIncrease?: number;

  /**
   * Roll back when more than this share of canary responses fail the output schema, in percent,
   * for `guardWindow`. Needs `modelSignals`.
   * @default 1
   */
  readonly maxSchemaFailurePercent?: number;

  /**
   * Roll back when the canary's median response length differs from the stable version's by
   * more than this, in percent, for `tokensWindow`. Needs `modelSignals`.
   * @default 50
   */
  readonly maxResponseLengthShiftPercent?: number;

  /**
   * Price of 1,000 input tokens, in your currency. With `outputTokenPricePer1k` it turns on the
   * cost-per-request guards. Needs `modelSignals`.
   * @default - no cost guard
   */
  readonly inputTokenPricePer1k?: number;

  /**
   * Price of 1,000 output tokens, in your currency.
   * @default - no cost guard
   */
  readonly outputTokenPricePer1k?: number;

  /**
   * Roll back when a canary request costs more than this on average for `tokensWindow`.
   * @default - no absolute budget, only the ratio to stable
   */
  readonly maxCostPerRequest?: number;

  /**
   * Roll back when a canary request costs more than this multiple of a stable request, for
   * `tokensWindow`.
   * @default 1.5
   */
  readonly maxCostPerRequestRatio?: number;

  /**
   * The classes the model predicts (as the runtime helper records them). Turns on the
   * prediction-shift guard: a population stability index (PSI) of the canary's class shares
   * against the stable version's, in the step so far.
   * @default - no prediction-shift guard
   */
  readonly predictionClasses?: string[];

  /**
   * Roll back when the PSI of the class shares exceeds this. 0.1 is the usual "moderate shift"
   * line; the seed's broken model ("positive" 80 % instead of 60 %) scores 0.196.
   * @default 0.1
   */
  readonly maxPredictionShift?: number;

  /**
   * Predictions each version must have made in the step before the PSI is judged. Keep it at most
   * `minRequestsPerStep`, so every step below 100 % is judged before it can pass (at 100 % the
   * stable version has no traffic to compare with).
   * @default 100
   */
  readonly minPredictionsForShift?: number;

  /**
   * A Bedrock guardrail the two versions call in different versions: guards its own block rate
   * (`AWS/Bedrock/Guardrails` InvocationsIntervened / Invocations) canary against stable. Give
   * the ARN and both versions.
   * @default - no Bedrock guardrail guard
   */
  readonly bedrockGuardrailArn?: string;

  /** The guardrail version the canary calls. @default - none */
  readonly canaryGuardrailVersion?: string;

  /** The guardrail version the stable version calls. @default - none */
  readonly stableGuardrailVersion?: string;

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
