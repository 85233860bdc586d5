/**
 * CloudWatch statistics over a period's raw values, as the user guide defines them
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html):
 * SampleCount, Sum, Average, Minimum, Maximum, percentiles (pNN), trimmed mean (TM), interquartile
 * mean (IQM), winsorized mean (WM), percentile rank (PR), trimmed count (TC) and trimmed sum (TS).
 */
import { awsError } from '../core/aws-errors';

/** One bound of a range statistic: a metric value, or a percentile of the period's values. */
export interface StatBound {
  readonly value: number;
  readonly percent: boolean;
}

export type StatKind = 'SampleCount' | 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'p' | 'TM' | 'TC' | 'TS' | 'WM' | 'PR';

export interface ParsedStatistic {
  readonly kind: StatKind;
  /** For `p`: the percentile, 0..100. */
  readonly percentile?: number;
  readonly lower?: StatBound;
  readonly upper?: StatBound;
}

/** The statistics CloudWatch computes only from raw values ("Requirements to use percentiles, trimmed mean, and some other statistics"). */
export function needsRawValues(stat: ParsedStatistic): boolean {
  return !['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'].includes(stat.kind);
}

const STANDARD = new Set(['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum']);
/** "one or two numbers between 0 and 100, up to 10 decimal places" (the definitions page). */
const NUMBER = String.raw`\d+(?:\.\d{1,10})?`;
const PERCENTILE = /^p(\d{1,2}(?:\.\d+)?|100(?:\.0+)?)$/i;
/** "They can only be abbreviated using lowercase letters when you specifying only one number, such as tm99." */
const SHORT = new RegExp(`^(tm|tc|ts|wm)(${NUMBER})$`);
/** "...abbreviated using uppercase letters when specifying a range, such as TM(5%:95%), TM(100:200), or TM(:95%)." */
const RANGE = new RegExp(`^(TM|TC|TS|WM|PR)\\((?:(${NUMBER})(%?))?:(?:(${NUMBER})(%?))?\\)$`);

/** Why `stat` is not a statistic, or undefined; the parse otherwise. */
function tryParse(stat: string): ParsedStatistic | string {
  if (STANDARD.has(stat)) return { kind: stat as StatKind };
  if (stat === 'IQM') return { kind: 'TM', lower: { value: 25, percent: true }, upper: { value: 75, percent: true } };
  const p = PERCENTILE.exec(stat);
  if (p) return { kind: 'p', percentile: Number(p[1]) };
  const short = SHORT.exec(stat);
  if (short) {
    const value = Number(short[2]);
    if (value > 100) return 'a percentage must be between 0 and 100';
    // "tm99 ... is the same as TM(:99%)".
    return { kind: short[1].toUpperCase() as StatKind, upper: { value, percent: true } };
  }
  const range = RANGE.exec(stat);
  if (!range) return 'not a statistic CloudWatch defines';
  const [, kind, lo, loPct, hi, hiPct] = range;
  if (lo === undefined && hi === undefined) return 'a range needs at least one bound';
  const lower = lo === undefined ? undefined : { value: Number(lo), percent: loPct === '%' };
  const upper = hi === undefined ? undefined : { value: Number(hi), percent: hiPct === '%' };
  const bounds = [lower, upper].filter((b): b is StatBound => b !== undefined);
  // The syntax rules give both bounds as percentages or both as values, never one of each.
  if (lower && upper && lower.percent !== upper.percent) return 'both bounds must be percentages or both values';
  // "Percentile rank (PR) is the percentage of values that meet a fixed threshold": values only.
  if (kind === 'PR' && bounds.some((b) => b.percent)) return 'PR takes metric values, not percentages';
  if (bounds.some((b) => b.percent && b.value > 100)) return 'a percentage must be between 0 and 100';
  if (lower && upper && lower.value >= upper.value) return 'the lower bound must be below the upper bound';
  return { kind: kind as StatKind, lower, upper };
}

/**
 * Parses a statistic; a malformed one is the ValidationError GetMetricData returns for it. AWS's
 * wording, seen in public reports (for example
 * https://github.com/prometheus-community/yet-another-cloudwatch-exporter/issues/1435), is
 * "The value X for parameter MetricDataQueries.member.N.MetricStat.Stat is not a valid statistic.";
 * `parameter` names the field.
 */
export function parseStatistic(stat: string, parameter = 'MetricStat.Stat'): ParsedStatistic {
  const out = tryParse(stat);
  if (typeof out === 'string') throw awsError('cloudwatch', 'ValidationError', 400, `The value ${stat} for parameter ${parameter} is not a valid statistic.`);
  return out;
}

/** Whether `stat` is a statistic (GetMetricData's rules; PutMetricAlarm's are narrower, see alarm-validation.ts). */
export function isStatistic(stat: string): boolean {
  return typeof tryParse(stat) !== 'string';
}

const cache = new Map<string, ParsedStatistic>();

/** parseStatistic, remembered per string (the store parses on every read). */
export function parsed(stat: string): ParsedStatistic {
  let p = cache.get(stat);
  if (!p) {
    p = parseStatistic(stat);
    cache.set(stat, p);
  }
  return p;
}

/** Nearest-rank percentile of sorted values (CloudWatch documents no interpolation rule; this is the simulator's). */
function nearestRank(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  return nearestRank([...values].sort((a, b) => a - b), p);
}

/**
 * The range's bounds as metric values. A percentage bound is the period's percentile (nearest rank,
 * as pNN); 0 % as the lower bound cuts nothing ("the lowest 0 %"), which an exclusive p0 would.
 */
function resolveBounds(stat: ParsedStatistic, sorted: readonly number[]): { lo?: number; hi?: number } {
  const at = (b: StatBound | undefined, isLower: boolean): number | undefined => {
    if (!b) return undefined;
    if (!b.percent) return b.value;
    if (isLower && b.value === 0) return undefined;
    return nearestRank(sorted, b.value);
  };
  return { lo: at(stat.lower, true), hi: at(stat.upper, false) };
}

/**
 * The statistic over one period's raw values (at least one). NaN means "no datapoint": a trimmed or
 * winsorized mean with no value in range. Bounds, per the definitions page: "if you define two
 * boundaries as fixed values instead of percentages, the calculation includes values equal to the
 * higher boundary, but does not include values equal to the lower boundary" (TC(0.005:0.030):
 * "0.005 (exclusive) and 0.030 (inclusive)"; PR likewise). The simulator applies the same rule to
 * percentage bounds after turning them into values, so TM(10%:90%) over 1..10 keeps 2..9: the 10 %
 * lowest and the 10 % highest removed, as the page describes.
 */
export function statistic(stat: string, values: readonly number[]): number {
  const s = parsed(stat);
  if (needsRawValues(s)) return statisticOfSorted(stat, [...values].sort((a, b) => a - b));
  switch (s.kind) {
    case 'Sum':
      return sum(values);
    case 'SampleCount':
      return values.length;
    case 'Average':
      return sum(values) / values.length;
    case 'Minimum':
      return values.reduce((a, b) => (b < a ? b : a), Infinity);
    case 'Maximum':
      return values.reduce((a, b) => (b > a ? b : a), -Infinity);
    default:
      throw new Error(`statistic ${stat}: not one of the five standard statistics`);
  }
}

/** A statistic that needs raw values, over one period's values sorted ascending (at least one). */
export function statisticOfSorted(stat: string, sorted: readonly number[]): number {
  const s = parsed(stat);
  if (s.kind === 'p') return nearestRank(sorted, s.percentile!);
  const { lo, hi } = resolveBounds(s, sorted);
  const inRange = (v: number) => (lo === undefined || v > lo) && (hi === undefined || v <= hi);
  switch (s.kind) {
    case 'PR':
      // "PR(:300) returns the percentage of data points that have a value of 300 or less."
      return (100 * countInRange(sorted, lo, hi)) / sorted.length;
    case 'WM': {
      // Values outside the bounds "are considered to be equal to the value at the edge of the appropriate boundary".
      const clamped = sorted.map((v) => (lo !== undefined && v < lo ? lo : hi !== undefined && v > hi ? hi : v));
      return sum(clamped) / clamped.length;
    }
    default: {
      const kept = sorted.filter(inRange);
      if (s.kind === 'TC') return kept.length;
      // "Trimmed sum ... is equivalent to (Trimmed Mean) * (Trimmed count)".
      if (s.kind === 'TS') return sum(kept);
      return kept.length === 0 ? NaN : sum(kept) / kept.length;
    }
  }
}

/** Values in (lo, hi] of a sorted list, by binary search. */
function countInRange(sorted: readonly number[], lo: number | undefined, hi: number | undefined): number {
  const firstAbove = (x: number) => {
    let a = 0;
    let b = sorted.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (sorted[m] > x) b = m;
      else a = m + 1;
    }
    return a;
  };
  const from = lo === undefined ? 0 : firstAbove(lo);
  const to = hi === undefined ? sorted.length : firstAbove(hi);
  return Math.max(0, to - from);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
