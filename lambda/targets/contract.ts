/**
 * What every side (the constructs in lib/, the workflow handlers in lambda/, the simulator in sim/)
 * knows about a target kind: its kind constant, its config and where CloudWatch keeps its metrics
 * per version. Plain data, no AWS SDK or CDK: each side imports it, so a rename breaks the build,
 * not the data. Each kind declares one (lambda/targets/<kind>/contract.ts); lambda/targets/kinds.ts
 * lists them.
 */

/** The config a canary construct hands the workflow as `plan.target` (CloudFormation passes strings). */
export interface TargetConfig {
  readonly kind: string;
  readonly [key: string]: string;
}

/** A signal the target's own metrics carry per version. */
export type TargetSignal = 'requests' | 'errors' | 'latency';

/** A CloudWatch metric of one version, as GetMetricData and alarms take it. */
export interface MetricSpec {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
}

/** Where a target kind's metrics are, per version. */
export interface TargetMetricTable {
  readonly namespace: string;
  /** The namespace of one target, when it is configured (the model-signals namespace a router writes to); absent: `namespace`. */
  namespaceOf?(config: TargetConfig): string;
  /** Metric name of each signal. */
  readonly names: Readonly<Record<TargetSignal, string>>;
  /** Statistics CloudWatch keeps for each metric name ('percentile' allows pNN); absent: any. */
  readonly statistics?: Readonly<Record<string, readonly string[]>>;
  /** How many units of the latency metric make one millisecond (Lambda ms: 1, SageMaker µs: 1000). */
  readonly latencyUnitsPerMillisecond: number;
  /** The dimension whose value is the version (Lambda ExecutedVersion, SageMaker VariantName). */
  readonly versionDimension: string;
  /** Every dimension of one version's metric (the version dimension included). */
  dimensions(config: TargetConfig, version: string): Record<string, string>;
}

/**
 * How long the workflow waits while the target is busy with an earlier change (SageMaker: an
 * endpoint that is Updating for minutes). The target throws an error of this name; Step Functions
 * retries the step. Absent: the target is never busy.
 */
export interface BusyRetry {
  readonly error: string;
  /** Around a step (set weight, check, promote, roll back). */
  readonly stepIntervalSeconds: number;
  readonly stepMaxAttempts: number;
  /** While the start step prepares the target (SageMaker adds the canary variant: tens of minutes). */
  readonly prepareIntervalSeconds: number;
  readonly prepareMaxAttempts: number;
}

/** One target kind, as every side sees it. */
export interface TargetKindContract {
  /** The `kind` of its TargetConfig. */
  readonly kind: string;
  readonly metrics: TargetMetricTable;
  readonly busyRetry?: BusyRetry;
}

/** One version's metric of a signal. */
export function targetMetricSpec(contract: TargetKindContract, config: TargetConfig, version: string, signal: TargetSignal): MetricSpec {
  return { namespace: metricNamespace(contract, config), metricName: contract.metrics.names[signal], dimensions: contract.metrics.dimensions(config, version) };
}

/** Where one target's metrics are. */
export function metricNamespace(contract: TargetKindContract, config: TargetConfig): string {
  return contract.metrics.namespaceOf?.(config) ?? contract.metrics.namespace;
}
