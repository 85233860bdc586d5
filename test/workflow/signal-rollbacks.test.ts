/**
 * One rollback per AI-model signal guard on the Lambda canary (prediction shift and cost are in
 * model-signals.test.ts): the simulated model writes the runtime helper's signals (EMF, namespace
 * ModelCanary, dimensions Canary + Version) per request; a canary that is off on one signal must be
 * rolled back by that signal's guard, and a twin that is only a little off must be promoted without
 * that guard ever firing.
 */
import type { ModelSignalBehaviour, RunResult, SimWorld } from '../../sim';
import { exampleStack, guardSeries, HEALTHY, simulate, stepWeights } from './helpers';

const STABLE: ModelSignalBehaviour = {
  inputTokens: { mean: 400, sd: 50 },
  outputTokens: { mean: 120, sd: 30 },
  guardrailInterventionRate: 0.01,
  schemaFailureRate: 0.001,
  responseLength: { mean: 600, sd: 100 },
  classes: { positive: 0.6, negative: 0.4 },
};
const ALARM = (guard: string) => `ModelCanaryExample-SentimentCanary-${guard}`;
const fired = (result: RunResult) => [...new Set(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.alarmName))];

interface Case {
  readonly signal: string;
  /** The guard that must catch it. */
  readonly guard: string;
  /** Guards that may fire too (the same symptom seen another way). */
  readonly alsoAllowed?: string[];
  readonly bad: ModelSignalBehaviour;
  readonly twin: ModelSignalBehaviour;
}

const CASES: Case[] = [
  {
    // Input-heavy, so its cost stays within 150 % of stable's (1.36×) and only the token guard can see it.
    signal: 'tokens per request 2× stable (longer prompts)',
    guard: 'TokensPerRequestVsStable',
    bad: { ...STABLE, inputTokens: { mean: 960, sd: 50 }, outputTokens: { mean: 80, sd: 20 } },
    twin: { ...STABLE, inputTokens: { mean: 500, sd: 50 }, outputTokens: { mean: 130, sd: 30 } },
  },
  {
    signal: 'guardrail block rate 30 % against stable’s 1 %',
    guard: 'GuardrailBlockRateVsStable',
    alsoAllowed: ['GuardrailBlocks'],
    bad: { ...STABLE, guardrailInterventionRate: 0.3 },
    // Within the guard's margin (odds 1.5 × stable's): 1.3 %. A 2 % twin is 2 × stable's odds, beyond
    // it, and the judge holds it until it fires (a step does not pass while a guard leans toward harm).
    twin: { ...STABLE, guardrailInterventionRate: 0.013 },
  },
  {
    signal: 'schema failures 5 %',
    guard: 'SchemaFailureRate',
    bad: { ...STABLE, schemaFailureRate: 0.05 },
    twin: { ...STABLE, schemaFailureRate: 0.002 },
  },
  {
    signal: 'response length 3× stable',
    guard: 'ResponseLengthVsStable',
    bad: { ...STABLE, responseLength: { mean: 1800, sd: 300 } },
    twin: { ...STABLE, responseLength: { mean: 720, sd: 120 } },
  },
];

async function run(canary: ModelSignalBehaviour): Promise<{ world: SimWorld; result: RunResult }> {
  return simulate(exampleStack(), {
    scenario: { requestsPerSecond: 10, versions: { '1': { ...HEALTHY, signals: STABLE }, '2': { ...HEALTHY, signals: canary } } },
  });
}

describe.each(CASES)('a canary whose $signal', (c) => {
  let bad: RunResult;
  let twin: RunResult;
  let twinWorld: SimWorld;

  beforeAll(async () => {
    const first = await run(c.bad);
    bad = first.result;
    first.world.dispose();
    ({ world: twinWorld, result: twin } = await run(c.twin));
  });
  afterAll(() => twinWorld?.dispose());

  it(`is rolled back: ${c.guard} fires and the ROLLED_BACK alert names it`, () => {
    expect(bad.status).toBe('FAILED');
    expect(bad.error).toBe('CanaryRolledBack');
    // The judge (check step) decides the judged guards before their evidence alarms see the datapoint.
    expect(fired(bad).every((name) => [c.guard, ...(c.alsoAllowed ?? [])].map(ALARM).includes(name))).toBe(true);
    const rolledBack = bad.alerts.filter((a) => a.event === 'ROLLED_BACK');
    expect(rolledBack.length).toBeGreaterThanOrEqual(1);
    const alarm = rolledBack[0].body?.alarm as { name: string; value: number; threshold: number };
    expect([c.guard, ...(c.alsoAllowed ?? [])].map(ALARM)).toContain(alarm.name);
    expect(alarm.value).toBeGreaterThan(alarm.threshold);
    // The canary ends at 0 %, and it never got past the step where the guard fired.
    expect(bad.aliasHistory[bad.aliasHistory.length - 1]).toMatchObject({ functionVersion: '1', extraPercent: 0 });
    expect(stepWeights(bad).length).toBeLessThan(4);
  });

  it(`has a twin a little off on the same signal that is promoted without ${c.guard} firing`, () => {
    expect(twin.status).toBe('SUCCEEDED');
    expect(stepWeights(twin)).toEqual([5, 25, 50, 95]);
    expect(fired(twin)).toEqual([]);
    // The guard had the twin's data during the rollout, typically below its threshold: it watched and stayed quiet.
    const { values, threshold } = guardSeries(twinWorld, twin, ALARM(c.guard));
    expect(values.length).toBeGreaterThan(10);
    expect([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]).toBeLessThanOrEqual(threshold);
  });
});
