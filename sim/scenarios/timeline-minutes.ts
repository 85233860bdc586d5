/**
 * A scenario run's per-minute numbers, read back from the simulated CloudWatch the way a dashboard
 * would show them: requests, errors, p95 latency, tokens and guardrail blocks of stable and canary.
 */
import { type TargetSignal, targetMetricSpec } from '../../lambda/targets/contract';
import { contractOf } from '../../lambda/targets/kinds';
import type { MetricId } from '../aws/cloudwatch/metrics';
import type { SimWorld } from '../world/world';
import type { SimVersions } from './scenario';

const MINUTE = 60_000;

export interface VersionMinute {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  readonly p95LatencyMs: number | null;
  readonly tokensPerRequest: number | null;
  readonly guardrailBlocks: number;
}

export interface TimelineMinute {
  /** Minutes since the deploy of the canary (the minute's start; negative: before). */
  readonly minute: number;
  /** The canary's share of requests served in this minute, in percent. */
  readonly canaryShare: number | null;
  readonly stable: VersionMinute;
  readonly canary: VersionMinute;
}

/** Per-minute numbers read back from the simulated CloudWatch (what a dashboard would show). */
export function minutesOf(world: SimWorld, versions: SimVersions, from: number, to: number, deployAt: number): TimelineMinute[] {
  // The target's own metrics per version, from its kind's contract (lambda/targets/<kind>/contract.ts).
  const contract = contractOf(world.targetKind);
  const canaryName = world.metrics.list().find((m) => m.namespace === 'ModelCanary' && m.dimensions.Canary)?.dimensions.Canary ?? '';
  const now = world.now();
  const targetMetric = (version: string, signal: TargetSignal): MetricId => targetMetricSpec(contract, world.targetConfig, version, signal);
  const signal = (version: string, metricName: string): MetricId => ({ namespace: 'ModelCanary', metricName, dimensions: { Canary: canaryName, Stack: world.stackName, Version: version } });
  const byMinute = (id: MetricId, stat: string) => new Map(world.metrics.series(id, stat, 60, from, to, now).map((d) => [d.timestamp, d.value]));
  const read = (version: string) => ({
    requests: byMinute(targetMetric(version, 'requests'), 'Sum'),
    errors: byMinute(targetMetric(version, 'errors'), 'Sum'),
    p95: new Map([...byMinute(targetMetric(version, 'latency'), 'p95')].map(([t, v]) => [t, v / contract.metrics.latencyUnitsPerMillisecond])),
    tokens: byMinute(signal(version, 'TotalTokens'), 'Average'),
    blocks: byMinute(signal(version, 'GuardrailIntervened'), 'Sum'),
  });
  const s = read(versions.stable);
  const c = read(versions.canary);
  const out: TimelineMinute[] = [];
  const round = (x: number | undefined, digits = 2) => (x === undefined ? null : Math.round(x * 10 ** digits) / 10 ** digits);
  const version = (r: ReturnType<typeof read>, t: number): VersionMinute => {
    const requests = r.requests.get(t) ?? 0;
    const errors = r.errors.get(t) ?? 0;
    return {
      requests,
      errors,
      errorRate: requests > 0 ? round(errors / requests, 4) : null,
      p95LatencyMs: round(r.p95.get(t), 1),
      tokensPerRequest: round(r.tokens.get(t), 1),
      guardrailBlocks: r.blocks.get(t) ?? 0,
    };
  };
  for (let t = Math.floor(from / MINUTE) * MINUTE; t < to; t += MINUTE) {
    const st = version(s, t);
    const ca = version(c, t);
    const total = st.requests + ca.requests;
    out.push({ minute: (t - deployAt) / MINUTE, canaryShare: total > 0 ? round((ca.requests / total) * 100, 1) : null, stable: st, canary: ca });
  }
  return out;
}
