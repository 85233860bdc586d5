/**
 * The fast-path rule's event pattern does not grow with the number of alarms: EventBridge rejects a
 * pattern over 2,048 characters (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html),
 * and the simulator does too. 30 additionalAlarms with long names deploy, and one of them in ALARM
 * rolls the canary back through the fast path; an alarm that is no guard is ignored.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Guard, LambdaModelCanary } from '../../lib';
import { type RunResult, SimWorld, type SynthesizedStack, synthesizeStack } from '../../sim';
import { EventPatternTooLargeError, MAX_EVENT_PATTERN_CHARS } from '../../sim/aws/eventbridge/eventbridge';
import { healthyScenario, startRollout } from './helpers';

const STACK = 'PatternSizeStack';
// 62 characters: 30 of them overflow the 2,048-character pattern and still fit the 4 KB descriptor.
const longName = (i: number) => `payments-team-checkout-conversion-kpi-guard-for-sentiment-${String(i).padStart(3, '0')}`;
const FOREIGN = 'some-other-team-alarm-that-is-no-guard';

function build(additional: number): SynthesizedStack {
  return synthesizeStack((app) => {
    const stack = new Stack(app, STACK);
    const fn = new lambda.Function(stack, 'Model', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    });
    const metric = (i: number) => new cloudwatch.Metric({ namespace: 'Business', metricName: `Kpi${i}`, period: Duration.minutes(5) });
    const alarms = Array.from({ length: additional }, (_, i) =>
      new cloudwatch.Alarm(stack, `Kpi${i}`, { alarmName: longName(i), metric: metric(i), threshold: 1, evaluationPeriods: 1 }),
    );
    new cloudwatch.Alarm(stack, 'Foreign', { alarmName: FOREIGN, metric: metric(999), threshold: 1, evaluationPeriods: 1 });
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, guards: [...Guard.defaults(), ...alarms.map((a) => Guard.fromAlarm(a))] });
    return stack;
  });
}

function buildWithNames(count: number, length: number): void {
  synthesizeStack((app) => {
    const stack = new Stack(app, STACK);
    const fn = new lambda.Function(stack, 'Model', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    });
    const alarms = Array.from({ length: count }, (_, i) =>
      cloudwatch.Alarm.fromAlarmName(stack, `A${i}`, `${String(i).padStart(3, '0')}-${'k'.repeat(length - 4)}`),
    );
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, guards: [...Guard.defaults(), ...alarms.map((a) => Guard.fromAlarm(a))] });
    return stack;
  });
}

function rulePatterns(s: SynthesizedStack): string[] {
  return Object.values(s.template.Resources)
    .filter((r) => r.Type === 'AWS::Events::Rule')
    .map((r) => JSON.stringify((r.Properties as { EventPattern: unknown }).EventPattern));
}

describe('the fast-path event pattern', () => {
  const thirty = build(30);

  it('stays far below 2,048 characters with 30 long-named additionalAlarms, and names none of them', () => {
    for (const p of rulePatterns(thirty)) {
      expect(p.length).toBeLessThan(MAX_EVENT_PATTERN_CHARS / 2);
      expect(p).not.toContain('payments-team');
    }
    const none = rulePatterns(build(0));
    const one = rulePatterns(build(1));
    // Without additionalAlarms the library's own alarms are matched by their common prefix.
    expect(none.some((p) => p.includes(`"prefix":"${STACK}-"`))).toBe(true);
    expect(Math.max(...rulePatterns(thirty).map((p) => p.length))).toBeLessThanOrEqual(Math.max(...one.map((p) => p.length)));
  });

  it('names a few additionalAlarms beside the prefix, so foreign alarms do not invoke the fast path', () => {
    const three = rulePatterns(build(3)).find((p) => p.includes('aws.cloudwatch'))!;
    expect(three).toContain(`"prefix":"${STACK}-"`);
    // The names are Refs to the alarms: three of them beside the prefix.
    expect(three.match(/\{"Ref":"Kpi\d/g)).toHaveLength(3);
    expect(three.length).toBeLessThanOrEqual(MAX_EVENT_PATTERN_CHARS);
  });

  // The guard names live in the canary's descriptor parameter (the stack's fast paths find the canary
  // there), a Standard SSM parameter of at most 4,096 characters: before the shared controller they
  // lived in the rule's target input (8,192).
  it("too many alarm names for the canary's descriptor (4,096 characters) is a synth error that says what to do", () => {
    expect(() => buildWithNames(20, 200)).toThrow(/descriptor parameter would hold up to \d+ characters.*composite alarm/);
    expect(() => buildWithNames(10, 200)).not.toThrow();
  });

  it('the simulator rejects a rule whose pattern is over 2,048 characters, as EventBridge does', async () => {
    const world = SimWorld.fromStack(thirty, { seed: 1, scenario: healthyScenario() });
    try {
      const arns = Array.from({ length: 30 }, (_, i) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${longName(i)}-of-the-second-team`);
      expect(() => world.events.putRule({ name: 'too-big', EventPattern: { source: ['aws.cloudwatch'], resources: arns } })).toThrow(EventPatternTooLargeError);
      expect(() => world.events.putRule({ name: 'fits', EventPattern: { source: ['aws.cloudwatch'], resources: arns.slice(0, 5) } })).not.toThrow();
    } finally {
      world.dispose();
    }
  });

  describe('in the simulator', () => {
    let world: SimWorld;
    let result: RunResult;
    beforeAll(async () => {
      world = SimWorld.fromStack(thirty, { seed: 7, scenario: healthyScenario() });
      await startRollout(world);
      await world.advance(5 * 60);
      world.setAlarmState(FOREIGN, 'ALARM');
      await world.advance(60);
      world.setAlarmState(longName(17), 'ALARM');
      result = await world.runUntilDone({ maxMinutes: 60 });
    });
    afterAll(() => world?.dispose());

    it('an additional alarm in ALARM rolls the canary back through the fast path', () => {
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('CanaryRolledBack');
      const fastPath = result.aliasHistory.filter((h) => h.by === 'on-alarm');
      expect(fastPath).toHaveLength(1);
      expect(fastPath[0].extraPercent).toBe(0);
    });

    it('an alarm that is no guard reached the handler and was ignored', () => {
      const logs = world.logs.filter((l) => JSON.stringify(l).includes(`alarm ${FOREIGN} is not a guard of a canary`));
      expect(logs.length).toBeGreaterThan(0);
    });
  });

  describe('in the simulator, with a few named additionalAlarms', () => {
    let world: SimWorld;
    let result: RunResult;
    beforeAll(async () => {
      world = SimWorld.fromStack(build(3), { seed: 7, scenario: healthyScenario() });
      await startRollout(world);
      await world.advance(5 * 60);
      world.setAlarmState(FOREIGN, 'ALARM');
      await world.advance(60);
      world.setAlarmState(longName(1), 'ALARM');
      result = await world.runUntilDone({ maxMinutes: 60 });
    });
    afterAll(() => world?.dispose());

    it('the named alarm rolls the canary back through the fast path', () => {
      expect(result.error).toBe('CanaryRolledBack');
      expect(result.aliasHistory.filter((h) => h.by === 'on-alarm')).toHaveLength(1);
    });

    it('an alarm that is no guard never reaches the handler', () => {
      expect(world.logs.filter((l) => JSON.stringify(l).includes(`alarm ${FOREIGN} is not a guard of a canary`))).toHaveLength(0);
    });
  });
});
