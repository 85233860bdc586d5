import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/handlers/promote';
import { TargetStateError } from '../../../lambda/shared/errors';
import type { Decision } from '../../../lambda/shared/types';
import {
  GUARDS,
  NOW,
  RELEASE,
  alias,
  errorOf,
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

const lastStep = progress({ stepIndex: 2, weightPercent: 100, decision: 'promote', canaryRequests: 500 });

beforeEach(() => {
  lambda.reset();
  cloudwatch.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 1 }, 'rev-20'));
  lambda.on(UpdateAliasCommand).resolves({});
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards() });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('promote handler', () => {
  test('promotes: the canary becomes FunctionVersion with no weights, PROMOTED alert', async () => {
    const out = await handler({ plan: plan(), release: RELEASE, progress: lastStep });
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionVersion: '6',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'rev-20',
    });
    expect(out).toMatchObject({ decision: 'promote', weightPercent: 100 });
    const alerts = publishedAlerts(sns);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].body).toMatchObject({ event: 'PROMOTED', canaryVersion: '6', stableVersion: '5', weightPercent: 100 });
  });

  test.each<Decision>(['bake', 'advance', 'rollback', 'external', 'start'])('refuses with decision %s, touches nothing', async (decision) => {
    const err = await errorOf(() => handler({ plan: plan(), release: RELEASE, progress: { ...lastStep, decision } }));
    expect(err).toBeInstanceOf(TargetStateError);
    expect(err.message).toContain(decision);
    expect(lambda).not.toHaveReceivedAnyCommand();
    expect(cloudwatch).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  test('an alarm firing at the last moment: decision rollback, no UpdateAlias, no alert', async () => {
    const reasonData = JSON.stringify({ recentDatapoints: [0.4], threshold: 0.05 });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: healthyGuards().map((a) =>
        a.AlarmName === GUARDS[1] ? metricAlarm(GUARDS[1], { state: 'ALARM', updatedAt: NOW - 5, reasonData, threshold: 0.05, versions: ['6', '5'] }) : a,
      ),
    });
    const out = await handler({ plan: plan(), release: RELEASE, progress: lastStep });
    expect(out.decision).toBe('rollback');
    expect(out.alarm).toMatchObject({ name: GUARDS[1], value: 0.4, threshold: 0.05 });
    expect(out.reason).toContain(GUARDS[1]);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('an ignored stale alarm does not stop the promotion', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: healthyGuards().map((a) => (a.AlarmName === GUARDS[2] ? metricAlarm(GUARDS[2], { state: 'ALARM', updatedAt: NOW - 86_400 }) : a)),
    });
    const out = await handler({ plan: plan(), release: RELEASE, progress: { ...lastStep, ignoredAlarms: [GUARDS[2]] } });
    expect(out.decision).toBe('promote');
    expect(lambda).toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('a guard alarm that disappeared: error, no promotion', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: healthyGuards().slice(0, 2) });
    await expect(handler({ plan: plan(), release: RELEASE, progress: lastStep })).rejects.toThrow(/disappeared/);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test.each([
    ['rolled_back', alias('5')],
    ['superseded', alias('5', { version: '7', weight: 0.05 })],
  ])('target changed outside (%s): external, no UpdateAlias', async (outcome, current) => {
    lambda.on(GetAliasCommand).resolves(current);
    const out = await handler({ plan: plan(), release: RELEASE, progress: lastStep });
    expect(out).toMatchObject({ decision: 'external', externalOutcome: outcome });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('a retry after the alias was already promoted (the alert had failed) still alerts, no second UpdateAlias', async () => {
    lambda.on(GetAliasCommand).resolves(alias('6'));
    const out = await handler({ plan: plan(), release: RELEASE, progress: lastStep });
    expect(out).toMatchObject({ decision: 'promote', weightPercent: 100 });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(publishedAlerts(sns).map((a) => a.body.event)).toEqual(['PROMOTED']);
  });
});
