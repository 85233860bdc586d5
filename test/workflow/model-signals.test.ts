/**
 * The AI-model guards fed by the runtime helper's signals (EMF, namespace ModelCanary, dimensions
 * Canary + Version), which the simulated model writes per request.
 */
import type { ModelSignalBehaviour, RunResult, SimWorld } from '../../sim';
import { alertEvents, exampleStack, HEALTHY, simulate, stepWeights } from './helpers';

const SIGNALS: ModelSignalBehaviour = {
  inputTokens: { mean: 400, sd: 50 },
  outputTokens: { mean: 120, sd: 30 },
  guardrailInterventionRate: 0.01,
  schemaFailureRate: 0.001,
  responseLength: { mean: 600, sd: 100 },
  classes: { positive: 0.6, negative: 0.4 },
};
const ALARM = (guard: string) => `ModelCanaryExample-SentimentCanary-${guard}`;
const fired = (result: RunResult) => [...new Set(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.alarmName))];

describe('a canary whose predictions shift (positive 90% instead of 60%)', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), {
      scenario: {
        requestsPerSecond: 10,
        versions: { '1': { ...HEALTHY, signals: SIGNALS }, '2': { ...HEALTHY, signals: { ...SIGNALS, classes: { positive: 0.9, negative: 0.1 } } } },
      },
    }));
  });
  afterAll(() => world?.dispose());

  it('is rolled back by the judge’s PredictionShift guard in the first step, before any alarm', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    expect(result.cause).toMatch(/PredictionShift: canary worse than stable\. predictions of "(positive|negative)"/);
    expect(stepWeights(result)).toEqual([5]);
    expect(fired(result)).toEqual([]);
    const rolledBack = result.alerts.find((a) => a.event === 'ROLLED_BACK')!;
    const alarm = rolledBack.body?.alarm as { name: string; value: number; threshold: number; reason: string };
    expect(alarm.name).toBe(ALARM('PredictionShift'));
    // The evidence (log10 of the e-value) passed the guard's share of alpha.
    expect(alarm.value).toBeGreaterThanOrEqual(alarm.threshold);
    // 90/10 against 60/40: the "negative" class's odds ratio is (0.1/0.9)/(0.4/0.6) = 0.17, well below 1/1.5.
    const estimate = Number(/odds ratio ([\d.]+)/.exec(alarm.reason)![1]);
    expect(estimate < 1 / 1.5 || estimate > 1.5).toBe(true);
  });
});

describe('healthy signals on both versions ', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), {
      scenario: { requestsPerSecond: 10, versions: { '1': { ...HEALTHY, signals: SIGNALS }, '2': { ...HEALTHY, signals: SIGNALS } } },
    }));
  });
  afterAll(() => world?.dispose());

  it('promotes without any guard firing, while every signal guard had data', () => {
    expect(result.status).toBe('SUCCEEDED');
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    expect(fired(result)).toEqual([]);
    // GuardrailBlocks has no datapoint at the 100 % step (no stable traffic to compare the block rate
    // with); test/workflow/signal-rollbacks.test.ts shows it firing. The ratio guards lose their data
    // once stable serves nothing (the 100 % step, the post-promotion watch): each had data before.
    const promotedAt = result.alerts.find((a) => a.event === 'PROMOTED')!.at;
    for (const guard of ['TokensPerRequestRatio', 'SchemaFailureRate', 'CostPerRequest', 'TokensPerRequestVsStable', 'ResponseLengthVsStable', 'PredictionShift']) {
      const withData = world.alarm(ALARM(guard))!.lastEvaluationWithData;
      expect({ guard, withData: withData !== undefined }).toEqual({ guard, withData: true });
      // Data within the last 20 minutes of the rollout, not only at its start.
      expect(withData!.at).toBeGreaterThan(promotedAt - 20 * 60);
    }
  });
});

/**
 * The absolute cost guard must fire even when the newest minute's signals arrive late: the cost
 * expression has no FILL, so a minute without data gives no datapoint rather than a cost of 0 that
 * would keep an every-minute-breaches alarm OK. Both versions cost 0.06 per request (max 0.05), so
 * only this absolute guard can catch it; its vs-stable sibling sees a ratio of 1.
 */
describe('the absolute cost guard, with signals on time and a minute late', () => {
  const expensive: ModelSignalBehaviour = { ...SIGNALS, outputTokens: { mean: 4000, sd: 100 } };
  const scenario = { requestsPerSecond: 10, versions: { '1': { ...HEALTHY, signals: expensive }, '2': { ...HEALTHY, signals: expensive } } };
  let onTime: { world: SimWorld; result: RunResult };
  let late: { world: SimWorld; result: RunResult };

  beforeAll(async () => {
    onTime = await simulate(exampleStack(), { scenario });
    onTime.world.dispose();
    late = await simulate(exampleStack(), { scenario, metricPublishDelaySeconds: 90 });
  });
  afterAll(() => late?.world.dispose());

  it('fires and rolls back when every minute is published on time', () => {
    expect(fired(onTime.result)).toEqual([ALARM('CostPerRequest')]);
    expect(onTime.result.error).toBe('CanaryRolledBack');
    expect(stepWeights(onTime.result)).toEqual([5]);
  });

  it('still fires and rolls back when the newest minute is 90 s late', () => {
    expect(fired(late.result)).toEqual([ALARM('CostPerRequest')]);
    expect(late.result.error).toBe('CanaryRolledBack');
    expect(late.result.status).toBe('FAILED');
  });
});

/**
 * Blocks a minute grow with the canary's share of traffic, so GuardrailBlocks counts them only in
 * minutes where the canary is blocked more often than stable: a canary that intervenes exactly as
 * often as stable (6 %) must be promoted even when its share passes 10 blocks a minute.
 */
describe('a canary blocked exactly as often as stable, at 10 requests per second', () => {
  let world: SimWorld;
  let result: RunResult;
  const same: ModelSignalBehaviour = { ...SIGNALS, guardrailInterventionRate: 0.06 };

  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), {
      scenario: { requestsPerSecond: 10, versions: { '1': { ...HEALTHY, signals: same }, '2': { ...HEALTHY, signals: same } } },
    }));
  });
  afterAll(() => world?.dispose());

  it('is promoted: neither guardrail guard fires as its share grows past 10 blocks a minute', () => {
    expect(fired(result)).toEqual([]);
    expect(stepWeights(result)).toEqual([5, 25, 50, 95]);
    expect(result.status).toBe('SUCCEEDED');
  });
});
