/**
 * The SummarizerCanary of the example app (a SageMaker real-time endpoint with a stable and a
 * canary production variant), end to end on the simulator: the synthesized state machine, the real
 * handlers, SageMaker's endpoint states (Creating, Updating, InService) on a virtual clock.
 */
import { DeployError, type EndpointChange, type FaultKind, type ModelSignalBehaviour, type RunResult, SimWorld } from '../../sim';
import { COMPLETE_MARKER } from '../../lambda/shared/release-complete';
import { STABLE_TAG } from '../../lambda/targets/sagemaker-endpoint/target';
import { alertEvents, exampleStack, guardSeries, retriesOf, simulateEndpointRelease, statesEntered } from './helpers';

const V1 = 'summarizer-v1';
const V2 = 'summarizer-v2';
const ALARM = (guard: string) => `ModelCanaryExample-SummarizerCanary-${guard}`;
/** A summarizer on an ml.m5.large: 0.1 % errors, p50 300 ms, p95 800 ms. */
const HEALTHY = { errorRate: 0.001, latencyMs: { p50: 300, p95: 800 } };
/** The runtime helper's signals: every judged guard of the example has data (a blind guard would hold each step). */
const SIGNALS: ModelSignalBehaviour = {
  inputTokens: { mean: 900, sd: 100 },
  outputTokens: { mean: 150, sd: 30 },
  guardrailInterventionRate: 0.01,
  schemaFailureRate: 0.001,
  responseLength: { mean: 700, sd: 120 },
  classes: { summary: 0.95, refusal: 0.05 },
};
const healthy = { ...HEALTHY, signals: SIGNALS };

/** The endpoint on V1 (created, then InService), two minutes of traffic, then the deploy of V2 that starts the rollout. */

const weightChanges = (result: RunResult, by?: string): EndpointChange[] =>
  result.endpointHistory.filter((h) => h.operation === 'UpdateEndpointWeightsAndCapacities' && (by === undefined || h.by === by));
/** The canary's DesiredWeight in each weight change the set-weight step made. */
const canarySteps = (result: RunResult) => weightChanges(result, 'set-weight').map((h) => h.desiredWeights?.[V2]);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fired = (result: RunResult) => [...new Set(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.alarmName))];

describe('a healthy SummarizerCanary rollout', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulateEndpointRelease({ requestsPerSecond: 10, versions: { [V1]: healthy, [V2]: healthy } }));
  });
  afterAll(() => world?.dispose());

  it('creates the endpoint on the first deploy with the model as its only variant, tagged stable', () => {
    const created = result.endpointHistory.find((h) => h.operation === 'CreateEndpoint')!;
    expect(created).toMatchObject({ by: 'release', status: 'Creating' });
    expect(created.variants.map((v) => v.name)).toEqual([V1]);
  });

  it('adds the canary variant at weight 0 while the old variant keeps serving, then waits out Updating', () => {
    const update = result.endpointHistory.find((h) => h.operation === 'UpdateEndpoint')!;
    expect(update.by).toBe('start');
    const done = result.endpointHistory.find((h) => h.operation === 'UpdateEndpoint:done')!;
    expect(done.variants.map((v) => [v.name, v.currentWeight])).toEqual([
      [V1, 1],
      [V2, 0],
    ]);
    // The first weight change comes only after the endpoint is InService again.
    expect(weightChanges(result)[0].at).toBeGreaterThan(done.at);
    expect(retriesOf(result, 'Start').filter((r) => r.errors.includes('EndpointBusy')).length).toBeGreaterThan(0);
    // Traffic never stopped while Updating: V1 served every minute of it (10 requests a second).
    const out = world.cloudwatch.getMetricData({
      StartTime: new Date(Math.ceil(update.at / 60_000) * 60_000),
      EndTime: new Date(Math.floor(done.at / 60_000) * 60_000),
      MetricDataQueries: [
        {
          Id: 'v1',
          MetricStat: {
            Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocations', Dimensions: [{ Name: 'EndpointName', Value: world.endpointName }, { Name: 'VariantName', Value: V1 }] },
            Period: 60,
            Stat: 'Sum',
          },
        },
      ],
    });
    const perMinute = out.MetricDataResults![0].Values!;
    expect(perMinute.length).toBe(Math.floor(done.at / 60_000) - Math.ceil(update.at / 60_000));
    expect(Math.min(...perMinute)).toBeGreaterThan(500);
  });

  it('moves the canary DesiredWeight 5 → 25 → 50 → 100 (stable 95 → 75 → 50 → its 5 % control), each step baking 10 minutes', () => {
    expect(canarySteps(result)).toEqual([5, 25, 50, 95]);
    expect(weightChanges(result, 'set-weight').map((h) => h.desiredWeights?.[V1])).toEqual([95, 75, 50, 5]);
    const changes = weightChanges(result).filter((h) => h.by === 'set-weight' || h.by === 'promote');
    for (let i = 1; i < changes.length; i++) {
      // 10 minutes from one step's start to the next (the step starts just before its weight call).
      expect(changes[i].at - changes[i - 1].at).toBeGreaterThanOrEqual(599_000);
      expect(changes[i].at - changes[i - 1].at).toBeLessThan(600_000 + 60_000);
    }
  });

  it('ends SUCCEEDED in Promoted, alerting STARTED, four STEPs and PROMOTED', () => {
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result).slice(-3)).toEqual(['WatchCheck', 'WatchedOrNot', 'Promoted']);
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    expect(result.alerts.map((a) => a.body?.weightPercent)).toEqual([0, 5, 25, 50, 95, 95]);
  });

  it('keeps the old variant at its 5 % control through the watch, then moves it to weight 0 (by the watch)', () => {
    const promote = weightChanges(result, 'promote');
    expect(promote.map((h) => h.desiredWeights)).toEqual([{ [V1]: 5, [V2]: 95 }]);
    const end = weightChanges(result, 'watch');
    expect(end.map((h) => h.desiredWeights)).toEqual([{ [V1]: 0, [V2]: 100 }]);
    expect(end[0].at - promote[0].at).toBeGreaterThanOrEqual(600_000);
  });

  it('tags the canary as the stable variant and leaves the old variant at weight 0', () => {
    const endpoint = world.endpoint()!;
    expect(endpoint.status).toBe('InService');
    expect(endpoint.tags.get(STABLE_TAG)).toBe(V2);
    expect(endpoint.variants.map((v) => [v.name, v.currentWeight, v.desiredWeight])).toEqual([
      [V1, 0, 0],
      [V2, 100, 100],
    ]);
  });

  it('fires no guard, while the endpoint and signal guards all had the canary’s data (per variant, latency in µs)', () => {
    expect(fired(result)).toEqual([]);
    expect(world.served.get(V2)!.requests).toBeGreaterThan(4 * 100);
    // Each guard had the canary's data most of the rollout, typically well below its threshold (a
    // noisy minute at 5 % may cross it: the alarms need several in a row). The judged guards'
    // series is the judge's evidence, published at every check.
    for (const guard of ['ErrorRateVsStable', 'LatencyVsStable', 'TokensPerRequestVsStable', 'TokensPerRequestRatio', 'SchemaFailureRate', 'CostPerRequest']) {
      const { values, threshold } = guardSeries(world, result, ALARM(guard));
      expect({ guard, minutesWithData: values.length > 20, medianBelow: median(values) <= threshold }).toEqual({
        guard,
        minutesWithData: true,
        medianBelow: true,
      });
    }
    // ModelLatency is in microseconds: a p95 near 800 ms reads near 800,000 (threshold 10 s = 10,000,000).
    const p95 = world.alarm(ALARM('LatencyP95'))!.lastEvaluation!.points.find((p) => p.value !== undefined)!.value!;
    expect(p95).toBeGreaterThan(400_000);
    expect(p95).toBeLessThan(2_000_000);
  });
});

describe('a SummarizerCanary whose error rate jumps to 20 % at the 25 % step', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulateEndpointRelease({
      requestsPerSecond: 10,
      versions: { [V1]: healthy, [V2]: { ...healthy, changes: [{ whenCanaryPercent: 25, errorRate: 0.2 }] } },
    }));
  });
  afterAll(() => world?.dispose());

  it('is rolled back: the canary variant goes to weight 0 and the execution fails CanaryRolledBack', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    expect(canarySteps(result)).toEqual([5, 25]);
    const toZero = weightChanges(result).find((h) => h.desiredWeights?.[V2] === 0)!;
    expect(toZero).toBeDefined();
    expect(toZero.desiredWeights).toEqual({ [V1]: 100, [V2]: 0 });
    expect(world.endpoint()!.variants.find((v) => v.name === V2)!.currentWeight).toBe(0);
    expect(world.endpoint()!.tags.get(STABLE_TAG)).toBe(V1);
  });

  it('sends a ROLLED_BACK alert naming an error guard that fired after the 25 % step', () => {
    const step25 = weightChanges(result, 'set-weight')[1];
    const errorGuards = [ALARM('ErrorRate'), ALARM('ErrorRateVsStable')];
    // The judge (check step) or an alarm (fast path) decides, whichever is first: both after the 25 % step.
    const toZero = weightChanges(result).find((h) => h.desiredWeights?.[V2] === 0)!;
    expect(toZero.at).toBeGreaterThan(step25.at);
    const first = result.alarmTransitions.find((t) => t.to === 'ALARM');
    if (first) expect(errorGuards).toContain(first.alarmName);
    const rolledBack = result.alerts.filter((a) => a.event === 'ROLLED_BACK');
    expect(rolledBack.length).toBeGreaterThanOrEqual(1);
    const alarm = rolledBack[0].body?.alarm as { name: string; value: number; threshold: number };
    expect(errorGuards).toContain(alarm.name);
    expect(alarm.value).toBeGreaterThan(alarm.threshold);
  });
});

describe('an endpoint busy for 20 minutes adding the canary variant', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulateEndpointRelease(
      { requestsPerSecond: 10, versions: { [V1]: healthy, [V2]: healthy } },
      { sageMaker: { updateEndpointSeconds: 20 * 60 } },
    ));
  });
  afterAll(() => world?.dispose());

  it('retries Start on EndpointBusy every 30 s until the endpoint is InService again', () => {
    const update = result.endpointHistory.find((h) => h.operation === 'UpdateEndpoint')!;
    const done = result.endpointHistory.find((h) => h.operation === 'UpdateEndpoint:done')!;
    expect(done.at - update.at).toBe(20 * 60_000);
    const busy = retriesOf(result, 'Start').filter((r) => r.errors.includes('EndpointBusy'));
    // 20 minutes at 30 s a retry: about 40 of them (the retrier allows 120).
    expect(busy.length).toBeGreaterThanOrEqual(38);
    expect(busy.length).toBeLessThanOrEqual(42);
    // Only one UpdateEndpoint: a retry finds the endpoint Updating and does not add the variant again.
    expect(result.endpointHistory.filter((h) => h.operation === 'UpdateEndpoint')).toHaveLength(1);
  });

  it('then proceeds: pre-traffic checks reach the canary variant and the rollout promotes it', () => {
    const done = result.endpointHistory.find((h) => h.operation === 'UpdateEndpoint:done')!;
    const invokes = world.apiCalls.filter((c) => c.operation === 'InvokeEndpoint');
    expect(invokes.length).toBe(2);
    expect(invokes.every((c) => c.at > done.at && c.error === undefined)).toBe(true);
    expect(canarySteps(result)).toEqual([5, 25, 50, 95]);
    expect(result.status).toBe('SUCCEEDED');
  });
});

describe('a weight change that meets "Cannot update in-progress endpoint"', () => {
  let world: SimWorld;
  let result: RunResult;
  const inProgress: FaultKind = {
    name: 'ValidationException',
    status: 400,
    message: 'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/modelcanaryexample-summarizercanary-0026f3fb".',
  };

  beforeAll(async () => {
    ({ world, result } = await simulateEndpointRelease({ requestsPerSecond: 10, versions: { [V1]: healthy, [V2]: healthy } }, {}, async (w) => {
      // After the 5 % step, the next weight change of the set-weight step is refused once.
      await w.runUntil(() => w.sagemaker.history.some((h) => h.by === 'set-weight'), { maxMinutes: 30 });
      w.faults.add('UpdateEndpointWeightsAndCapacities@set-weight', [inProgress]);
    }));
  });
  afterAll(() => world?.dispose());

  it('is retried within the step (after another DescribeEndpoint) and succeeds', () => {
    const calls = world.apiCalls.filter((c) => c.operation === 'UpdateEndpointWeightsAndCapacities' && c.caller === 'set-weight');
    const refused = calls.findIndex((c) => c.error === 'ValidationException');
    expect(refused).toBe(1);
    expect(calls[refused + 1].error).toBeUndefined();
    expect(calls[refused + 1].at - calls[refused].at).toBeGreaterThanOrEqual(5_000);
    expect(retriesOf(result, 'SetWeight')).toEqual([]);
  });

  it('still moves the canary 5 → 25 → 50 → 100 and promotes it', () => {
    expect(canarySteps(result)).toEqual([5, 25, 50, 95]);
    expect(result.status).toBe('SUCCEEDED');
    expect(world.endpoint()!.tags.get(STABLE_TAG)).toBe(V2);
  });
});

/**
 * ResponseLengthShift is IF(stableLength, IF(canaryLength, …)): a minute where the canary has no
 * data gives no datapoint. A SageMaker canary gets no traffic while UpdateEndpoint adds its
 * variant (8 minutes here); without the inner IF those minutes read as a 100 % shift and a healthy
 * canary was rolled back at 5 %.
 */
describe('a healthy canary with response-length signals, after minutes without canary traffic', () => {
  let world: SimWorld;
  let result: RunResult;
  const withLength = { ...healthy, signals: { ...SIGNALS, responseLength: { mean: 700, sd: 120 } } };

  beforeAll(async () => {
    ({ world, result } = await simulateEndpointRelease({ requestsPerSecond: 10, versions: { [V1]: withLength, [V2]: withLength } }));
  });
  afterAll(() => world?.dispose());

  it('is promoted without ResponseLengthShift firing', () => {
    expect(fired(result)).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
  });
});

/**
 * The first deploy waits for the endpoint: SimWorld.deploy plays the CDK Provider framework the
 * template configures (isComplete right after the release handler, then every queryInterval), so
 * these fail without `isCompleteHandler` on the provider or the dispatch in the release handler.
 */
describe('the first deploy and the endpoint\'s InService', () => {
  const FAILURE = 'The primary container for production variant summarizer-v1 did not pass the ping health check.';
  const newWorld = () => SimWorld.fromStack(exampleStack(), { seed: 3, canaryName: 'SummarizerCanary', scenario: { requestsPerSecond: 1, versions: { [V1]: HEALTHY } } });
  /** The framework's isComplete calls: the release function invoked with the result's marker. */
  const completeCalls = (world: SimWorld) => world.invocations.filter((i) => i.handler === 'release' && (i.input as Record<string, unknown>)[COMPLETE_MARKER] === true);

  it('does not finish before the endpoint is InService (CreateEndpoint takes 300 s here), checking every 30 s', async () => {
    const world = newWorld();
    try {
      const started = world.now();
      expect((await world.deploy(V1)).action).toBe('created');
      expect(world.endpoint()?.status).toBe('InService');
      const created = world.endpointHistory().find((c) => c.status === 'InService')!;
      expect(created.at - started).toBeGreaterThanOrEqual(300_000);
      const calls = completeCalls(world);
      expect(calls.length).toBeGreaterThan(1);
      expect(calls.slice(1).map((c, i) => c.at - calls[i].at).every((gap) => gap >= 30_000 && gap < 31_000)).toBe(true);
      // The isComplete event is the request merged with the handler's result (Data.Action 'created').
      expect(calls[0].input).toMatchObject({ RequestType: 'Create', Data: { Action: 'created' } });
    } finally {
      world.dispose();
    }
  });

  it('fails the deploy with SageMaker\'s FailureReason when the endpoint goes Failed, and leaves no endpoint', async () => {
    const world = newWorld();
    try {
      world.sagemaker.failNextCreate(FAILURE);
      const err = await world.deploy(V1).catch((e: Error) => e);
      expect(err).toBeInstanceOf(DeployError);
      expect((err as Error).message).toContain(`could not be created (Failed: ${FAILURE.replace(/\.$/, '')}). A Failed endpoint accepts only DeleteEndpoint`);
      expect(world.endpointHistory().map((c) => c.status)).toContain('Failed');
      await world.advance(60);
      expect(world.endpoint()).toBeUndefined();
    } finally {
      world.dispose();
    }
  });
});
