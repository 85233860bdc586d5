/**
 * High-resolution (1-second) data: "StorageResolution ... Setting this to 1 specifies this metric as
 * a high-resolution metric, so that CloudWatch stores the metric with sub-minute resolution down
 * to one second" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/publishingMetrics.html#high-resolution-metrics).
 * A high-resolution metric keeps, beside its minute buckets (metrics.ts, which every period of a
 * minute or more reads), one bucket per second, read only by periods under a minute.
 */
import { type Bucket, newBucket } from './buckets';

export const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * "Data points with a period of less than 60 seconds are available for 3 hours"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html, "Metrics retention");
 * older seconds are only in the minute buckets.
 */
export const HIGH_RESOLUTION_RETENTION_MS = 3 * HOUR;
/** Seconds dropped from memory once this far behind the newest (retention + the 2 hours PutMetricData may stamp ahead). */
const KEEP_MS = HIGH_RESOLUTION_RETENTION_MS + 2 * HOUR;

/**
 * Periods under a minute: "For high-resolution metrics ... the period can be 1, 5, 10, 20, 30, 60,
 * or any multiple of 60" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html).
 */
export function isSubMinutePeriod(periodMs: number): boolean {
  return periodMs >= SECOND && periodMs < MINUTE && periodMs % SECOND === 0 && MINUTE % periodMs === 0;
}

/** One high-resolution metric's seconds. */
export class SecondBuckets {
  private readonly buckets = new Map<number, Bucket>();
  private newest = -Infinity;
  private nextSweep = -Infinity;

  /** The bucket of the second holding `timestampMs`, created if new. */
  public bucket(timestampMs: number): Bucket {
    const start = Math.floor(timestampMs / SECOND) * SECOND;
    let bucket = this.buckets.get(start);
    if (!bucket) {
      bucket = newBucket();
      this.buckets.set(start, bucket);
      if (start > this.newest) this.newest = start;
      if (this.newest >= this.nextSweep) this.sweep();
    }
    return bucket;
  }

  /**
   * The buckets of [startMs, endMs) readable at `now`: seconds for which `readable(secondStart)`
   * holds, within the retention.
   */
  public between(startMs: number, endMs: number, now: number, readable: (secondStart: number) => boolean): Bucket[] {
    const out: Bucket[] = [];
    const from = Math.max(startMs, Math.ceil((now - HIGH_RESOLUTION_RETENTION_MS) / SECOND) * SECOND);
    for (let s = from; s < endMs; s += SECOND) {
      const bucket = this.buckets.get(s);
      if (bucket && readable(s)) out.push(bucket);
    }
    return out;
  }

  /** At most once an hour of data: drops the seconds no query can read any more (memory stays ~5 h of seconds a metric). */
  private sweep(): void {
    const cutoff = this.newest - KEEP_MS;
    for (const start of this.buckets.keys()) if (start < cutoff) this.buckets.delete(start);
    this.nextSweep = this.newest + HOUR;
  }
}
