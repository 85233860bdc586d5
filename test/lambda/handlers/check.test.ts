import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/handlers/check';
import type { RolloutState } from '../../../lambda/shared/types';
import {
  GUARDS,
  NOW,
  RELEASE,
  alias,
  freezeTime,
  healthyGuards,
  metricAlarm,
  plan,
  progress,
  publishedAlerts,
  quietLogs,
} from '../helpers';

const lambda = mockClient(LambdaClient);
const cloudwatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);

function canaryRequests(n: number) {
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      { Id: 'canary_requests', Values: [n] },
      { Id: 'stable_requests', Values: [n * 19] },
    ],
  });
}

/** Step 1 (5 %, bake 600 s) started `elapsed` seconds ago. */
function stateAt(elapsed: number, extra: Partial<RolloutState> = {}, progressExtra = {}): RolloutState {
  return {
    plan: plan(),
    release: RELEASE,
    progress: progress({ stepIndex: 0, weightPercent: 5, startedAt: NOW - elapsed - 60, stepStartedAt: NOW - elapsed, ...progressExtra }),
    ...extra,
  };
}

beforeEach(() => {
  lambda.reset();
  cloudwatch.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }));
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards() });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('check handler', () => {
  test('bake running: keeps baking, counts the canary requests since the step started', async () => {
    canaryRequests(30);
    const out = await handler(stateAt(300));
    expect(out).toMatchObject({ decision: 'bake', waitSeconds: 120, canaryRequests: 30 });
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: GUARDS });
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(Math.floor((NOW - 300) / 60) * 60 * 1000),
      EndTime: new Date(NOW * 1000),
    });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('bake done with enough requests: advance', async () => {
    canaryRequests(150);
    await expect(handler(stateAt(600))).resolves.toMatchObject({ decision: 'advance', canaryRequests: 150 });
  });

  test('bake done on the last step with enough requests: promote', async () => {
    canaryRequests(150);
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 1 }));
    const state = stateAt(600, {}, { stepIndex: 2, weightPercent: 100 });
    await expect(handler(state)).resolves.toMatchObject({ decision: 'promote' });
  });

  test('a firing guard: rollback with the alarm, its value and threshold', async () => {
    canaryRequests(150);
    const reasonData = JSON.stringify({ recentDatapoints: [0.02, 0.12], threshold: 0.05 });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: healthyGuards().map((a) =>
        a.AlarmName === GUARDS[0] ? metricAlarm(GUARDS[0], { state: 'ALARM', updatedAt: NOW - 20, reasonData, threshold: 0.05, versions: ['6', '5'] }) : a,
      ),
    });
    const out = await handler(stateAt(600));
    expect(out.decision).toBe('rollback');
    expect(out.alarm).toMatchObject({ name: GUARDS[0], value: 0.12, threshold: 0.05 });
    expect(out.reason).toContain(GUARDS[0]);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('an alarm ignored at the start and still in its old ALARM does not roll back', async () => {
    canaryRequests(150);
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: healthyGuards().map((a) => (a.AlarmName === GUARDS[2] ? metricAlarm(GUARDS[2], { state: 'ALARM', updatedAt: NOW - 86_400 }) : a)),
    });
    const out = await handler(stateAt(600, {}, { ignoredAlarms: [GUARDS[2]] }));
    expect(out.decision).toBe('advance');
  });

  test('an ignored alarm that went into ALARM again after the start rolls back', async () => {
    canaryRequests(150);
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: healthyGuards().map((a) => (a.AlarmName === GUARDS[2] ? metricAlarm(GUARDS[2], { state: 'ALARM', updatedAt: NOW - 30 }) : a)),
    });
    const out = await handler(stateAt(600, {}, { ignoredAlarms: [GUARDS[2]] }));
    expect(out.decision).toBe('rollback');
    expect(out.alarm?.name).toBe(GUARDS[2]);
  });

  test('a guard alarm that disappeared mid-rollout is an error', async () => {
    canaryRequests(150);
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards().slice(1) });
    await expect(handler(stateAt(600))).rejects.toThrow(/disappeared.*stack-sentiment-ErrorRate/);
  });

  test('weight taken away outside the workflow: external rolled_back', async () => {
    canaryRequests(150);
    lambda.on(GetAliasCommand).resolves(alias('5'));
    await expect(handler(stateAt(600))).resolves.toMatchObject({ decision: 'external', externalOutcome: 'rolled_back' });
  });

  describe('HOLD on too little traffic', () => {
    const holdPlan = plan({ insufficientTraffic: 'HOLD' });

    test('publishes HOLDING once, then keeps holding quietly', async () => {
      canaryRequests(7);
      const first = await handler(stateAt(600, { plan: holdPlan }));
      expect(first).toMatchObject({ decision: 'bake', holdAlerted: true, waitSeconds: 120 });
      expect(first.reason).toMatch(/^holding/);
      const alerts = publishedAlerts(sns);
      expect(alerts).toHaveLength(1);
      expect(alerts[0].body).toMatchObject({ event: 'HOLDING', weightPercent: 5, canaryRequests: 7 });
      expect(alerts[0].body.reason).toContain('7 of the 100');

      const second = await handler({ plan: holdPlan, release: RELEASE, progress: { ...first, decision: 'bake' } });
      expect(second).toMatchObject({ decision: 'bake', holdAlerted: true });
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    });

    test('a bake that is simply not finished is no hold: no alert', async () => {
      canaryRequests(7);
      const out = await handler(stateAt(100, { plan: holdPlan }));
      expect(out).toMatchObject({ decision: 'bake', holdAlerted: false });
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    });

    test('rolls back once the hold has lasted maxHold past the bake', async () => {
      canaryRequests(7);
      const out = await handler(stateAt(600 + 3600, { plan: holdPlan }, { holdAlerted: true }));
      expect(out.decision).toBe('rollback');
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
    });
  });
});
