/**
 * Shared setup for the workflow simulations: the example app's synthesized stack, scenarios, the
 * and readers for a run's outcome.
 */
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LambdaModelCanary, type LambdaModelCanaryProps } from '../../lib';
import { type RunResult, type Scenario, SimWorld, type SimWorldOptions, type SynthesizedStack, synthesizeExampleStack, synthesizeStack } from '../../sim';

export const STACK = 'ModelCanaryExample';
export const ALARMS = {
  errorRate: `${STACK}-SentimentCanary-ErrorRate`,
  latencyP95: `${STACK}-SentimentCanary-LatencyP95`,
  errorRateVsStable: `${STACK}-SentimentCanary-ErrorRateVsStable`,
  latencyVsStable: `${STACK}-SentimentCanary-LatencyVsStable`,
};

/** A model that behaves: 0.1 % errors, p50 80 ms, p95 150 ms (a typical small model on Lambda). */
export const HEALTHY = { errorRate: 0.001, latencyMs: { p50: 80, p95: 150 } };

export function healthyScenario(overrides: Partial<Scenario> = {}): Scenario {
  return { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY }, ...overrides };
}

/** The example stack exactly as bin/example-stack.ts synthesizes it. */
export function exampleStack(): SynthesizedStack {
  return synthesizeExampleStack();
}

/** First deploy (alias on v1), two minutes of stable traffic, then the deploy of v2 that starts the rollout. */
export async function startRollout(world: SimWorld): Promise<void> {
  await world.deploy('1');
  await world.advance(120);
  const second = await world.deploy('2');
  if (!second.executionArn) throw new Error(`deploy of v2 started no rollout: ${second.action}`);
}

export async function simulate(
  stack: SynthesizedStack,
  options: SimWorldOptions,
  during?: (world: SimWorld) => Promise<void>,
  maxMinutes = 90,
): Promise<{ world: SimWorld; result: RunResult }> {
  const world = SimWorld.fromStack(stack, { seed: 42, ...options });
  try {
    await startRollout(world);
    if (during) await during(world);
    const result = await world.runUntilDone({ maxMinutes });
    return { world, result };
  } catch (err) {
    world.dispose();
    throw err;
  }
}

/** The alert events in order (STARTED, STEP, ...). */
export function alertEvents(result: RunResult): string[] {
  return result.alerts.map((a) => a.event ?? '?');
}

/**
 * The canary's share after each weight change the set-weight step made, in percent. At the 100 %
 * step the previous version keeps its control share (5 % by default): the last one is 95.
 */
export function stepWeights(result: RunResult): number[] {
  return result.aliasHistory.filter((h) => h.by === 'set-weight').map((h) => h.extraPercent);
}

/** The names of the states the execution entered, in order. */
export function statesEntered(result: RunResult): string[] {
  return result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name ?? '?');
}

export function retriesOf(result: RunResult, stateName: string): { attempt: number; errors: string[] }[] {
  return result.events
    .filter((e) => e.type === 'StateRetried' && e.state?.name === stateName)
    .map((e) => ({ attempt: e.retry?.attempt ?? 0, errors: e.retry?.retrier.ErrorEquals ?? [] }));
}

/** The example's SageMaker canary variants, in the order the releases deploy them. */
export const SUMMARIZER_V1 = 'summarizer-v1';
export const SUMMARIZER_V2 = 'summarizer-v2';

/**
 * One SageMaker release of the example app: the first deploy creates the endpoint, which goes
 * InService; two minutes of stable traffic later the second deploy starts the rollout, which runs
 * to its end (`during` runs right after the second deploy). The world is disposed on a failure.
 */
export async function simulateEndpointRelease(
  scenario: Scenario,
  options: Partial<SimWorldOptions> = {},
  during?: (world: SimWorld) => Promise<void>,
  stack: SynthesizedStack = exampleStack(),
): Promise<{ world: SimWorld; result: RunResult }> {
  const world = SimWorld.fromStack(stack, { seed: 42, canaryName: 'SummarizerCanary', scenario, ...options });
  try {
    const first = await world.deploy(SUMMARIZER_V1);
    if (first.action !== 'created') throw new Error(`first deploy: ${first.action}`);
    await world.runUntil(() => world.endpoint()?.status === 'InService', { maxMinutes: 30 });
    await world.advance(120);
    const second = await world.deploy(SUMMARIZER_V2);
    if (!second.executionArn) throw new Error(`deploy of ${SUMMARIZER_V2} started no rollout: ${second.action}`);
    if (during) await during(world);
    const result = await world.runUntilDone({ maxMinutes: 150, settleSeconds: 60 });
    return { world, result };
  } catch (err) {
    world.dispose();
    throw err;
  }
}

/** A guard alarm's own metric (math expression or single metric) over the whole rollout, as GetMetricData answers it at the end. */
export function guardSeries(world: SimWorld, result: RunResult, alarmName: string): { values: number[]; threshold: number } {
  const def = world.alarm(alarmName)!.definition;
  const queries = def.Metrics ?? [
    { Id: 'guard', ReturnData: true, MetricStat: { Metric: { Namespace: def.Namespace, MetricName: def.MetricName, Dimensions: def.Dimensions }, Period: def.Period, Stat: def.ExtendedStatistic ?? def.Statistic } },
  ];
  const out = world.cloudwatch.getMetricData({
    StartTime: new Date(result.execution.startDate),
    EndTime: new Date(world.now()),
    MetricDataQueries: queries as never,
  });
  return { values: out.MetricDataResults?.[0]?.Values ?? [], threshold: def.Threshold };
}

/** A stack of one Lambda canary named "Canary" on an inline model, with these props. */
export function canaryStack(stackName: string, props: Omit<LambdaModelCanaryProps, 'modelFunction'>): SynthesizedStack {
  return synthesizeStack((app) => {
    const stack = new Stack(app, stackName);
    const fn = new lambda.Function(stack, 'Model', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    });
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, ...props });
    return stack;
  });
}
