/**
 * The judge's tests' fixtures: the default judged guards, and a fake CloudWatch: raw requests per version and minute, from which it
 * answers GetMetricData's Sum, SampleCount, pNN and PR(:x), in periods from StartTime (as
 * GetMetricData does), one datapoint per period that holds requests.
 */
import type { GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { type JudgePlan, VERSION_PLACEHOLDER } from '../../../../lambda/shared/judge-plan';
import type { Random } from '../../../../sim/aws/core/random';

/** A minute boundary to start the tests' rollouts at. */
export const START = 1_800_000_000 - (1_800_000_000 % 60);
export const versions = { canary: '7', stable: '6' };
const metric = (name: string) => ({ namespace: 'AWS/Lambda', metricName: name, dimensions: { FunctionName: 'fn', ExecutedVersion: VERSION_PLACEHOLDER } });

/** The default judged guards: error odds at most 1.5 × stable's, latency at most 1.2 × at stable's p50 and p95. */
export const plan: JudgePlan = {
  alpha: 0.01,
  canaryName: 'sentiment',
  stackName: 'Stack',
  guards: [
    { name: 'ErrorRateVsStable', test: 'rate', description: 'canary odds of an error at most 1.5 × stable’s', events: metric('Errors'), trials: metric('Invocations'), maxRatio: 1.5 },
    { name: 'LatencyVsStable', test: 'scale', description: 'canary at most 1.2 × slower', values: metric('Duration'), maxRatio: 1.2, referencePercentiles: [50, 95], direction: 'higher' },
  ],
};

export interface RawRequest {
  readonly error: boolean;
  readonly ms: number;
}

/** Raw requests per version and minute (epoch seconds of its start). */
export type Requests = Map<string, Map<number, RawRequest[]>>;

export function traffic(random: Random, minutes: number[], perMinute: Record<string, number>, behaviour: Record<string, { errorRate: number; p50: number; p95: number }>): Requests {
  const out: Requests = new Map();
  for (const [version, n] of Object.entries(perMinute)) {
    const byMinute = new Map<number, { error: boolean; ms: number }[]>();
    for (const t of minutes) {
      const b = behaviour[version];
      byMinute.set(t, Array.from({ length: n }, () => ({ error: random.chance(b.errorRate), ms: random.latency(b.p50, b.p95) })));
    }
    out.set(version, byMinute);
  }
  return out;
}

export function answer(requests: Requests) {
  return (input: GetMetricDataCommandInput) => {
    const start = input.StartTime!.getTime() / 1000;
    const end = input.EndTime!.getTime() / 1000;
    return {
      MetricDataResults: input.MetricDataQueries!.map((q) => {
        const stat = q.MetricStat!;
        const period = stat.Period!;
        const version = stat.Metric!.Dimensions!.find((d) => d.Name === 'ExecutedVersion')!.Value!;
        const timestamps: Date[] = [];
        const values: number[] = [];
        // Periods run from StartTime (GetMetricData's rule); each holds the requests of its minutes.
        for (let p = start; p + period <= end; p += period) {
          const list = [...(requests.get(version) ?? [])].filter(([t]) => t >= p && t < p + period).flatMap(([, l]) => l);
          if (list.length === 0) continue;
          const ms = list.map((r) => r.ms).sort((a, b) => a - b);
          const name = stat.Metric!.MetricName;
          const s = stat.Stat!;
          let v: number;
          if (s === 'Sum') v = name === 'Errors' ? list.filter((r) => r.error).length : list.length;
          else if (s === 'SampleCount') v = list.length;
          else if (s.startsWith('PR(:')) v = (100 * ms.filter((x) => x <= Number(s.slice(4, -1))).length) / ms.length;
          else v = ms[Math.max(0, Math.ceil((Number(s.slice(1)) / 100) * ms.length) - 1)];
          timestamps.push(new Date(p * 1000));
          values.push(v);
        }
        return { Id: q.Id, Timestamps: timestamps, Values: values };
      }),
    };
  };
}


/** Per-second traffic: `perSecond(t)` requests at second t, each the canary's with chance `canaryShare(t)`. */
export function secondsTraffic(
  random: Random,
  from: number,
  to: number,
  perSecond: (t: number) => number,
  canaryShare: (t: number) => number,
  behaviour: (version: 'canary' | 'stable', t: number) => { errorRate: number; p50: number; p95: number },
  versions: { canary: string; stable: string },
): Requests {
  const out: Requests = new Map([[versions.canary, new Map()], [versions.stable, new Map()]]);
  let carry = 0;
  for (let t = from; t < to; t++) {
    carry += perSecond(t);
    const n = Math.floor(carry + 1e-9);
    carry -= n;
    const minute = t - (((t % 60) + 60) % 60);
    for (let i = 0; i < n; i++) {
      const arm = random.chance(canaryShare(t)) ? 'canary' : 'stable';
      const b = behaviour(arm, t);
      const byMinute = out.get(versions[arm])!;
      if (!byMinute.has(minute)) byMinute.set(minute, []);
      byMinute.get(minute)!.push({ error: random.chance(b.errorRate), ms: random.latency(b.p50, b.p95) });
    }
  }
  return out;
}
