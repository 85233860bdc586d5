/**
 * The judge's data: per-minute CloudWatch aggregates of both versions since the rollout started,
 * read with GetMetricData (two calls per check). Rate and class guards read Sums; scale guards read
 * SampleCount and the percentile rank PR(:T) at thresholds taken from stable before the rollout
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html:
 * "PR(:300) returns the percentage of data points that have a value of 300 or less"; lower bound
 * exclusive, upper inclusive).
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { awsCall } from '../errors';
import { forVersion, type JudgedGuardPlan, type JudgedMetric, type JudgePlan, type ScaleGuardPlan } from '../judge-plan';
import type { MinuteTable } from './odds-ratio';
import type { Comparison, GuardReading } from './verdict';

const cloudwatch = new CloudWatchClient({});
const MINUTE = 60;
/** Minutes of stable's traffic before the rollout that set a scale guard's thresholds. */
export const REFERENCE_MINUTES = 5;
/** A minute of stable's latency sets a threshold only with this many requests. */
const MIN_REFERENCE_SAMPLES = 20;

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

/** Every guard's comparisons over the complete minutes in [startedAt's minute, now's minute). */
export async function readGuards(plan: JudgePlan, versions: Versions, startedAt: number, now: number): Promise<GuardReading[]> {
  const start = Math.floor(startedAt / MINUTE) * MINUTE;
  const end = Math.floor(now / MINUTE) * MINUTE;
  const minutes: number[] = [];
  for (let t = start; t < end; t += MINUTE) minutes.push(t);

  const first: Query[] = [];
  plan.guards.forEach((g, i) => first.push(...firstQueries(g, i, g.versions ?? versions)));
  const data = await getMetricData(first, start - REFERENCE_MINUTES * MINUTE, Math.max(end, start + MINUTE));

  const thresholds = new Map<number, { ref: number; value: number; from: number }[]>();
  const second: Query[] = [];
  plan.guards.forEach((g, i) => {
    if (g.test !== 'scale') return;
    const refs = g.referencePercentiles.map((p, j) => reference(data.get(`g${i}r${j}`), data.get(`g${i}sn`), start, p));
    const usable = refs.filter((r): r is { ref: number; value: number; from: number } => r !== undefined);
    thresholds.set(i, usable);
    usable.forEach((r, j) => second.push(...rankQueries(g, i, j, r.value, g.versions ?? versions)));
  });
  const ranks = second.length > 0 ? await getMetricData(second, start, Math.max(end, start + MINUTE)) : new Map<string, Series>();

  return plan.guards.map((g, i) => {
    const at = (id: string, t: number) => data.get(id)?.get(t) ?? ranks.get(id)?.get(t) ?? 0;
    switch (g.test) {
      case 'rate':
        return {
          guard: g,
          comparisons: [
            { label: g.eventsLabel ?? 'events', psi0: g.maxRatio, side: 'above', minutes: tables(minutes, (t) => [at(`g${i}ct`, t), at(`g${i}ce`, t), at(`g${i}st`, t), at(`g${i}se`, t)]) },
          ],
        };
      case 'classes': {
        const totals = (arm: 'c' | 's', t: number) => g.classes.reduce((s, _k, j) => s + at(`g${i}k${j}${arm}`, t), 0);
        const comparisons: Comparison[] = g.classes.flatMap((k, j) =>
          (['above', 'below'] as const).map((side) => ({
            label: `predictions of "${k.name}"`,
            psi0: side === 'above' ? g.maxRatio : 1 / g.maxRatio,
            side,
            minutes: tables(minutes, (t) => [totals('c', t), at(`g${i}k${j}c`, t), totals('s', t), at(`g${i}k${j}s`, t)]),
          })),
        );
        return { guard: g, comparisons };
      }
      case 'scale': {
        const refs = thresholds.get(i) ?? [];
        if (refs.length === 0) return { guard: g, comparisons: [], undecided: 'no reference from stable yet (stable served no requests before the rollout)' };
        const comparisons: Comparison[] = refs.flatMap((r, j) =>
          sides(g).map((side) => {
            const judged = minutes.filter((t) => t >= r.from);
            const count = (arm: 'c' | 's', t: number) => {
              const n = at(`g${i}${arm}n`, t);
              const below = Math.round((n * at(`g${i}p${j}${side[0]}${arm}`, t)) / 100);
              // PR counts values at or below the threshold; 'higher' counts the ones above it.
              return side === 'higher' ? n - below : below;
            };
            return {
              label: `requests ${side === 'higher' ? 'above' : 'at or below'} ${side === 'higher' ? `${g.maxRatio} × ` : `1/${g.maxRatio} × `}stable's p${r.ref} (${round(r.value)})`,
              psi0: 1,
              side: 'above' as const,
              minutes: tables(judged, (t) => [at(`g${i}cn`, t), count('c', t), at(`g${i}sn`, t), count('s', t)]),
            };
          }),
        );
        return { guard: g, comparisons };
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
 * per-minute pXX over the REFERENCE_MINUTES before the rollout; without them, stable's pXX in the
 * rollout's first minute, and only the minutes after it are judged.
 */
function reference(values: Series | undefined, counts: Series | undefined, start: number, p: number): { ref: number; value: number; from: number } | undefined {
  const usable = (t: number) => values?.get(t) !== undefined && (counts?.get(t) ?? 0) >= MIN_REFERENCE_SAMPLES;
  const before: number[] = [];
  for (let t = start - REFERENCE_MINUTES * MINUTE; t < start; t += MINUTE) if (usable(t)) before.push(values!.get(t)!);
  if (before.length > 0) return { ref: p, value: median(before), from: start };
  if (usable(start)) return { ref: p, value: values!.get(start)!, from: start + MINUTE };
  return undefined;
}

function tables(minutes: readonly number[], row: (t: number) => [number, number, number, number]): MinuteTable[] {
  return minutes.map((t) => {
    const [canaryTrials, canaryEvents, stableTrials, stableEvents] = row(t);
    return { canaryTrials, canaryEvents: Math.min(canaryEvents, canaryTrials), stableTrials, stableEvents: Math.min(stableEvents, stableTrials) };
  });
}

async function getMetricData(queries: Query[], start: number, end: number): Promise<Map<string, Series>> {
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
      Period: MINUTE,
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
