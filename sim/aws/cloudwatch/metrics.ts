import { addStatisticSet, addValue, aggregateBuckets, type Bucket, type Datapoint, newBucket, type StatisticSet } from './buckets';
import { isSubMinutePeriod, SECOND, SecondBuckets } from './high-resolution';
import { percentile, statistic } from './statistics';

export { percentile, statistic };
export type { Datapoint, StatisticSet };

/** One CloudWatch metric: namespace, name and the full set of dimensions (a different set is a different metric). */
export interface MetricId {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

const RESOLUTION_MS = 60_000;

/**
 * AWS service metrics whose service documents percentile statistics for them; CloudWatch keeps the
 * other service metrics the simulator publishes as statistic sets. Percentiles, TM, WM, TC, TS, PR and
 * IQM need raw values ("CloudWatch needs raw data points to calculate the following statistics",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html#Percentiles-trimmedmean-requirements).
 * - Lambda: "`Duration` also supports percentile (`p`) statistics"
 *   (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#performance-metrics);
 *   Invocations and Errors are documented for Sum only.
 * - SageMaker: ModelLatency "Valid statistics: Average, Sum, Min, Max, Sample Count, Percentiles";
 *   ModelSetupTime likewise; Invocations, the error counts and OverheadLatency list no percentiles
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation).
 * - Bedrock Guardrails: no percentiles documented.
 */
const RAW_SERVICE_METRICS = new Set(['AWS/Lambda|Duration', 'AWS/SageMaker|ModelLatency', 'AWS/SageMaker|ModelSetupTime']);

/** Whether CloudWatch keeps raw values of this metric (custom metrics sent as values do: EMF, PutMetricData Value/Values). */
export function keepsRawValues(id: Pick<MetricId, 'namespace' | 'metricName'>): boolean {
  return !id.namespace.startsWith('AWS/') || RAW_SERVICE_METRICS.has(`${id.namespace}|${id.metricName}`);
}

const keys = new WeakMap<MetricId, string>();

export function metricKey(id: MetricId): string {
  const cached = keys.get(id);
  if (cached !== undefined) return cached;
  const key = computeKey(id);
  keys.set(id, key);
  return key;
}

function computeKey(id: MetricId): string {
  const dims = Object.entries(id.dimensions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${id.namespace}|${id.metricName}|${dims}`;
}

interface StoredMetric {
  readonly id: MetricId;
  readonly raw: boolean;
  /** Sent with PutMetricData: readable as soon as stored, not at the minute's (or second's) end plus the delay. */
  direct: boolean;
  /** Every value, by minute: what periods of a minute or more read. */
  readonly buckets: Map<number, Bucket>;
  /** High-resolution values again, by second (only metrics that have any): what periods under a minute read. */
  seconds?: SecondBuckets;
}

/** How a value reaches CloudWatch. */
export interface PutOptions {
  /**
   * PutMetricData (true): readable once stored, its minute in progress included. Otherwise (service
   * metrics, EMF through CloudWatch Logs) readable once its minute (its second, if high resolution)
   * has ended plus the delay.
   * @default false
   */
  readonly direct?: boolean;
  /**
   * StorageResolution 1: also kept by second, so periods of 1, 5, 10, 20 and 30 s have data
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/publishingMetrics.html#high-resolution-metrics).
   * @default false (standard resolution, 1 minute)
   */
  readonly highResolution?: boolean;
}

/** The default of `highResolutionDelayMs`: an assumption (AWS documents no figure), not a measured lag. */
export const DEFAULT_HIGH_RESOLUTION_DELAY_MS = 5_000;

/**
 * Metric storage. A minute's values become visible only once the minute has ended plus
 * `publishDelayMs` (Lambda publishes per minute, stamped at the minute's start), so a query never
 * sees the minute in progress; values sent with PutMetricData (`direct`) are visible once stored.
 * High-resolution values that are not direct (EMF) are visible second by second, once their second
 * has ended plus `highResolutionDelayMs`, for every period (a minute holding only such values
 * shows the seconds visible so far). Every read (GetMetricData, alarms, the simulator's own
 * reports) goes through `series` or `window`, so these rules hold for all of them.
 */
export class MetricStore {
  private readonly metrics = new Map<string, StoredMetric>();

  constructor(
    private readonly publishDelayMs = 0,
    private readonly highResolutionDelayMs = DEFAULT_HIGH_RESOLUTION_DELAY_MS,
  ) {}

  /** The extra publication delay after a minute ends, in ms. */
  public get delayMs(): number {
    return this.publishDelayMs;
  }

  /** The extra delay after a second of high-resolution data (not direct) ends, in ms. */
  public get highResolutionDelay(): number {
    return this.highResolutionDelayMs;
  }

  /** One raw value. */
  public put(id: MetricId, timestampMs: number, value: number, options: PutOptions = {}): void {
    const metric = this.metric(id, options);
    addValue(minuteBucket(metric, timestampMs, options), value);
    if (options.highResolution) addValue(metric.seconds!.bucket(timestampMs), value);
  }

  /** A statistic set (PutMetricData StatisticValues); see addStatisticSet for when it still counts as raw values. */
  public putStatisticSet(id: MetricId, timestampMs: number, set: StatisticSet, options: PutOptions = {}): void {
    const metric = this.metric(id, options);
    addStatisticSet(minuteBucket(metric, timestampMs, options), set);
    if (options.highResolution) addStatisticSet(metric.seconds!.bucket(timestampMs), set);
  }

  private metric(id: MetricId, options: PutOptions): StoredMetric {
    const key = metricKey(id);
    let metric = this.metrics.get(key);
    if (!metric) {
      metric = { id: { ...id, dimensions: { ...id.dimensions } }, raw: keepsRawValues(id), direct: false, buckets: new Map() };
      this.metrics.set(key, metric);
    }
    if (options.direct) metric.direct = true;
    if (options.highResolution) metric.seconds ??= new SecondBuckets();
    return metric;
  }

  /** Every metric that has data (ListMetrics). */
  public list(): MetricId[] {
    return [...this.metrics.values()].map((m) => m.id);
  }

  public exists(id: MetricId): boolean {
    return this.metrics.has(metricKey(id));
  }

  /** When a minute of standard-resolution data starting at `minuteStart` becomes queryable. */
  public visibleAt(minuteStart: number): number {
    return minuteStart + RESOLUTION_MS + this.publishDelayMs;
  }

  /** When a second of high-resolution data (not direct) starting at `secondStart` becomes queryable. */
  public secondVisibleAt(secondStart: number): number {
    return secondStart + SECOND + this.highResolutionDelayMs;
  }

  /**
   * Datapoints of one statistic per period in [startMs, endMs), periods on multiples of the period,
   * as of `now`. Periods without any visible value are absent (CloudWatch returns no datapoint, not zero).
   */
  public series(id: MetricId, stat: string, periodSeconds: number, startMs: number, endMs: number, now: number): Datapoint[] {
    const metric = this.metrics.get(metricKey(id));
    if (!metric) return [];
    const periodMs = periodSeconds * 1000;
    const subMinute = isSubMinutePeriod(periodMs);
    // Standard-resolution data has nothing under a minute: "it does not receive data for the attempts
    // that do not correspond to a one-minute data resolution" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
    if (subMinute ? !metric.seconds : periodMs % RESOLUTION_MS !== 0) return [];
    const out: Datapoint[] = [];
    const first = Math.floor(startMs / periodMs) * periodMs;
    for (let t = first; t < endMs; t += periodMs) {
      const dp = subMinute ? this.aggregateSeconds(metric, stat, t, t + periodMs, now) : this.aggregate(metric, stat, t, t + periodMs, now);
      if (dp) out.push(dp);
    }
    return out;
  }

  /** One datapoint over exactly [startMs, endMs) (whole minutes), as of `now`; absent when nothing is visible. */
  public window(id: MetricId, stat: string, startMs: number, endMs: number, now: number): Datapoint | undefined {
    const metric = this.metrics.get(metricKey(id));
    return metric ? this.aggregate(metric, stat, startMs, endMs, now) : undefined;
  }

  private aggregate(metric: StoredMetric, stat: string, startMs: number, endMs: number, now: number): Datapoint | undefined {
    const buckets: Bucket[] = [];
    for (let m = startMs; m < endMs; m += RESOLUTION_MS) {
      const bucket = metric.buckets.get(m);
      if (!bucket) continue;
      if (metric.direct || bucket.standard || !metric.seconds) {
        if (metric.direct || now >= this.visibleAt(m)) buckets.push(bucket);
      } else if (now >= this.secondVisibleAt(m + RESOLUTION_MS - SECOND)) {
        buckets.push(bucket);
      } else {
        // A minute of EMF high-resolution data only: the seconds visible so far.
        buckets.push(...metric.seconds.between(m, m + RESOLUTION_MS, now, (s) => now >= this.secondVisibleAt(s)));
      }
    }
    return aggregateBuckets(buckets, stat, metric.raw, startMs);
  }

  private aggregateSeconds(metric: StoredMetric, stat: string, startMs: number, endMs: number, now: number): Datapoint | undefined {
    const readable = (s: number) => metric.direct || now >= this.secondVisibleAt(s);
    return aggregateBuckets(metric.seconds!.between(startMs, endMs, now, readable), stat, metric.raw, startMs);
  }
}

function minuteBucket(metric: StoredMetric, timestampMs: number, options: PutOptions): Bucket {
  const start = Math.floor(timestampMs / RESOLUTION_MS) * RESOLUTION_MS;
  let bucket = metric.buckets.get(start);
  if (!bucket) {
    bucket = newBucket();
    metric.buckets.set(start, bucket);
  }
  if (!options.highResolution) bucket.standard = true;
  return bucket;
}

/** 95 for "p95", 99.9 for "p99.9"; undefined for anything else. */
export function percentileOf(stat: string): number | undefined {
  const m = /^p(\d{1,2}(?:\.\d+)?|100)$/i.exec(stat);
  return m ? Number(m[1]) : undefined;
}

/**
 * CloudWatch's low-sample rule for percentile alarms: fewer than 10/(1-p) samples (p >= 0.5) or
 * 10/p samples (p < 0.5) in a period makes the datapoint "low sample".
 */
export function lowSampleThreshold(p: number): number {
  const f = p / 100;
  if (f >= 1 || f <= 0) return Infinity;
  return f >= 0.5 ? 10 / (1 - f) : 10 / f;
}
