import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, type AlarmFastPathEvent } from '../../../lambda/handlers/on-alarm';
import { ALIAS_NAME, CANARIES, FUNCTION_NAME, NOW, SCOPED, alias, descriptor, freezeTime, quietLogs, registry } from '../helpers';

const lambda = mockClient(LambdaClient);
const sns = mockClient(SNSClient);
const ssm = mockClient(SSMClient);
const sfn = mockClient(SFNClient);

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
    canaries: CANARIES,
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
  ssm.reset();
  sfn.reset();
  registry(ssm, descriptor());
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ commands: [] }) } });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  freezeTime(NOW);
  quietLogs();
  lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-40'));
  lambda.on(UpdateAliasCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('on-alarm fast path', () => {
  test('ignores an alarm that is not one of its guards (the rule matches every alarm once there are additionalAlarms)', async () => {
    registry(ssm, descriptor({ guardAlarmNames: [...SCOPED, 'business-kpi'] }));
    const out = await handler(alarmEvent('someone-elses-alarm', { versions: ['6'] }));
    expect(out).toEqual({ action: 'ignored', reason: `alarm someone-elses-alarm is not a guard of a canary under ${CANARIES}` });
    expect(lambda).not.toHaveReceivedAnyCommand();
    expect((await handler(alarmEvent('business-kpi'))).action).toBe('rolled_back');
  });

  test("finds the canary an alarm guards among the stack's canaries (descriptors over several pages) and drives only its target", async () => {
    const others = Array.from({ length: 12 }, (_, i) =>
      descriptor({ canaryName: `other-${i}`, commandParameter: `${CANARIES}/other-${i}/commands`, guardAlarmNames: [`stack-other-${i}-ErrorRate`], target: { kind: 'lambda-alias', functionName: `other-fn-${i}`, aliasName: 'live' } }),
    );
    registry(ssm, ...others, descriptor());
    const out = await handler(alarmEvent(SCOPED[0], { versions: ['6'] }));
    expect(out.action).toBe('rolled_back');
    expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: FUNCTION_NAME });
    expect(lambda).not.toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: 'other-fn-0' });
    // The descriptors took three pages: the canary was on the last.
    expect(ssm.commandCalls(GetParametersByPathCommand).length).toBe(3);
  });

  test('a pending promote --force for the rollout in flight holds the fast path back', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ name: 'release-6-1', executionArn: 'arn:e', stateMachineArn: 'arn:sm', status: 'RUNNING', startDate: new Date() }] });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ commands: [{ id: 'c1', command: 'promote', force: true, by: 'arn:aws:iam::1:user/alice', at: NOW, execution: 'release-6-1' }] }) } });
    const out = await handler(alarmEvent(SCOPED[0], { versions: ['6'] }));
    expect(out).toMatchObject({ action: 'ignored', reason: expect.stringContaining('promote --force by user/alice') });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
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
