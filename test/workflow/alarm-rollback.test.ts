/**
 * The canary's error rate jumps to 20% once it gets 25% of the traffic: a guard alarm fires, the
 * EventBridge fast path sets the canary weight to 0 within seconds, and the workflow ends rolled back.
 * The canary here has alarm guards only (the seed's thresholds): with the judged guards of the
 * example app, the check step would decide first (test/workflow/judge.test.ts).
 */
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Guard, LambdaModelCanary } from '../../lib';
import { type RunResult, type SimWorld, type SynthesizedStack, synthesizeStack } from '../../sim';
import { alertEvents, HEALTHY, simulate, stepWeights } from './helpers';

const ALARMS = { errorRate: 'AlarmGuards-SentimentCanary-ErrorRate', latencyP95: 'AlarmGuards-SentimentCanary-LatencyP95' };

function alarmGuardsStack(): SynthesizedStack {
  return synthesizeStack((app) => {
    const stack = new Stack(app, 'AlarmGuards');
    const fn = new lambda.Function(stack, 'Model', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    });
    new LambdaModelCanary(stack, 'SentimentCanary', { modelFunction: fn, guards: [Guard.errorRate(), Guard.latencyP95()] });
    return stack;
  });
}

describe('a canary that starts failing at the second step', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulate(alarmGuardsStack(), {
      scenario: {
        requestsPerSecond: 10,
        versions: { '1': HEALTHY, '2': { ...HEALTHY, changes: [{ whenCanaryPercent: 25, errorRate: 0.2 }] } },
      },
    }));
  });
  afterAll(() => world?.dispose());

  const firstAlarm = () => result.alarmTransitions.find((t) => t.to === 'ALARM')!;

  it('fires an error-rate guard after the 25% step starts', () => {
    const step2 = result.aliasHistory.find((h) => h.by === 'set-weight' && h.extraPercent === 25)!;
    expect(world.traffic.changeAppliedAt('2')).toBe(Math.ceil(step2.at / 1000) * 1000);
    const alarm = firstAlarm();
    expect(alarm).toBeDefined();
    expect(alarm.alarmName).toBe(ALARMS.errorRate);
    expect(alarm.at).toBeGreaterThan(step2.at);
    // Five breaching 1-minute datapoints are needed (guardWindow 5 min).
    expect(alarm.at - step2.at).toBeGreaterThanOrEqual(4 * 60_000);
  });

  it('sets the canary weight to 0 through the fast path within seconds of the alarm', () => {
    const alarm = firstAlarm();
    const zero = result.aliasHistory.find((h) => h.at >= alarm.at && h.extraPercent === 0)!;
    expect(zero).toMatchObject({ by: 'on-alarm', functionVersion: '1', weights: {} });
    expect(zero.at - alarm.at).toBeLessThanOrEqual(10_000);
  });

  it('ends FAILED with CanaryRolledBack', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    expect(result.cause).toMatch(/guard alarm in ALARM/);
  });

  it('sends exactly one ROLLED_BACK alert, naming the alarm with its value and threshold', () => {
    const rolledBack = result.alerts.filter((a) => a.event === 'ROLLED_BACK');
    expect(rolledBack).toHaveLength(1);
    const alarm = rolledBack[0].body?.alarm as { name: string; value: number; threshold: number };
    expect(Object.values(ALARMS)).toContain(alarm.name);
    expect(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.alarmName)).toContain(alarm.name);
    expect(typeof alarm.value).toBe('number');
    expect(typeof alarm.threshold).toBe('number');
    expect(alarm.value).toBeGreaterThan(alarm.threshold);
    expect(rolledBack[0].subject).toMatch(/ROLLED BACK .* \(step \d\/\d\): alarm \w+$/);
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'STEP', 'ROLLED_BACK']);
  });

  it('never promotes: the weights went 5 → 25 only and v2 never became the alias version', () => {
    expect(stepWeights(result)).toEqual([5, 25]);
    expect(result.aliasHistory.some((h) => h.functionVersion === '2')).toBe(false);
    expect(world.alias()).toMatchObject({ functionVersion: '1', weights: {} });
    expect(result.alerts.some((a) => a.event === 'PROMOTED')).toBe(false);
  });
});

describe('the fix deployed right after the rollback, while the guards still show ALARM', () => {
  let world: SimWorld;
  let fixed: RunResult;
  let rolledBackAt: number;

  beforeAll(async () => {
    ({ world } = await simulate(alarmGuardsStack(), {
      scenario: {
        requestsPerSecond: 10,
        versions: { '1': HEALTHY, '2': { ...HEALTHY, changes: [{ whenCanaryPercent: 25, errorRate: 0.2 }] }, '3': HEALTHY },
      },
    }));
    rolledBackAt = world.now();
    // Updating an alarm keeps its state: the guards now name v3 but still show v2's ALARM.
    expect(world.alarm(ALARMS.errorRate)!.state).toBe('ALARM');
    await world.deploy('3');
    fixed = await world.runUntilDone({ maxMinutes: 90 });
  });
  afterAll(() => world?.dispose());

  it('waits (GuardsNotReady) until CloudWatch has evaluated the updated alarms, then starts', () => {
    const starts = world.invocations.filter((i) => i.handler === 'start' && i.at > rolledBackAt);
    const waiting = starts.filter((i) => i.error?.errorType === 'GuardsNotReady');
    expect(waiting.some((i) => /still show the ALARM state of the previous version/.test(i.error!.errorMessage))).toBe(true);
    const started = starts.find((i) => !i.error)!;
    const cleared = fixed.alarmTransitions.find((t) => t.alarmName === ALARMS.errorRate && t.to === 'OK' && t.at > rolledBackAt)!;
    expect(started.at).toBeGreaterThan(cleared.at);
  });

  it('promotes v3 without being rolled back by v2’s alarm', () => {
    expect(fixed.status).toBe('SUCCEEDED');
    expect(world.alias()).toMatchObject({ functionVersion: '3', weights: {} });
    expect(alertEvents(fixed).slice(-6)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
  });
});
