/**
 * The judge's data: per-minute CloudWatch aggregates of both versions since the rollout started,
 * read with GetMetricData (two calls per check, three at the check that first fixes a pooled
 * reference). Rate and class guards read Sums; scale guards read SampleCount and the percentile
 * rank PR(:T) at thresholds taken from stable before the minutes they judge
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html:
 * "PR(:300) returns the percentage of data points that have a value of 300 or less"; lower bound
 * exclusive, upper inclusive).
 *
 * Minutes are the strata: a minute in which the canary's share changed (a step, the promotion)
 * mixes two weights in one 2×2 table, so it is left out (a table of zeros: no information).
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { awsCall } from '../errors';
import { forVersion, type JudgedGuardPlan, type JudgedMetric, type JudgePlan, type ScaleGuardPlan } from '../judge-plan';
import type { MinuteTable } from './odds-ratio';
import type { Comparison, GuardReading, ScaleReference } from './verdict';

const cloudwatch = new CloudWatchClient({});
const MINUTE = 60;
/** Minutes of stable's traffic before the rollout that set a scale guard's thresholds. */
export const REFERENCE_MINUTES = 5;
/** A minute of stable's values sets a threshold only with this many of them; a pooled reference needs as many in all. */
export const MIN_REFERENCE_SAMPLES = 20;

export interface Versions {
  readonly canary: string;
  readonly stable: string;
}

type Series = Map<number, number>;

interface Query {
  readonly id: string;
  readonly metric: JudgedMetric;
  readonly stat: string;
}

/** An interval (epoch seconds) in which the canary's share was changing: minutes that overlap it are not judged. */
export interface WeightChange {
  readonly from: number;
  readonly to: number;
}

export interface ReadOptions {
  /** When the canary's share changed (set-weight, the promotion, ...), with how long the target takes to follow. */
  readonly weightChanges?: readonly WeightChange[];
  /** Scale guards' thresholds fixed at earlier checks (kept in the rollout's progress), by guard name. */
  readonly references?: Readonly<Record<string, readonly ScaleReference[]>>;
}

/**
 * Every guard's comparisons over the complete minutes in [startedAt's minute, now's minute), one
 * table per minute of the rollout (index 0 = its first minute), zeros where a minute is not judged.
 */
export async function readGuards(plan: JudgePlan, versions: Versions, startedAt: number, now: number, options: ReadOptions = {}): Promise<GuardReading[]> {
  const start = Math.floor(startedAt / MINUTE) * MINUTE;
  const end = Math.floor(now / MINUTE) * MINUTE;
  const minutes: number[] = [];
  for (let t = start; t < end; t += MINUTE) minutes.push(t);
  const mixed = (t: number) => (options.weightChanges ?? []).some((c) => c.from < t + MINUTE && c.to >= t);

  const first: Query[] = [];
  plan.guards.forEach((g, i) => first.push(...firstQueries(g, i, g.versions ?? versions)));
  const data = await getMetricData(first, start - REFERENCE_MINUTES * MINUTE, Math.max(end, start + MINUTE));

  const thresholds = new Map<number, ScaleReference[]>();
  const pooled: { i: number; j: number; p: number; until: number; query: Query }[] = [];
  plan.guards.forEach((g, i) => {
    if (g.test !== 'scale') return;
    const kept = options.references?.[g.name];
    const refs: (ScaleReference | undefined)[] = g.referencePercentiles.map((p, j) => {
      const stored = kept?.find((r) => r.ref === p);
      if (stored) return stored;
      const found = reference(data.get(`g${i}r${j}`), data.get(`g${i}sn`), start, p);
      if (found) return found;
      const until = pooledUntil(data.get(`g${i}sn`), start, end);
      if (until !== undefined) pooled.push({ i, j, p, until, query: { id: `g${i}q${j}`, metric: forVersion(g.values, (g.versions ?? versions).stable), stat: `p${p}` } });
      return undefined;
    });
    thresholds.set(i, refs as ScaleReference[]);
  });
  // A pooled reference: stable's pXX over every value from REFERENCE_MINUTES before the rollout up
  // to the first minute boundary with MIN_REFERENCE_SAMPLES of them, read as one period.
  for (const until of [...new Set(pooled.map((q) => q.until))]) {
    const group = pooled.filter((q) => q.until === until);
    const from = start - REFERENCE_MINUTES * MINUTE;
    const values = await getMetricData(group.map((q) => q.query), from, until, until - from);
    for (const q of group) {
      const value = values.get(q.query.id)?.get(from);
      if (value !== undefined && Number.isFinite(value) && value > 0) thresholds.get(q.i)![q.j] = { ref: q.p, value, from: until };
    }
  }
  const second: Query[] = [];
  plan.guards.forEach((g, i) => {
    if (g.test !== 'scale') return;
    (thresholds.get(i) ?? []).forEach((r, j) => {
      if (r) second.push(...rankQueries(g, i, j, r.value, g.versions ?? versions));
    });
  });
  const ranks = second.length > 0 ? await getMetricData(second, start, Math.max(end, start + MINUTE)) : new Map<string, Series>();

  return plan.guards.map((g, i) => {
    const at = (id: string, t: number) => data.get(id)?.get(t) ?? ranks.get(id)?.get(t) ?? 0;
    const table = (from: number, row: (t: number) => [number, number, number, number]) => tables(minutes, (t) => (t < from || mixed(t) ? [0, 0, 0, 0] : row(t)));
    switch (g.test) {
      case 'rate':
        return {
          guard: g,
          comparisons: [
            { label: g.eventsLabel ?? 'events', psi0: g.maxRatio, side: 'above', minutes: table(start, (t) => [at(`g${i}ct`, t), at(`g${i}ce`, t), at(`g${i}st`, t), at(`g${i}se`, t)]) },
          ],
        };
      case 'classes': {
        const totals = (arm: 'c' | 's', t: number) => g.classes.reduce((s, _k, j) => s + at(`g${i}k${j}${arm}`, t), 0);
        const comparisons: Comparison[] = g.classes.flatMap((k, j) =>
          (['above', 'below'] as const).map((side) => ({
            label: `predictions of "${k.name}"`,
            psi0: side === 'above' ? g.maxRatio : 1 / g.maxRatio,
            side,
            minutes: table(start, (t) => [totals('c', t), at(`g${i}k${j}c`, t), totals('s', t), at(`g${i}k${j}s`, t)]),
          })),
        );
        return { guard: g, comparisons };
      }
      case 'scale': {
        const refs = (thresholds.get(i) ?? []).filter((r): r is ScaleReference => r !== undefined);
        if (refs.length === 0) {
          const seen = [...(data.get(`g${i}sn`)?.values() ?? [])].reduce((a, b) => a + b, 0);
          return {
            guard: g,
            comparisons: [],
            undecided: `no reference from stable yet: it served ${Math.round(seen)} values since ${REFERENCE_MINUTES} minutes before the rollout, a threshold needs ${MIN_REFERENCE_SAMPLES}`,
          };
        }
        const comparisons: Comparison[] = refs.flatMap((r) =>
          sides(g).map((side) => {
            const j = g.referencePercentiles.indexOf(r.ref);
            const count = (arm: 'c' | 's', t: number) => {
              const n = at(`g${i}${arm}n`, t);
              const below = Math.round((n * at(`g${i}p${j}${side[0]}${arm}`, t)) / 100);
              // PR counts values at or below the threshold; 'higher' counts the ones above it.
              return side === 'higher' ? n - below : below;
            };
            return {
              label: `requests ${side === 'higher' ? 'above' : 'at or below'} ${side === 'higher' ? `${g.maxRatio} × ` : `1/${g.maxRatio} × `}stable's p${r.ref} (${round(r.value)}${g.unit ? ` ${g.unit}` : ''})`,
              psi0: 1,
              side: 'above' as const,
              minutes: table(r.from, (t) => [at(`g${i}cn`, t), count('c', t), at(`g${i}sn`, t), count('s', t)]),
            };
          }),
        );
        return { guard: g, comparisons, references: refs };
      }
    }
  });
}

function firstQueries(g: JudgedGuardPlan, i: number, v: Versions): Query[] {
  const both = (id: string, metric: JudgedMetric, stat: string): Query[] => [
    { id: `g${i}c${id}`, metric: forVersion(metric, v.canary), stat },
    { id: `g${i}s${id}`, metric: forVersion(metric, v.stable), stat },
  ];
  switch (g.test) {
    case 'rate':
      return [...both('e', g.events, 'Sum'), ...both('t', g.trials, 'Sum')];
    case 'classes':
      return g.classes.flatMap((k, j) => [
        { id: `g${i}k${j}c`, metric: forVersion(k.metric, v.canary), stat: 'Sum' },
        { id: `g${i}k${j}s`, metric: forVersion(k.metric, v.stable), stat: 'Sum' },
      ]);
    case 'scale':
      return [
        ...both('n', g.values, 'SampleCount'),
        ...g.referencePercentiles.map((p, j) => ({ id: `g${i}r${j}`, metric: forVersion(g.values, v.stable), stat: `p${p}` })),
      ];
  }
}

function sides(g: ScaleGuardPlan): ('higher' | 'lower')[] {
  return g.direction === 'both' ? ['higher', 'lower'] : [g.direction];
}

/** Canary PR(:ratio × T) and stable PR(:T) ('higher'), or PR(:T / ratio) and PR(:T) ('lower'). */
function rankQueries(g: ScaleGuardPlan, i: number, j: number, value: number, v: Versions): Query[] {
  return sides(g).flatMap((side) => {
    const canaryAt = side === 'higher' ? value * g.maxRatio : value / g.maxRatio;
    return [
      { id: `g${i}p${j}${side[0]}c`, metric: forVersion(g.values, v.canary), stat: `PR(:${bound(canaryAt)})` },
      { id: `g${i}p${j}${side[0]}s`, metric: forVersion(g.values, v.stable), stat: `PR(:${bound(value)})` },
    ];
  });
}

/**
 * A threshold fixed before the minutes it judges (so the test stays valid): the median of stable's
 * per-minute pXX over the REFERENCE_MINUTES before the rollout, from minutes with enough values.
 */
function reference(values: Series | undefined, counts: Series | undefined, start: number, p: number): ScaleReference | undefined {
  const usable = (t: number) => values?.get(t) !== undefined && (counts?.get(t) ?? 0) >= MIN_REFERENCE_SAMPLES;
  const before: number[] = [];
  for (let t = start - REFERENCE_MINUTES * MINUTE; t < start; t += MINUTE) if (usable(t)) before.push(values!.get(t)!);
  if (before.length > 0) return { ref: p, value: median(before), from: start };
  return undefined;
}

/**
 * Without a minute of enough values (a quiet stable): the first minute boundary by which stable
 * served MIN_REFERENCE_SAMPLES values since REFERENCE_MINUTES before the rollout. Only the minutes
 * from there on are judged against the pooled threshold.
 */
function pooledUntil(counts: Series | undefined, start: number, end: number): number | undefined {
  let seen = 0;
  for (let t = start - REFERENCE_MINUTES * MINUTE; t < end; t += MINUTE) {
    seen += counts?.get(t) ?? 0;
    if (seen >= MIN_REFERENCE_SAMPLES) return t + MINUTE;
  }
  return undefined;
}

function tables(minutes: readonly number[], row: (t: number) => [number, number, number, number]): MinuteTable[] {
  return minutes.map((t) => {
    const [canaryTrials, canaryEvents, stableTrials, stableEvents] = row(t);
    return { canaryTrials, canaryEvents: Math.min(canaryEvents, canaryTrials), stableTrials, stableEvents: Math.min(stableEvents, stableTrials) };
  });
}

async function getMetricData(queries: Query[], start: number, end: number, period = MINUTE): Promise<Map<string, Series>> {
  const out = new Map<string, Series>(queries.map((q) => [q.id, new Map()]));
  const requests: MetricDataQuery[] = queries.map((q) => ({
    Id: q.id,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: q.metric.namespace,
        MetricName: q.metric.metricName,
        Dimensions: Object.entries(q.metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: period,
      Stat: q.stat,
    },
  }));
  // GetMetricData takes at most 500 queries a call.
  for (let k = 0; k < requests.length; k += 500) {
    let token: string | undefined;
    do {
      const res = await awsCall('GetMetricData', () =>
        cloudwatch.send(
          new GetMetricDataCommand({
            MetricDataQueries: requests.slice(k, k + 500),
            StartTime: new Date(start * 1000),
            EndTime: new Date(end * 1000),
            NextToken: token,
          }),
        ),
      );
      for (const r of res.MetricDataResults ?? []) {
        const series = r.Id ? out.get(r.Id) : undefined;
        if (!series) continue;
        (r.Timestamps ?? []).forEach((ts, n) => {
          const v = r.Values?.[n];
          if (v !== undefined) series.set(Math.floor(new Date(ts).getTime() / 1000), v);
        });
      }
      token = res.NextToken;
    } while (token);
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A threshold CloudWatch accepts: a plain decimal (at most 10 places). */
function bound(x: number): string {
  return String(Number(x.toFixed(6)));
}

function round(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/**
 * The scale references to keep in the rollout's progress: each one once a minute it judges holds
 * data, so the threshold is fixed before the judge has looked at any minute it judges.
 */
export function referencesToKeep(readings: readonly GuardReading[]): Record<string, ScaleReference[]> {
  const out: Record<string, ScaleReference[]> = {};
  for (const r of readings) {
    if (r.guard.test !== 'scale' || !r.references) continue;
    const used = r.comparisons.some((c) => c.minutes.some((m) => m.canaryTrials > 0 && m.stableTrials > 0));
    if (used) out[r.guard.name] = [...r.references];
  }
  return out;
}
