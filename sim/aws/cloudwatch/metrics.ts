import { needsRawValues, parsed as parseStatistic, percentile, statistic, statisticOfSorted } from './statistics';

export { percentile, statistic };

/** One CloudWatch metric: namespace, name and the full set of dimensions (a different set is a different metric). */
export interface MetricId {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface Datapoint {
  /** Epoch ms of the period start (CloudWatch stamps a datapoint at its period's start). */
  readonly timestamp: number;
  readonly value: number;
  readonly sampleCount: number;
}

interface Bucket {
  /** Raw values (Value, Values/Counts, EMF), and statistic sets that equal raw values. */
  readonly values: number[];
  /** Aggregates over everything in the minute, statistic sets included. */
  sum: number;
  min: number;
  max: number;
  count: number;
  /** A statistic set that is not a list of equal values went in: only the five standard statistics exist. */
  statisticSet: boolean;
  /** `values` sorted, kept until a value is added (queries read a closed minute many times). */
  sorted?: number[];
}

/** A PutMetricData StatisticValues set. */
export interface StatisticSet {
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
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
  /** Sent with PutMetricData: readable as soon as stored, not at the minute's end plus the delay. */
  direct: boolean;
  readonly buckets: Map<number, Bucket>;
}

/** How a value reaches CloudWatch. */
export interface PutOptions {
  /**
   * PutMetricData (true): readable once stored, its minute in progress included. Otherwise (service
   * metrics, EMF through CloudWatch Logs) readable once its minute has ended plus the delay.
   * @default false
   */
  readonly direct?: boolean;
}

/**
 * Standard-resolution (1-minute) metric storage. A minute's values become visible only once the
 * minute has ended plus `publishDelayMs` (Lambda publishes per minute, stamped at the minute's
 * start), so a query never sees the minute in progress; values sent with PutMetricData (`direct`)
 * are visible once stored. Every read (GetMetricData, alarms, the simulator's own reports) goes
 * through `series` or `window`, so these rules hold for all of them.
 */
export class MetricStore {
  private readonly metrics = new Map<string, StoredMetric>();

  constructor(private readonly publishDelayMs = 0) {}

  /** The extra publication delay after a minute ends, in ms. */
  public get delayMs(): number {
    return this.publishDelayMs;
  }

  /** One raw value. */
  public put(id: MetricId, timestampMs: number, value: number, options: PutOptions = {}): void {
    const bucket = this.bucket(id, timestampMs, options);
    bucket.values.push(value);
    bucket.sorted = undefined;
    add(bucket, value, value, value, 1);
  }

  /**
   * A statistic set (PutMetricData StatisticValues). It still counts as raw values when "the
   * SampleCount value of the statistic set is 1 and Min, Max, and Sum are all equal" or "the Min and
   * Max are equal, and Sum is equal to Min multiplied by SampleCount" (Statistics-definitions.html).
   */
  public putStatisticSet(id: MetricId, timestampMs: number, set: StatisticSet, options: PutOptions = {}): void {
    const { sampleCount: n, sum, minimum: min, maximum: max } = set;
    const bucket = this.bucket(id, timestampMs, options);
    if (Number.isInteger(n) && n >= 1 && min === max && sum === min * n) {
      for (let i = 0; i < n; i++) bucket.values.push(min);
      bucket.sorted = undefined;
    } else {
      bucket.statisticSet = true;
    }
    add(bucket, sum, min, max, n);
  }

  private bucket(id: MetricId, timestampMs: number, options: PutOptions): Bucket {
    const key = metricKey(id);
    let metric = this.metrics.get(key);
    if (!metric) {
      metric = { id: { ...id, dimensions: { ...id.dimensions } }, raw: keepsRawValues(id), direct: false, buckets: new Map() };
      this.metrics.set(key, metric);
    }
    if (options.direct) metric.direct = true;
    const start = Math.floor(timestampMs / RESOLUTION_MS) * RESOLUTION_MS;
    let bucket = metric.buckets.get(start);
    if (!bucket) {
      bucket = { values: [], sum: 0, min: Infinity, max: -Infinity, count: 0, statisticSet: false };
      metric.buckets.set(start, bucket);
    }
    return bucket;
  }

  /** Every metric that has data (ListMetrics). */
  public list(): MetricId[] {
    return [...this.metrics.values()].map((m) => m.id);
  }

  public exists(id: MetricId): boolean {
    return this.metrics.has(metricKey(id));
  }

  /** When a minute starting at `minuteStart` becomes queryable. */
  public visibleAt(minuteStart: number): number {
    return minuteStart + RESOLUTION_MS + this.publishDelayMs;
  }

  /**
   * Datapoints of one statistic per period in [startMs, endMs), periods on multiples of the period,
   * as of `now`. Periods without any visible value are absent (CloudWatch returns no datapoint, not zero).
   */
  public series(id: MetricId, stat: string, periodSeconds: number, startMs: number, endMs: number, now: number): Datapoint[] {
    const metric = this.metrics.get(metricKey(id));
    if (!metric) return [];
    const periodMs = periodSeconds * 1000;
    if (periodMs % RESOLUTION_MS !== 0) {
      // Lambda publishes 1-minute data: a shorter period has nothing to aggregate.
      return [];
    }
    const out: Datapoint[] = [];
    const first = Math.floor(startMs / periodMs) * periodMs;
    for (let t = first; t < endMs; t += periodMs) {
      const dp = this.aggregate(metric, stat, t, t + periodMs, now);
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
      if (bucket && (metric.direct || now >= this.visibleAt(m))) buckets.push(bucket);
    }
    if (buckets.length === 0) return undefined;
    const parsed = parseStatistic(stat);
    const setOnly = buckets.some((b) => b.statisticSet);
    const sampleCount = buckets.reduce((a, b) => a + b.count, 0);
    if (needsRawValues(parsed)) {
      // Without raw values these statistics have no datapoint; nor "when any of the metric values are negative numbers" (Statistics-definitions.html).
      if (!metric.raw || setOnly) return undefined;
      if (buckets.some((b) => b.min < 0)) return undefined;
      const sorted = buckets.length === 1 ? sortedValues(buckets[0]) : buckets.flatMap(sortedValues).sort((a, b) => a - b);
      const value = statisticOfSorted(stat, sorted);
      return Number.isNaN(value) ? undefined : { timestamp: startMs, value, sampleCount };
    }
    const sum = buckets.reduce((a, b) => a + b.sum, 0);
    const byKind: Record<string, number> = {
      Sum: sum,
      SampleCount: sampleCount,
      Average: sum / sampleCount,
      Minimum: Math.min(...buckets.map((b) => b.min)),
      Maximum: Math.max(...buckets.map((b) => b.max)),
    };
    return { timestamp: startMs, value: byKind[parsed.kind], sampleCount };
  }
}

function sortedValues(bucket: Bucket): number[] {
  bucket.sorted ??= [...bucket.values].sort((a, b) => a - b);
  return bucket.sorted;
}

function add(bucket: Bucket, sum: number, min: number, max: number, count: number): void {
  bucket.sum += sum;
  bucket.min = Math.min(bucket.min, min);
  bucket.max = Math.max(bucket.max, max);
  bucket.count += count;
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
