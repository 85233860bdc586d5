/**
 * The AI-model signal guards of the example's SageMaker canary roll a bad model back, end to end:
 * the simulated endpoint's variants write the signals as the Python helper in bin/model/inference.py
 * sends them (PutMetricData, namespace ModelCanary, {Canary, Stack, Version = variant}). The Lambda
 * cases are in signal-rollbacks.test.ts; the healthy SageMaker rollout, in which these guards have
 * data and stay quiet, is in sagemaker.test.ts and alarm-coverage.test.ts.
 */
import { type ModelSignalBehaviour, type RunResult, SimWorld } from '../../sim';
import { STABLE_TAG } from '../../lambda/targets/sagemaker-endpoint/target';
import { simulateEndpointRelease } from './helpers';

const V1 = 'summarizer-v1';
const V2 = 'summarizer-v2';
const ALARM = (guard: string) => `ModelCanaryExample-SummarizerCanary-${guard}`;
const HEALTHY = { errorRate: 0.001, latencyMs: { p50: 300, p95: 800 } };
const STABLE: ModelSignalBehaviour = {
  inputTokens: { mean: 900, sd: 100 },
  outputTokens: { mean: 150, sd: 30 },
  guardrailInterventionRate: 0.01,
  schemaFailureRate: 0.001,
  classes: { summary: 0.95, refusal: 0.05 },
};

interface Case {
  readonly signal: string;
  readonly guard: string;
  /** Guards that may fire too (the same symptom seen another way). */
  readonly alsoAllowed?: string[];
  readonly bad: ModelSignalBehaviour;
}

const CASES: Case[] = [
  { signal: 'schema failures 5 %', guard: 'SchemaFailureRate', bad: { ...STABLE, schemaFailureRate: 0.05 } },
  {
    // Input-heavy, so the cost per request stays under its 150 % guard and the token guard sees it first.
    signal: 'tokens per request 2× stable',
    guard: 'TokensPerRequestVsStable',
    alsoAllowed: ['CostPerRequestVsStable'],
    bad: { ...STABLE, inputTokens: { mean: 2000, sd: 100 }, outputTokens: { mean: 100, sd: 20 } },
  },
];

const fired = (result: RunResult) => [...new Set(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.alarmName))];

describe.each(CASES)('a SummarizerCanary whose $signal', (c) => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulateEndpointRelease({
      requestsPerSecond: 10,
      versions: { [V1]: { ...HEALTHY, signals: STABLE }, [V2]: { ...HEALTHY, signals: c.bad } },
    }));
  });
  afterAll(() => world?.dispose());

  it(`is rolled back by ${c.guard}: the ROLLED_BACK alert names it and the canary variant ends at weight 0`, () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    const allowed = [c.guard, ...(c.alsoAllowed ?? [])].map(ALARM);
    expect(fired(result)).toContain(ALARM(c.guard));
    expect(fired(result).filter((name) => !allowed.includes(name))).toEqual([]);
    const rolledBack = result.alerts.filter((a) => a.event === 'ROLLED_BACK');
    expect(rolledBack.length).toBeGreaterThanOrEqual(1);
    const alarm = rolledBack[0].body?.alarm as { name: string; value: number; threshold: number };
    expect(allowed).toContain(alarm.name);
    expect(alarm.value).toBeGreaterThan(alarm.threshold);
    expect(world.endpoint()!.variants.find((v) => v.name === V2)!.currentWeight).toBe(0);
    expect(world.endpoint()!.tags.get(STABLE_TAG)).toBe(V1);
  });
});
