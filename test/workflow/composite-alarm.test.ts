/**
 * A composite alarm among the user's additionalAlarms is read by the workflow (DescribeAlarms with
 * AlarmTypes CompositeAlarm, which needs the permission on `*`:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html), and its
 * ALARM rolls the canary back.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Guard, LambdaModelCanary } from '../../lib';
import { type RunResult, SimWorld, type SynthesizedStack, synthesizeStack } from '../../sim';
import { alertEvents, healthyScenario, startRollout } from './helpers';

const COMPOSITE = 'checkout-health';

function build(): SynthesizedStack {
  return synthesizeStack((app) => {
    const stack = new Stack(app, 'CompositeStack');
    const fn = new lambda.Function(stack, 'Model', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    });
    const child = (name: string) =>
      new cloudwatch.Alarm(stack, name, {
        alarmName: name,
        metric: new cloudwatch.Metric({ namespace: 'Checkout', metricName: name, period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
      });
    const composite = new cloudwatch.CompositeAlarm(stack, 'Checkout', {
      compositeAlarmName: COMPOSITE,
      alarmRule: cloudwatch.AlarmRule.anyOf(cloudwatch.AlarmRule.fromAlarm(child('payments-failing'), cloudwatch.AlarmState.ALARM), cloudwatch.AlarmRule.fromAlarm(child('carts-abandoned'), cloudwatch.AlarmState.ALARM)),
    });
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, guards: [...Guard.defaults(), Guard.fromAlarm(composite)] });
    return stack;
  });
}

describe('a composite alarm in additionalAlarms', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => {
    world = SimWorld.fromStack(build(), { seed: 11, scenario: healthyScenario() });
    await startRollout(world);
    // Between two checks (every 30 s, from the first step's change at a minute's :50): the fast path acts first.
    await world.advance(4 * 60 + 10);
    world.setAlarmState('payments-failing', 'ALARM');
    result = await world.runUntilDone({ maxMinutes: 60 });
  });
  afterAll(() => world?.dispose());

  it('is read by the workflow with the composite alarm type', () => {
    const reads = world.apiCalls.filter((c) => c.operation === 'DescribeAlarms' && c.caller?.includes('start'));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((c) => c.error === undefined)).toBe(true);
    expect(alertEvents(result)).toContain('STARTED');
  });

  it('its ALARM (a child in ALARM) rolls the canary back', () => {
    expect(world.compositeAlarms.alarms.get(COMPOSITE)).toBeDefined();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    expect(result.aliasHistory.some((h) => h.by === 'on-alarm' && h.extraPercent === 0)).toBe(true);
    expect(alertEvents(result)).toContain('ROLLED_BACK');
    const last = result.aliasHistory[result.aliasHistory.length - 1];
    expect(last.extraPercent).toBe(0);
  });
});
