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
  readonly values: number[];
  sum: number;
  min: number;
  max: number;
}

const RESOLUTION_MS = 60_000;

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

/**
 * Standard-resolution (1-minute) metric storage. A minute's values become visible only once the
 * minute has ended plus `publishDelayMs` (Lambda publishes per minute, stamped at the minute's
 * start), so a query never sees the minute in progress.
 */
export class MetricStore {
  private readonly metrics = new Map<string, { id: MetricId; buckets: Map<number, Bucket> }>();

  constructor(private readonly publishDelayMs = 0) {}

  public put(id: MetricId, timestampMs: number, value: number): void {
    const key = metricKey(id);
    let metric = this.metrics.get(key);
    if (!metric) {
      metric = { id: { ...id, dimensions: { ...id.dimensions } }, buckets: new Map() };
      this.metrics.set(key, metric);
    }
    const start = Math.floor(timestampMs / RESOLUTION_MS) * RESOLUTION_MS;
    let bucket = metric.buckets.get(start);
    if (!bucket) {
      bucket = { values: [], sum: 0, min: Infinity, max: -Infinity };
      metric.buckets.set(start, bucket);
    }
    bucket.values.push(value);
    bucket.sum += value;
    bucket.min = Math.min(bucket.min, value);
    bucket.max = Math.max(bucket.max, value);
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
   * Datapoints of one statistic per period in [startMs, endMs), as of `now`. Periods without any
   * visible value are absent (CloudWatch returns no datapoint, not zero).
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
      const values: number[] = [];
      for (let m = t; m < t + periodMs; m += RESOLUTION_MS) {
        const bucket = metric.buckets.get(m);
        if (bucket && now >= this.visibleAt(m)) values.push(...bucket.values);
      }
      if (values.length === 0) continue;
      out.push({ timestamp: t, value: statistic(stat, values), sampleCount: values.length });
    }
    return out;
  }

  /** One datapoint over exactly [startMs, endMs) (whole minutes), as of `now`; absent when nothing is visible. */
  public window(id: MetricId, stat: string, startMs: number, endMs: number, now: number): Datapoint | undefined {
    const metric = this.metrics.get(metricKey(id));
    if (!metric) return undefined;
    const values: number[] = [];
    for (let m = startMs; m < endMs; m += RESOLUTION_MS) {
      const bucket = metric.buckets.get(m);
      if (bucket && now >= this.visibleAt(m)) values.push(...bucket.values);
    }
    return values.length ? { timestamp: startMs, value: statistic(stat, values), sampleCount: values.length } : undefined;
  }
}

/** CloudWatch statistics over raw values: Sum, SampleCount, Average, Minimum, Maximum, pNN(.NN). */
export function statistic(stat: string, values: number[]): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'SampleCount':
      return values.length;
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    default: {
      const p = percentileOf(stat);
      if (p === undefined) throw new Error(`Statistic ${stat} is not supported by the simulator`);
      return percentile(values, p);
    }
  }
}

/** 95 for "p95", 99.9 for "p99.9"; undefined for anything else. */
export function percentileOf(stat: string): number | undefined {
  const m = /^p(\d{1,2}(?:\.\d+)?|100)$/i.exec(stat);
  return m ? Number(m[1]) : undefined;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
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
