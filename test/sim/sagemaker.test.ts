/** The simulated SageMaker control plane: endpoint configs, endpoint states, weight updates, tags, routing. */
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { endpointArn, Random, SageMakerSim, SimWorld, synthesizeExampleStack, VirtualClock } from '../../sim';
import { invocationMetrics, MODEL_RESPONSE_LIMIT_MS } from '../../sim/aws/sagemaker/sagemaker';

const MODEL_A = 'summarizer-a';
const MODEL_B = 'summarizer-b';

let clock: VirtualClock;
const withClock = () => {
  beforeEach(() => {
    clock = new VirtualClock(Date.parse('2026-03-02T09:00:00Z'));
  });
  afterEach(() => clock.uninstall());
};

function thrown(fn: () => unknown): Error & { $metadata?: { httpStatusCode?: number } } {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

function variant(name: string, weight: number) {
  return { VariantName: name, ModelName: name, InstanceType: 'ml.m5.large' as never, InitialInstanceCount: 1, InitialVariantWeight: weight };
}

/** An endpoint "ep" on MODEL_A, InService; MODEL_B exists as a model. */
async function inService(timings = {}) {
  const sm = new SageMakerSim(new Random(7), () => clock.now(), timings);
  sm.addModel(MODEL_A);
  sm.addModel(MODEL_B);
  sm.createEndpointConfig({ EndpointConfigName: 'ep-a', ProductionVariants: [variant(MODEL_A, 1)] });
  sm.createEndpoint({ EndpointName: 'ep', EndpointConfigName: 'ep-a', Tags: [{ Key: 'stable', Value: MODEL_A }] });
  expect(sm.describeEndpoint({ EndpointName: 'ep' }).EndpointStatus).toBe('Creating');
  await clock.advance(sm.timings.createEndpointSeconds * 1000);
  expect(sm.describeEndpoint({ EndpointName: 'ep' }).EndpointStatus).toBe('InService');
  return sm;
}

describe('endpoint configurations', () => {
  withClock();
  it('must have a unique name and name existing models', () => {
    const sm = new SageMakerSim(new Random(1), () => clock.now());
    sm.addModel(MODEL_A);
    sm.createEndpointConfig({ EndpointConfigName: 'cfg', ProductionVariants: [variant(MODEL_A, 1)] });
    const again = thrown(() => sm.createEndpointConfig({ EndpointConfigName: 'cfg', ProductionVariants: [variant(MODEL_A, 1)] }));
    expect(again.name).toBe('ValidationException');
    expect(again.message).toMatch(/Cannot create already existing endpoint configuration/);
    expect(again.$metadata?.httpStatusCode).toBe(400);
    expect(thrown(() => sm.createEndpointConfig({ EndpointConfigName: 'other', ProductionVariants: [variant('nope', 1)] })).message).toMatch(
      /Could not find model/,
    );
  });
});

describe('endpoints', () => {
  withClock();
  it('describes with a lower-case ARN, both weights per variant and LastModifiedTime; unknown → Could not find endpoint', async () => {
    const sm = await inService();
    const d = sm.describeEndpoint({ EndpointName: 'ep' });
    expect(d.EndpointArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep');
    expect(d.ProductionVariants).toEqual([expect.objectContaining({ VariantName: MODEL_A, CurrentWeight: 1, DesiredWeight: 1 })]);
    expect(d.LastModifiedTime).toBeInstanceOf(Date);
    const missing = thrown(() => sm.describeEndpoint({ EndpointName: 'nope' }));
    expect(missing.name).toBe('ValidationException');
    expect(missing.message).toMatch(/Could not find endpoint/);
    expect(endpointArn('MyEndpoint')).toMatch(/endpoint\/myendpoint$/);
  });

  it('UpdateEndpoint stays Updating for the configured time while the old variants keep serving', async () => {
    const sm = await inService({ updateEndpointSeconds: 480 });
    sm.createEndpointConfig({ EndpointConfigName: 'ep-b', ProductionVariants: [variant(MODEL_A, 1), variant(MODEL_B, 0)] });
    sm.updateEndpoint({ EndpointName: 'ep', EndpointConfigName: 'ep-b' });
    await clock.advance(479_000);
    const during = sm.describeEndpoint({ EndpointName: 'ep' });
    expect(during.EndpointStatus).toBe('Updating');
    expect(during.ProductionVariants!.map((v) => v.VariantName)).toEqual([MODEL_A]);
    expect(sm.serving(sm.endpoint('ep'))).toBe(true);
    // Another update while Updating is refused.
    expect(thrown(() => sm.updateEndpoint({ EndpointName: 'ep', EndpointConfigName: 'ep-b' })).message).toMatch(/Cannot update in-progress endpoint/);
    await clock.advance(1_000);
    const after = sm.describeEndpoint({ EndpointName: 'ep' });
    expect(after.EndpointStatus).toBe('InService');
    expect(after.EndpointConfigName).toBe('ep-b');
    expect(after.ProductionVariants!.map((v) => [v.VariantName, v.CurrentWeight])).toEqual([
      [MODEL_A, 1],
      [MODEL_B, 0],
    ]);
  });

  it('UpdateEndpointWeightsAndCapacities: DesiredWeight at once, CurrentWeight when InService again; refused while not InService or for unknown variants', async () => {
    const sm = await inService({ updateWeightsSeconds: 30 });
    sm.createEndpointConfig({ EndpointConfigName: 'ep-b', ProductionVariants: [variant(MODEL_A, 1), variant(MODEL_B, 0)] });
    sm.updateEndpoint({ EndpointName: 'ep', EndpointConfigName: 'ep-b' });
    const busy = thrown(() =>
      sm.updateEndpointWeightsAndCapacities({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: MODEL_B, DesiredWeight: 5 }] }),
    );
    expect(busy.name).toBe('ValidationException');
    expect(busy.message).toMatch(/Cannot update in-progress endpoint/);
    await clock.advance(sm.timings.updateEndpointSeconds * 1000);
    expect(
      thrown(() => sm.updateEndpointWeightsAndCapacities({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: 'ghost', DesiredWeight: 5 }] }))
        .message,
    ).toMatch(/not present/);
    sm.updateEndpointWeightsAndCapacities({
      EndpointName: 'ep',
      DesiredWeightsAndCapacities: [
        { VariantName: MODEL_A, DesiredWeight: 75 },
        { VariantName: MODEL_B, DesiredWeight: 25 },
      ],
    });
    const during = sm.describeEndpoint({ EndpointName: 'ep' });
    expect(during.EndpointStatus).toBe('Updating');
    expect(during.ProductionVariants!.map((v) => [v.VariantName, v.CurrentWeight, v.DesiredWeight])).toEqual([
      [MODEL_A, 1, 75],
      [MODEL_B, 0, 25],
    ]);
    await clock.advance(30_000);
    const after = sm.describeEndpoint({ EndpointName: 'ep' });
    expect(after.EndpointStatus).toBe('InService');
    expect(after.ProductionVariants!.map((v) => [v.VariantName, v.CurrentWeight, v.DesiredWeight])).toEqual([
      [MODEL_A, 75, 75],
      [MODEL_B, 25, 25],
    ]);
  });

  it('routes requests by weight / sum of weights', async () => {
    const sm = await inService({ updateEndpointSeconds: 1, updateWeightsSeconds: 1 });
    sm.createEndpointConfig({ EndpointConfigName: 'ep-b', ProductionVariants: [variant(MODEL_A, 3), variant(MODEL_B, 1)] });
    sm.updateEndpoint({ EndpointName: 'ep', EndpointConfigName: 'ep-b' });
    await clock.advance(1_000);
    const endpoint = sm.endpoint('ep')!;
    expect(sm.shares(endpoint)).toEqual({ [MODEL_A]: 75, [MODEL_B]: 25 });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const v = sm.route(endpoint)!;
      counts[v] = (counts[v] ?? 0) + 1;
    }
    expect(counts[MODEL_B] / 10_000).toBeGreaterThan(0.23);
    expect(counts[MODEL_B] / 10_000).toBeLessThan(0.27);
  });

  it('keeps tags per endpoint ARN, and DeleteEndpoint removes the endpoint after Deleting', async () => {
    const sm = await inService();
    const arn = endpointArn('ep');
    expect(sm.listTags({ ResourceArn: arn }).Tags).toEqual([{ Key: 'stable', Value: MODEL_A }]);
    sm.addTags({ ResourceArn: arn, Tags: [{ Key: 'stable', Value: MODEL_B }] });
    expect(sm.listTags({ ResourceArn: arn }).Tags).toEqual([{ Key: 'stable', Value: MODEL_B }]);
    sm.deleteEndpoint({ EndpointName: 'ep' });
    expect(sm.describeEndpoint({ EndpointName: 'ep' }).EndpointStatus).toBe('Deleting');
    await clock.advance(sm.timings.deleteEndpointSeconds * 1000);
    expect(thrown(() => sm.describeEndpoint({ EndpointName: 'ep' })).message).toMatch(/Could not find endpoint/);
    expect(sm.history.map((h) => h.operation)).toEqual(['CreateEndpoint', 'CreateEndpoint:done', 'DeleteEndpoint', 'DeleteEndpoint:done']);
  });
});

describe('a CreateEndpoint that fails, and tags', () => {
  withClock();
  it('failNextCreate: the endpoint ends Failed with the FailureReason; it refuses updates and accepts DeleteEndpoint', async () => {
    const sm = new SageMakerSim(new Random(2), () => clock.now());
    sm.addModel(MODEL_A);
    sm.createEndpointConfig({ EndpointConfigName: 'ep-a', ProductionVariants: [variant(MODEL_A, 1)] });
    sm.failNextCreate('The primary container did not pass the ping health check.');
    sm.createEndpoint({ EndpointName: 'ep', EndpointConfigName: 'ep-a' });
    await clock.advance(sm.timings.createEndpointSeconds * 1000);
    const described = sm.describeEndpoint({ EndpointName: 'ep' });
    expect(described).toMatchObject({ EndpointStatus: 'Failed', FailureReason: 'The primary container did not pass the ping health check.' });
    expect(sm.serving(sm.endpoint('ep'))).toBe(false);
    expect(thrown(() => sm.updateEndpointWeightsAndCapacities({ EndpointName: 'ep', DesiredWeightsAndCapacities: [{ VariantName: MODEL_A, DesiredWeight: 1 }] })).name).toBe(
      'ValidationException',
    );
    sm.deleteEndpoint({ EndpointName: 'ep' });
    await clock.advance(sm.timings.deleteEndpointSeconds * 1000);
    expect(sm.endpoint('ep')).toBeUndefined();
    // Only the next create fails.
    sm.createEndpoint({ EndpointName: 'ep', EndpointConfigName: 'ep-a' });
    await clock.advance(sm.timings.createEndpointSeconds * 1000);
    expect(sm.describeEndpoint({ EndpointName: 'ep' }).EndpointStatus).toBe('InService');
  });

  it('AddTags and CreateEndpoint refuse keys and values outside the documented lengths and characters; DeleteTags takes 1 to 50 keys', async () => {
    const sm = await inService();
    const arn = endpointArn('ep');
    expect(thrown(() => sm.addTags({ ResourceArn: arn, Tags: [{ Key: '', Value: 'x' }] })).message).toMatch(/Invalid tag key/);
    expect(thrown(() => sm.addTags({ ResourceArn: arn, Tags: [{ Key: 'k'.repeat(129), Value: 'x' }] })).message).toMatch(/Invalid tag key/);
    expect(thrown(() => sm.addTags({ ResourceArn: arn, Tags: [{ Key: 'owner', Value: 'v'.repeat(257) }] })).message).toMatch(/Invalid value/);
    expect(thrown(() => sm.addTags({ ResourceArn: arn, Tags: [{ Key: 'owner', Value: 'a,b' }] })).message).toMatch(/Invalid value/);
    sm.addTags({ ResourceArn: arn, Tags: [{ Key: 'cdk-model-canary:owner', Value: '0123456789abcdef' }] });
    expect(thrown(() => sm.deleteTags({ ResourceArn: arn, TagKeys: [] })).message).toMatch(/1 to 50/);
    sm.deleteTags({ ResourceArn: arn, TagKeys: ['cdk-model-canary:owner', 'not-there'] });
    expect(sm.listTags({ ResourceArn: arn }).Tags).toEqual([{ Key: 'stable', Value: MODEL_A }]);
  });
});

describe('InvokeEndpoint and the endpoint metrics, through the SDK client in a SimWorld', () => {
  const V1 = 'summarizer-v1';
  let world: SimWorld;
  beforeAll(async () => {
    world = SimWorld.fromStack(synthesizeExampleStack(), {
      seed: 5,
      canaryName: 'SummarizerCanary',
      scenario: { requestsPerSecond: 2, versions: { [V1]: { errorRate: 0, latencyMs: { p50: 200, p95: 400 } } } },
    });
    await world.deploy(V1);
    await world.runUntil(() => world.endpoint()?.status === 'InService', { maxMinutes: 10 });
    await world.advance(180);
  });
  afterAll(() => world?.dispose());

  it('answers a request to a variant, and refuses an unknown variant with ValidationError', async () => {
    const client = new SageMakerRuntimeClient({});
    const ok = await world.drive(
      client.send(new InvokeEndpointCommand({ EndpointName: world.endpointName, TargetVariant: V1, Body: new TextEncoder().encode('{"inputs":"x"}') })),
    );
    expect(ok.InvokedProductionVariant).toBe(V1);
    expect(JSON.parse(new TextDecoder().decode(ok.Body))).toMatchObject({ modelVersion: V1 });
    const bad = await world
      .drive(client.send(new InvokeEndpointCommand({ EndpointName: world.endpointName, TargetVariant: 'ghost', Body: new Uint8Array() })))
      .catch((e: Error) => e);
    expect((bad as Error).name).toBe('ValidationError');
  });

  it('publishes Invocations, Invocation5XXErrors and ModelLatency (µs) per {EndpointName, VariantName}', () => {
    const dims = [
      { Name: 'EndpointName', Value: world.endpointName },
      { Name: 'VariantName', Value: V1 },
    ];
    const query = (id: string, metric: string, stat: string) => ({
      Id: id,
      MetricStat: { Metric: { Namespace: 'AWS/SageMaker', MetricName: metric, Dimensions: dims }, Period: 60, Stat: stat },
    });
    const out = world.cloudwatch.getMetricData({
      StartTime: new Date(world.now() - 180_000),
      EndTime: new Date(Math.floor(world.now() / 60_000) * 60_000),
      MetricDataQueries: [query('inv', 'Invocations', 'Sum'), query('err', 'Invocation5XXErrors', 'Sum'), query('lat', 'ModelLatency', 'p50')],
    });
    const [inv, err, lat] = out.MetricDataResults!.map((r) => r.Values!);
    expect(inv.length).toBeGreaterThanOrEqual(2);
    expect(inv.every((v) => v >= 100 && v <= 130)).toBe(true);
    expect(err.every((v) => v === 0)).toBe(true);
    expect(lat.every((v) => v > 150_000 && v < 260_000)).toBe(true);
  });
});

describe('invocationMetrics: what one request adds to the endpoint invocation metrics', () => {
  it('a good answer: one invocation, no error, latency in µs', () => {
    expect(invocationMetrics({ error: false, durationMs: 250 })).toEqual({
      Invocations: 1, Invocation4XXErrors: 0, Invocation5XXErrors: 0, InvocationModelErrors: 0, ModelLatency: 250_000,
    });
  });
  it('a 5XX from the model counts in Invocation5XXErrors and in InvocationModelErrors', () => {
    expect(invocationMetrics({ error: true, durationMs: 40 })).toMatchObject({ Invocation5XXErrors: 1, InvocationModelErrors: 1 });
  });
  it('a model that does not answer within 60 s is a model error but not a 5XX', () => {
    expect(invocationMetrics({ error: false, durationMs: MODEL_RESPONSE_LIMIT_MS + 1 })).toMatchObject({
      Invocation5XXErrors: 0, InvocationModelErrors: 1, ModelLatency: 60_000_000,
    });
  });
});
