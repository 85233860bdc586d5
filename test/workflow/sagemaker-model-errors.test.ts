/**
 * The SageMaker canary's own guard, ModelErrorRate: InvocationModelErrors − Invocation4XXErrors per
 * request. A model that does not answer within SageMaker's 60 s sends no 5XX, so the shared
 * ErrorRate guard never sees it; here the latency guards are set generously (a model allowed to
 * be slow), so only ModelErrorRate can stop the canary.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Guard, SageMakerModelCanary } from '../../lib';
import { MODEL_RESPONSE_LIMIT_MS, type RunResult, SimWorld, type SynthesizedStack, synthesizeStack } from '../../sim';
import { alertEvents } from './helpers';

const V1 = 'slow-v1';
const V2 = 'slow-v2';
const STACK_NAME = 'SlowModelStack';
const ALARM = (guard: string) => `${STACK_NAME}-Slow-${guard}`;

function build(): SynthesizedStack {
  return synthesizeStack((app) => {
    const stack = new Stack(app, STACK_NAME);
    const role = new iam.Role(stack, 'ModelRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const model = new sagemaker.CfnModel(stack, 'Model', {
      executionRoleArn: role.roleArn,
      primaryContainer: { image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310', modelDataUrl: 's3://bucket/model.tar.gz' },
    });
    new SageMakerModelCanary(stack, 'Slow', {
      model,
      instanceType: 'ml.m5.large',
      // The largest latency budget the options allow: latency alone never rolls back here.
      guards: [Guard.errorRate(), Guard.errorRateVsStable(), Guard.latencyP95({ max: Duration.minutes(15) })],
    });
    return stack;
  });
}

const fired = (result: RunResult) => [...new Set(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.alarmName))];

async function rollout(canary: { errorRate: number; latencyMs: { p50: number; p95: number } }): Promise<{ world: SimWorld; result: RunResult }> {
  const healthy = { errorRate: 0.001, latencyMs: { p50: 300, p95: 800 } };
  const world = SimWorld.fromStack(build(), { seed: 7, canaryName: 'Slow', scenario: { requestsPerSecond: 10, versions: { [V1]: healthy, [V2]: canary } } });
  try {
    await world.deploy(V1);
    await world.advance(120);
    const second = await world.deploy(V2);
    if (!second.executionArn) throw new Error(`deploy of ${V2} started no rollout: ${second.action}`);
    return { world, result: await world.runUntilDone({ maxMinutes: 150, settleSeconds: 60 }) };
  } catch (err) {
    world.dispose();
    throw err;
  }
}

describe('a SageMaker canary whose model times out (no 5XX)', () => {
  let world: SimWorld;
  let result: RunResult;
  // p50 40 s, p95 120 s: about a third of the requests get no answer within 60 s.
  beforeAll(async () => {
    ({ world, result } = await rollout({ errorRate: 0, latencyMs: { p50: 40_000, p95: 120_000 } }));
  });
  afterAll(() => world?.dispose());

  it('is rolled back by ModelErrorRate alone', () => {
    expect(result.status).not.toBe('SUCCEEDED');
    expect(fired(result)).toEqual([ALARM('ModelErrorRate')]);
    expect(alertEvents(result)).toContain('ROLLED_BACK');
    const endpoint = world.endpoint()!;
    expect(endpoint.variants.find((v) => v.name === V2)?.currentWeight ?? 0).toBe(0);
  });

  it('published the timeouts as InvocationModelErrors, not Invocation5XXErrors', () => {
    const sum = (metricName: string) =>
      world.metrics
        .series({ namespace: 'AWS/SageMaker', metricName, dimensions: { EndpointName: world.endpointName, VariantName: V2 } }, 'Sum', 60, world.startMs, world.now(), world.now())
        .reduce((a, d) => a + d.value, 0);
    expect(sum('InvocationModelErrors')).toBeGreaterThan(0);
    expect(sum('Invocation5XXErrors')).toBe(0);
    expect(MODEL_RESPONSE_LIMIT_MS).toBe(60_000);
  });
});

describe('a SageMaker canary with a slow but answering model', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => {
    ({ world, result } = await rollout({ errorRate: 0.001, latencyMs: { p50: 5_000, p95: 20_000 } }));
  });
  afterAll(() => world?.dispose());

  it('is promoted: slow answers within 60 s are no model errors', () => {
    expect(result.status).toBe('SUCCEEDED');
    expect(fired(result)).toEqual([]);
  });
});
