/**
 * npm run bench (scripts/bench.ts) and the strategies it compares (sim/strategies.ts): every strategy
 * runs one short scenario on the simulated AWS and yields the benchmark's metrics; the summary and
 * the verdict follow from the runs.
 */
import type { ScenarioFile } from '../../sim/scenario';
import { ALL_STRATEGIES, type AnyStrategy, runStrategy, type StrategyRun } from '../../sim/strategies';
import { isFalseRollback, summarize } from '../../scripts/bench';

/** The canary fails half its requests from its deploy on; seven minutes of 20 requests a second. */
const BROKEN: ScenarioFile = {
  name: 'broken-from-the-start',
  target: 'lambda',
  durationMinutes: 7,
  requestsPerSecond: 20,
  stable: { errorRate: 0.01, latencyMs: { p50: 120, p95: 300 }, tokensPerRequest: 400, guardrailBlockRate: 0.002 },
  canary: { errorRate: 0.5, latencyMs: { p50: 120, p95: 300 }, tokensPerRequest: 400, guardrailBlockRate: 0.002 },
};

describe('strategies on one short scenario (seed 3)', () => {
  const runs = new Map<AnyStrategy, StrategyRun>();

  beforeAll(async () => {
    for (const strategy of ALL_STRATEGIES) runs.set(strategy, await runStrategy(BROKEN, { seed: 3, strategy }));
  }, 60_000);

  it.each([...ALL_STRATEGIES])('%s yields the metrics, consistent with what the canary served', (strategy) => {
    const r = runs.get(strategy)!;
    expect(r).toMatchObject({ scenario: 'broken-from-the-start', strategy, seed: 3, regressionOnsetSeconds: 0, regression: ['errorRate'] });
    expect(r.blastRadiusFailed).toBeLessThanOrEqual(r.blastRadiusRequests);
    expect(r.blastRadiusFailed).toBeLessThanOrEqual(r.canaryFailedRequests);
    expect(r.blastRadiusRequests).toBeLessThanOrEqual(r.canaryRequests);
    // The anchors put the canary on 10 % at once; every request it fails after the onset (0) counts.
    if (strategy !== 'model-canary') {
      expect(r.steps[0].percent).toBe(10);
      expect(r.blastRadiusFailed).toBeGreaterThan(0);
      expect(r.blastRadiusFailed).toBe(r.canaryFailedRequests);
    }
    if (r.weightZeroAtSeconds !== null) expect(r.detectionSeconds).toBe(r.weightZeroAtSeconds);
  });

  it('the seed controller rolls back at its first evaluation with 100 canary requests (10 % of 20 req/s: the second minute)', () => {
    const r = runs.get('seed-controller')!;
    expect(r.outcome).toBe('rolled_back');
    expect(r.steps.map((s) => s.percent)).toEqual([10, 0]);
    expect(r.weightZeroAtSeconds).toBeGreaterThan(120);
    expect(r.weightZeroAtSeconds).toBeLessThan(140);
  });

  it('flagger rolls back after its fifth failed check, at 10 %', () => {
    const r = runs.get('flagger')!;
    expect(r.outcome).toBe('rolled_back');
    expect(r.reason).toMatch(/^5 failed checks/);
    expect(r.maxCanaryWeight).toBe(10);
    expect(r.weightZeroAtSeconds).toBeGreaterThan(300);
    expect(r.weightZeroAtSeconds).toBeLessThan(320);
  });

  // Pre-traffic requests are retried (a healthy model's transient errors must not end a release), so
  // a model failing half its requests may pass the smoke test; the guards then stop it at 5 %.
  it('model-canary (the real workflow) stops it within its first 5 % step', () => {
    const r = runs.get('model-canary')!;
    expect(['failed', 'rolled_back']).toContain(r.outcome);
    if (r.outcome === 'failed') expect(r.reason).toMatch(/^PreTrafficCheckFailed/);
    expect(r.maxCanaryWeight).toBeLessThanOrEqual(5);
    expect(r.weightZeroAtSeconds ?? 0).toBeLessThan(600);
    expect(r.blastRadiusFailed).toBeLessThan(runs.get('codedeploy-canary10-5min')!.blastRadiusFailed);
  });
});

describe('summarize', () => {
  const run = (strategy: AnyStrategy, scenario: string, onset: number | null, over: Partial<StrategyRun>): StrategyRun => ({
    scenario,
    strategy,
    seed: 1,
    outcome: 'promoted',
    reason: null,
    regressionOnsetSeconds: onset,
    regression: onset === null ? [] : ['errorRate'],
    weightZeroAtSeconds: null,
    promotedAtSeconds: null,
    detectionSeconds: null,
    blastRadiusFailed: 0,
    blastRadiusRequests: 0,
    canaryRequests: 0,
    canaryFailedRequests: 0,
    maxCanaryWeight: 0,
    steps: [],
    simulatedSeconds: 0,
    realMs: 0,
    ...over,
  });

  it('counts a rollback before the onset or without a regression as false, and judges the goal against the best anchor', () => {
    expect(isFalseRollback(run('flagger', 'x', 600, { weightZeroAtSeconds: 300 }))).toBe(true);
    expect(isFalseRollback(run('flagger', 'x', 600, { weightZeroAtSeconds: 700 }))).toBe(false);
    expect(isFalseRollback(run('flagger', 'h', null, { weightZeroAtSeconds: 700 }))).toBe(true);
    const runs = [
      run('model-canary', 'spike', 0, { blastRadiusFailed: 30, weightZeroAtSeconds: 200, detectionSeconds: 200 }),
      run('seed-controller', 'spike', 0, { blastRadiusFailed: 100, weightZeroAtSeconds: 100, detectionSeconds: 100 }),
      run('flagger', 'spike', 0, { blastRadiusFailed: 89 }),
      run('model-canary', 'healthy', null, { promotedAtSeconds: 1800 }),
      run('seed-controller', 'healthy', null, { promotedAtSeconds: 250 }),
      run('flagger', 'healthy', null, { weightZeroAtSeconds: 400 }),
    ];
    const { cells, verdicts, falseRollbacksHealthy } = summarize(runs, ['model-canary', 'seed-controller', 'flagger']);
    expect(falseRollbacksHealthy).toEqual({ 'model-canary': { rollbacks: 0, runs: 1 }, 'seed-controller': { rollbacks: 0, runs: 1 }, flagger: { rollbacks: 1, runs: 1 } });
    expect(cells.find((c) => c.scenario === 'healthy' && c.strategy === 'seed-controller')?.secondsTo100Median).toBe(250);
    // Best anchor by blast radius: flagger (89); 30 > 89 / 3, so not met; against seed-controller (no more false rollbacks) 30 ≤ 100 / 3.
    expect(verdicts).toEqual([
      expect.objectContaining({ scenario: 'spike', bestAnchor: 'flagger', bestAnchorBlast: 89, met: false, comparable: { anchor: 'seed-controller', blast: 100, met: true } }),
    ]);
  });
});
