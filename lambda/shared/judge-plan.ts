/**
 * The contract between the constructs (lib/guards), the check step's judge (lambda/shared/judge)
 * and the simulator (sim/): what a judged guard is, where its evidence is published, and the
 * names all three use. Plain data, no AWS SDK or CDK imports: each side imports it.
 */

/** Written in a judged guard's metric dimensions; the judge replaces it with the version it reads. */
export const VERSION_PLACEHOLDER = '{{version}}';

/** Where the judge publishes each guard's evidence, one datapoint per check. */
export const JUDGE_NAMESPACE = 'ModelCanary/Judge';
/** log10 of the guard's e-value: the alarm fires at log10(1 / alpha of the guard). */
export const EVIDENCE_METRIC = 'Evidence';
/** Dimensions of the evidence metric (the Version dimension is the canary version). */
export const EVIDENCE_DIMENSIONS = { canary: 'Canary', stack: 'Stack', guard: 'Guard', version: 'Version' } as const;

/** The false-rollback budget of one rollout when the user gives none. */
export const DEFAULT_ALPHA = 0.01;

/**
 * The promotion gate's margin when the user gives none: before the canary gets all traffic, every
 * judged guard's data must rule out odds of an event 5 × stable's (a gross regression). See
 * judge/README.md for what it costs at low traffic.
 */
export const DEFAULT_PROMOTION_MARGIN = 5;
/**
 * The gate's error: a canary whose odds really are the margin or more passes a guard's gate with
 * at most this chance (one-sided anytime-valid bound; per guard, since a regression needs only
 * one guard to be caught).
 */
export const PROMOTION_MISS_RATE = 0.05;
/**
 * A gross regression is also at least this share of the canary's requests having the event: a
 * guard whose events stay rarer than that (a guardrail that never blocks) clears the gate by the
 * canary's own anytime-valid rate bound when its odds ratio cannot be bounded for want of events.
 */
export const GROSS_HARM_MIN_RATE = 0.01;
/** The e-detector's spread of change times when a plan gives no horizon (plans from before it). */
export const DEFAULT_HORIZON_MINUTES = 60;

/** A CloudWatch metric as GetMetricData takes it; a dimension value may hold VERSION_PLACEHOLDER. */
export interface JudgedMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * "rate": events out of trials per version (errors of requests, guardrail blocks of requests),
 *   judged on the odds ratio canary : stable.
 * "scale": a per-request value whose distribution CloudWatch keeps (latency, tokens, response
 *   length), judged on counts of requests beyond thresholds taken from stable (TC statistic).
 * "classes": predicted classes, each class a rate of predictions (two-sided).
 */
export type JudgeTest = 'rate' | 'scale' | 'classes';

/** Which way a change is harmful. */
export type Direction = 'higher' | 'lower' | 'both';

export interface RateGuardPlan {
  readonly test: 'rate';
  /** Events (errors, blocks), statistic Sum. */
  readonly events: JudgedMetric;
  /** Trials (requests), statistic Sum. */
  readonly trials: JudgedMetric;
  /** Canary worse only when its odds of an event exceed this multiple of stable's (1.5: 50 % more). */
  readonly maxRatio: number;
  /** And, when set, when its rate is more than this many percentage points above stable's. */
  readonly maxIncreasePoints?: number;
  /** What an event is, for people ("errors", "guardrail blocks"). @default 'events' */
  readonly eventsLabel?: string;
}

export interface ScaleGuardPlan {
  readonly test: 'scale';
  /** The per-request values (Lambda Duration, SageMaker ModelLatency, a runtime-helper signal). */
  readonly values: JudgedMetric;
  /**
   * Canary worse only when its values are more than this multiple of stable's (1.2: 20 % slower),
   * read at each reference percentile of stable: more of the canary's requests beyond
   * maxRatio × stable's pXX than stable's beyond pXX.
   */
  readonly maxRatio: number;
  /** Stable's percentiles used as thresholds (each judged; their e-values averaged). */
  readonly referencePercentiles: number[];
  readonly direction: Direction;
  /** The values' unit for people (latency: "ms", or "µs" for SageMaker's ModelLatency); absent for counts. */
  readonly unit?: string;
}

export interface ClassesGuardPlan {
  readonly test: 'classes';
  /** One count metric per class (statistic Sum). */
  readonly classes: { readonly name: string; readonly metric: JudgedMetric }[];
  /** A class's share may move by this factor either way (odds) before it counts as a shift. */
  readonly maxRatio: number;
}

/** One guard the judge decides. */
export type JudgedGuardPlan = (RateGuardPlan | ScaleGuardPlan | ClassesGuardPlan) & {
  /** The guard's name (its evidence alarm is "<stack>-<canary>-<name>"). */
  readonly name: string;
  /** One line a person reads in an alert: what is compared, with the margin. */
  readonly description: string;
  /**
   * The values VERSION_PLACEHOLDER stands for, when they are not the release's versions (a
   * Bedrock guardrail's versions). @default the canary and stable versions of the release
   */
  readonly versions?: { readonly canary: string; readonly stable: string };
  /**
   * The environment variable each model version names its value of VERSION_PLACEHOLDER in (a
   * Bedrock guardrail's version): the start step reads it from both versions into the progress's
   * `guardVersions`. Instead of `versions`.
   */
  readonly versionVariable?: string;
  /**
   * This guard's share of the rollout's alpha relative to the other judged guards' (Σ weights =
   * alpha). Absent (plans from before it): 1.
   */
  readonly alphaWeight?: number;
};

export interface JudgePlan {
  /** The rollout's false-rollback budget, shared by its judged guards in proportion to their alphaWeight. */
  readonly alpha: number;
  readonly guards: JudgedGuardPlan[];
  /** Evidence metric dimensions Canary and Stack. */
  readonly canaryName: string;
  readonly stackName: string;
  /**
   * Minutes a healthy rollout is judged (its bakes, gates and the post-promotion watch): how the
   * change detector spreads its prior over change times (judge/detector.ts). Absent (plans from
   * before it): DEFAULT_HORIZON_MINUTES.
   */
  readonly horizonMinutes?: number;
  /**
   * Before the canary gets all traffic (and before a step with a minimum bake passes early), every
   * judged guard's data must rule out odds of an event this many times stable's. Absent (plans
   * from before it): no gate.
   */
  readonly promotionMargin?: number;
}

/** Each judged guard's share of the rollout's alpha (weighted Bonferroni over guards; see judge/README). */
export function alphaOf(plan: Pick<JudgePlan, 'alpha' | 'guards'>, guardName: string): number {
  const weight = (g: JudgedGuardPlan) => (g.alphaWeight !== undefined && g.alphaWeight > 0 ? g.alphaWeight : 1);
  const total = plan.guards.reduce((s, g) => s + weight(g), 0);
  const guard = plan.guards.find((g) => g.name === guardName);
  if (!guard || total <= 0) return plan.alpha / Math.max(1, plan.guards.length);
  return (plan.alpha * weight(guard)) / total;
}

/** The evidence alarm's threshold of one guard: log10 of 1 / its alpha. */
export function evidenceThreshold(plan: Pick<JudgePlan, 'alpha' | 'guards'>, guardName: string): number {
  return Math.log10(1 / alphaOf(plan, guardName));
}

/**
 * The share of alpha a judged guard of each kind gets, relative to the others (1). Errors and
 * latency come first: their events are rare (errors) or their effects small against the margin
 * (latency), so every bit of alpha buys them time; tokens, response length and predicted classes
 * carry far more evidence a minute, and a smaller alpha costs them little (judge/README.md).
 */
export const ALPHA_WEIGHTS = { errors: 3, latency: 3, other: 1 } as const;

/** The metric with the placeholder replaced by a version. */
export function forVersion(metric: JudgedMetric, version: string): JudgedMetric {
  const dimensions: Record<string, string> = {};
  for (const [k, v] of Object.entries(metric.dimensions)) dimensions[k] = v.split(VERSION_PLACEHOLDER).join(version);
  return { namespace: metric.namespace, metricName: metric.metricName, dimensions };
}

/**
 * Every guard's name, as alarms, alerts, the judge and the simulator spell it. Judged guards
 * (canary against stable, decided in the check step) end in "VsStable" or are PredictionShift;
 * the others are CloudWatch alarms (the seed's thresholds kept as a safety net).
 */
export const GUARD_NAMES = {
  errorRate: 'ErrorRate',
  latencyP95: 'LatencyP95',
  errorRateVsStable: 'ErrorRateVsStable',
  latencyVsStable: 'LatencyVsStable',
  tokensPerRequestVsStable: 'TokensPerRequestVsStable',
  tokensPerRequestRatio: 'TokensPerRequestRatio',
  guardrailBlocks: 'GuardrailBlocks',
  guardrailBlockRateVsStable: 'GuardrailBlockRateVsStable',
  schemaFailureRate: 'SchemaFailureRate',
  responseLengthVsStable: 'ResponseLengthVsStable',
  costPerRequest: 'CostPerRequest',
  costPerRequestVsStable: 'CostPerRequestVsStable',
  predictionShift: 'PredictionShift',
  bedrockGuardrailBlockRateVsStable: 'BedrockGuardrailBlockRateVsStable',
  modelErrorRate: 'ModelErrorRate',
  fastErrorRate: 'FastErrorRate',
} as const;
