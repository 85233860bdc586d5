/**
 * The judge in the real state machine: first-minute regressions are rolled back by the check step
 * within one metric period + the publication lag + one check, a heavy-tailed healthy canary is
 * promoted, and every decision is visible as the judge's evidence metric and alarm.
 */
import type { RunResult, SimWorld } from '../../sim';
import { EVIDENCE_METRIC, JUDGE_NAMESPACE } from '../../lambda/shared/judge-plan';
import { exampleStack, simulate, STACK } from './helpers';

const LAG_SECONDS = 60;
const HEAVY = { errorRate: 0.01, latencyMs: { p50: 120, p95: 840 } };

/** When the canary first got a share, and when its weight went back to 0 (ms). */
function exposure(result: RunResult): { first: number; zero: number | undefined } {
  const first = result.aliasHistory.find((h) => h.extraPercent > 0)!.at;
  const zero = result.aliasHistory.find((h) => h.at > first && h.extraPercent === 0)?.at;
  return { first, zero };
}

describe('a canary failing 25 % of its requests from its first minute (20 requests a second, 5 % share)', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), {
      metricPublishDelaySeconds: LAG_SECONDS,
      scenario: { requestsPerSecond: 20, versions: { '1': HEAVY, '2': { ...HEAVY, errorRate: 0.25 } } },
    }));
    // The evidence datapoint is published with the same lag as every metric: let the alarm see it.
    await world.advance(LAG_SECONDS + 120);
  });
  afterAll(() => world?.dispose());

  it('is at 0 % within 180 s of getting traffic, decided by the judge', () => {
    const { first, zero } = exposure(result);
    expect(zero).toBeDefined();
    expect((zero! - first) / 1000).toBeLessThanOrEqual(180);
    expect(result.status).toBe('FAILED');
    expect(result.cause).toMatch(/ErrorRateVsStable/);
  });

  it('says why in the alert: counts per version, the odds ratio with its interval, the evidence and alpha', () => {
    const rolledBack = result.alerts.find((a) => a.event === 'ROLLED_BACK')!;
    const alarm = rolledBack.body?.alarm as { name: string; reason: string; value: number; threshold: number };
    expect(alarm.name).toBe(`${STACK}-SentimentCanary-ErrorRateVsStable`);
    expect(alarm.reason).toMatch(/canary \d+ of \d+ .*stable \d+ of \d+ .*odds ratio [\d.]+ \(anytime-valid interval [\d.]+–[\d.∞]+\).*evidence 10\^[\d.]+ .*alpha/);
    expect(alarm.value).toBeGreaterThanOrEqual(alarm.threshold);
    // The subject names the decider in full: the judge and the guard, not the alarm's whole name.
    expect(rolledBack.subject).toMatch(/^\[canary\] ROLLED BACK SentimentCanary v2 at 5% \(step 1\/4\): judge ErrorRateVsStable$/);
  });

  it('publishes the evidence, and the evidence alarm goes to ALARM', () => {
    const evidence = world.metrics.list().filter((m) => m.namespace === JUDGE_NAMESPACE && m.metricName === EVIDENCE_METRIC);
    expect(evidence.map((m) => m.dimensions.Guard)).toEqual(expect.arrayContaining(['ErrorRateVsStable', 'LatencyVsStable']));
    expect(world.alarm(`${STACK}-SentimentCanary-ErrorRateVsStable`)?.state).toBe('ALARM');
  });
});

describe('two identical versions with heavy-tailed latency (p95 7 × the median)', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), {
      metricPublishDelaySeconds: LAG_SECONDS,
      scenario: { requestsPerSecond: 20, versions: { '1': HEAVY, '2': HEAVY } },
    }));
  });
  afterAll(() => world?.dispose());

  it("is promoted, with the judge's evidence below its threshold throughout", () => {
    expect(result.status).toBe('SUCCEEDED');
    expect(result.alarmTransitions.filter((t) => t.to === 'ALARM')).toEqual([]);
  });
});

describe('a canary 1.6 × slower from its first minute (100 requests a second)', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), {
      metricPublishDelaySeconds: LAG_SECONDS,
      scenario: { requestsPerSecond: 100, versions: { '1': HEAVY, '2': { ...HEAVY, latencyMs: { p50: 192, p95: 1344 } } } },
    }));
  });
  afterAll(() => world?.dispose());

  it('is rolled back by LatencyVsStable within 360 s of getting traffic', () => {
    const { first, zero } = exposure(result);
    expect(zero).toBeDefined();
    expect((zero! - first) / 1000).toBeLessThanOrEqual(360);
    expect(result.cause).toMatch(/LatencyVsStable/);
  });
});
