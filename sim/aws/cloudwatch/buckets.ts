/**
 * The values of one metric over one stretch of time (a minute, or a second of high-resolution
 * data), and the statistics of several such stretches together (metrics.ts, high-resolution.ts).
 */
import { needsRawValues, parsed as parseStatistic, statisticOfSorted } from './statistics';

export interface Datapoint {
  /** Epoch ms of the period start (CloudWatch stamps a datapoint at its period's start). */
  readonly timestamp: number;
  readonly value: number;
  readonly sampleCount: number;
}

/** A PutMetricData StatisticValues set. */
export interface StatisticSet {
  readonly sampleCount: number;
  readonly sum: number;
  readonly minimum: number;
  readonly maximum: number;
}

export interface Bucket {
  /** Raw values (Value, Values/Counts, EMF), and statistic sets that equal raw values. */
  readonly values: number[];
  /** Aggregates over everything in the bucket, statistic sets included. */
  sum: number;
  min: number;
  max: number;
  count: number;
  /** A statistic set that is not a list of equal values went in: only the five standard statistics exist. */
  statisticSet: boolean;
  /** A minute bucket holds standard-resolution data (not only seconds of high-resolution data). */
  standard: boolean;
  /** `values` sorted, kept until a value is added (queries read a closed bucket many times). */
  sorted?: number[];
}

export function newBucket(): Bucket {
  return { values: [], sum: 0, min: Infinity, max: -Infinity, count: 0, statisticSet: false, standard: false };
}

/** One raw value. */
export function addValue(bucket: Bucket, value: number): void {
  bucket.values.push(value);
  bucket.sorted = undefined;
  add(bucket, value, value, value, 1);
}

/**
 * A statistic set. It still counts as raw values when "the SampleCount value of the statistic set
 * is 1 and Min, Max, and Sum are all equal" or "the Min and Max are equal, and Sum is equal to Min
 * multiplied by SampleCount" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
 */
export function addStatisticSet(bucket: Bucket, set: StatisticSet): void {
  const { sampleCount: n, sum, minimum: min, maximum: max } = set;
  if (Number.isInteger(n) && n >= 1 && min === max && sum === min * n) {
    for (let i = 0; i < n; i++) bucket.values.push(min);
    bucket.sorted = undefined;
  } else {
    bucket.statisticSet = true;
  }
  add(bucket, sum, min, max, n);
}

function add(bucket: Bucket, sum: number, min: number, max: number, count: number): void {
  bucket.sum += sum;
  bucket.min = Math.min(bucket.min, min);
  bucket.max = Math.max(bucket.max, max);
  bucket.count += count;
}

function sortedValues(bucket: Bucket): number[] {
  bucket.sorted ??= [...bucket.values].sort((a, b) => a - b);
  return bucket.sorted;
}

/** One statistic over `buckets` (the visible part of a period), stamped `timestamp`; absent when there is nothing or no such statistic. */
export function aggregateBuckets(buckets: readonly Bucket[], stat: string, raw: boolean, timestamp: number): Datapoint | undefined {
  if (buckets.length === 0) return undefined;
  const parsed = parseStatistic(stat);
  const setOnly = buckets.some((b) => b.statisticSet);
  const sampleCount = buckets.reduce((a, b) => a + b.count, 0);
  if (needsRawValues(parsed)) {
    // Without raw values these statistics have no datapoint; nor "when any of the metric values are negative numbers" (Statistics-definitions.html).
    if (!raw || setOnly) return undefined;
    if (buckets.some((b) => b.min < 0)) return undefined;
    const sorted = buckets.length === 1 ? sortedValues(buckets[0]) : buckets.flatMap(sortedValues).sort((a, b) => a - b);
    const value = statisticOfSorted(stat, sorted);
    return Number.isNaN(value) ? undefined : { timestamp, value, sampleCount };
  }
  const sum = buckets.reduce((a, b) => a + b.sum, 0);
  const byKind: Record<string, number> = {
    Sum: sum,
    SampleCount: sampleCount,
    Average: sum / sampleCount,
    Minimum: Math.min(...buckets.map((b) => b.min)),
    Maximum: Math.max(...buckets.map((b) => b.max)),
  };
  return { timestamp, value: byKind[parsed.kind], sampleCount };
}
