import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, type AlarmFastPathEvent } from '../../../lambda/handlers/on-alarm';
import { ALIAS_NAME, FUNCTION_NAME, NOW, SCOPED, alias, freezeTime, plan, quietLogs } from '../helpers';

const lambda = mockClient(LambdaClient);
const sns = mockClient(SNSClient);

const reasonData = JSON.stringify({
  version: '1.0',
  statistic: 'Average',
  period: 60,
  recentDatapoints: [0.01, 0.27],
  threshold: 0.05,
  evaluatedDatapoints: [{ timestamp: '2025-01-01T00:00:00.000+0000', value: 0.27 }],
});

function alarmEvent(
  alarmName: string,
  opts: { state?: string; versions?: string[] } = {},
): AlarmFastPathEvent {
  return {
    config: { canaryName: 'sentiment', target: plan().target, versionScopedAlarmNames: SCOPED },
    event: {
      time: '2025-01-01T00:00:00Z',
      detail: {
        alarmName,
        state: { value: opts.state ?? 'ALARM', reason: 'Threshold Crossed: 1 datapoint [0.27] was greater than the threshold (0.05).', reasonData },
        configuration: {
          metrics: (opts.versions ?? []).map((v) => ({
            metricStat: { metric: { dimensions: { FunctionName: FUNCTION_NAME, Resource: `${FUNCTION_NAME}:${ALIAS_NAME}`, ExecutedVersion: v } } },
          })),
        },
      },
    },
  };
}

beforeEach(() => {
  lambda.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-40'));
  lambda.on(UpdateAliasCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('on-alarm fast path', () => {
  test('ignores an alarm that is not one of its guards (the rule matches every alarm once there are additionalAlarms)', async () => {
    const event = alarmEvent('someone-elses-alarm', { versions: ['6'] });
    const out = await handler({ ...event, config: { ...event.config, alarmNames: [...SCOPED, 'business-kpi'] } });
    expect(out).toEqual({ action: 'ignored', reason: 'alarm someone-elses-alarm is not a guard of sentiment' });
    expect(lambda).not.toHaveReceivedAnyCommand();
    const mine = alarmEvent('business-kpi');
    expect((await handler({ ...mine, config: { ...mine.config, alarmNames: [...SCOPED, 'business-kpi'] } })).action).toBe('rolled_back');
  });

  test.each(['OK', 'INSUFFICIENT_DATA'])('ignores a change to %s without reading the alias', async (state) => {
    const out = await handler(alarmEvent(SCOPED[0], { state, versions: ['6'] }));
    expect(out.action).toBe('ignored');
    expect(lambda).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  test.each([
    ['no routing', alias('5')],
    ['a canary at weight 0', alias('5', { version: '6', weight: 0 })],
  ])('ignores when no canary has weight (%s)', async (_name, current) => {
    lambda.on(GetAliasCommand).resolves(current);
    const out = await handler(alarmEvent(SCOPED[0], { versions: ['6'] }));
    expect(out.action).toBe('ignored');
    expect(out.reason).toContain('no canary');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('ignores a version-scoped alarm that watches another version (a stale alarm of an older release)', async () => {
    const out = await handler(alarmEvent(SCOPED[0], { versions: ['4', '3'] }));
    expect(out.action).toBe('ignored');
    expect(out.reason).toContain('4/3');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a version-scoped alarm on the canary: weight 0 at once, conditionally, and no alert of its own', async () => {
    const out = await handler(alarmEvent(SCOPED[0], { versions: ['6', '5'] }));
    expect(out).toEqual({ action: 'rolled_back', reason: `alarm ${SCOPED[0]}` });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: FUNCTION_NAME,
      Name: ALIAS_NAME,
      FunctionVersion: '5',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'rev-40',
    });
    // The workflow's rollback step sends the alert (one source of alerts).
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test("a user's alarm (not version-scoped) rolls back whatever canary has weight", async () => {
    lambda.on(GetAliasCommand).resolves(alias('8', { version: '9', weight: 0.05 }, 'rev-41'));
    const out = await handler(alarmEvent('user-5xx-alarm', { versions: ['4'] }));
    expect(out.action).toBe('rolled_back');
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '8', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: 'rev-41' });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a version-scoped alarm without version dimensions still rolls back', async () => {
    const out = await handler(alarmEvent(SCOPED[1]));
    expect(out.action).toBe('rolled_back');
  });

  test('the alias changed meanwhile: TargetStateMismatch, no alert', async () => {
    lambda.on(UpdateAliasCommand).rejects(Object.assign(new Error('revision'), { name: 'PreconditionFailedException', $metadata: { httpStatusCode: 412 } }));
    await expect(handler(alarmEvent(SCOPED[0], { versions: ['6'] }))).rejects.toMatchObject({ name: 'TargetStateMismatch' });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test('a throttled UpdateAlias: TransientAwsError (the invocation is retried)', async () => {
    lambda.on(UpdateAliasCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } }));
    await expect(handler(alarmEvent(SCOPED[0], { versions: ['6'] }))).rejects.toMatchObject({ name: 'TransientAwsError' });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
