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
};

export interface JudgePlan {
  /** The rollout's false-rollback budget, shared equally by its judged guards. */
  readonly alpha: number;
  readonly guards: JudgedGuardPlan[];
  /** Evidence metric dimensions Canary and Stack. */
  readonly canaryName: string;
  readonly stackName: string;
}

/** Each judged guard's share of the rollout's alpha (Bonferroni over guards; see judge/README). */
export function alphaPerGuard(plan: Pick<JudgePlan, 'alpha' | 'guards'>): number {
  return plan.alpha / Math.max(1, plan.guards.length);
}

/** The evidence alarm's threshold: log10 of 1 / the guard's alpha. */
export function evidenceThreshold(plan: Pick<JudgePlan, 'alpha' | 'guards'>): number {
  return Math.log10(1 / alphaPerGuard(plan));
}

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
} as const;
