/**
 * The alarm fast path in the post-promotion watch: the canary serves alone (the alias is on it,
 * without weights), and a guard firing sends all traffic back to the previous version, which the
 * running execution's input names.
 */
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, type AlarmFastPathEvent } from '../../../lambda/handlers/on-alarm';
import { handler as onCommand, type OperatorFastPathEvent } from '../../../lambda/handlers/on-command';
import type { CanaryDescriptor } from '../../../lambda/shared/operator';
import { ALIAS_NAME, CANARIES, COMMANDS, FUNCTION_NAME, NOW, SCOPED, STATE_MACHINE_ARN, alias, descriptor, freezeTime, quietLogs, registry } from '../helpers';

const lambda = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);

const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:release-2-1735689000-abc`;
const PARAMETER = COMMANDS;

/** The canary's descriptor, watched for 10 minutes after its promotion, with `extra` over it. */
function alarmEvent(alarmName: string, versions: string[] = [], extra: Partial<CanaryDescriptor> = {}): AlarmFastPathEvent {
  registry(ssm, descriptor({ postPromotionWatchSeconds: 600, guardAlarmNames: [...SCOPED, 'user-5xx-alarm'], ...extra }));
  return {
    canaries: CANARIES,
    event: {
      time: '2025-01-01T00:00:00Z',
      detail: {
        alarmName,
        state: { value: 'ALARM', reason: 'Threshold Crossed' },
        configuration: { metrics: versions.map((v) => ({ metricStat: { metric: { dimensions: { FunctionName: FUNCTION_NAME, Resource: `${FUNCTION_NAME}:${ALIAS_NAME}`, ExecutedVersion: v } } } })) },
      },
    },
  };
}

const running = (release: unknown = { stableVersion: '1', canaryVersion: '2' }) => {
  sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: 'release-2-1735689000-abc', status: 'RUNNING', startDate: new Date() }] });
  sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(), input: JSON.stringify({ release }) });
};

beforeEach(() => {
  lambda.reset();
  sfn.reset();
  ssm.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  // Promoted: the alias is on the canary (2) alone.
  lambda.on(GetAliasCommand).resolves(alias('2', undefined, 'rev-50'));
  lambda.on(UpdateAliasCommand).resolves({});
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ commands: [] }) } });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  running();
});
afterEach(() => jest.restoreAllMocks());

describe('on-alarm fast path in the post-promotion watch', () => {
  test('a guard on the promoted canary: the alias goes back to the previous version, conditionally, no alert of its own', async () => {
    const out = await handler(alarmEvent(SCOPED[0], ['2']));
    expect(out).toEqual({ action: 'rolled_back', reason: `alarm ${SCOPED[0]} in the post-promotion watch` });
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' });
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION_ARN });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionName: FUNCTION_NAME, Name: ALIAS_NAME, FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: 'rev-50' });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  test("a user's alarm (not version-scoped) also sends traffic back", async () => {
    const out = await handler(alarmEvent('user-5xx-alarm', ['9']));
    expect(out.action).toBe('rolled_back');
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '1' });
  });

  test('without postPromotionWatchSeconds in the config (no watch, or a stack from before it): ignored, the execution is not read', async () => {
    const out = await handler(alarmEvent(SCOPED[0], ['2'], { postPromotionWatchSeconds: undefined }));
    expect(out.action).toBe('ignored');
    expect(out.reason).toContain('no canary');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
    expect((await handler(alarmEvent(SCOPED[0], ['2'], { postPromotionWatchSeconds: 0 }))).action).toBe('ignored');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('no rollout running (the watch is over): ignored', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    const out = await handler(alarmEvent(SCOPED[0], ['2']));
    expect(out.action).toBe('ignored');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  test('the running rollout is of another release (its canary is not the one serving): ignored', async () => {
    running({ stableVersion: '2', canaryVersion: '3' });
    const out = await handler(alarmEvent(SCOPED[0], ['2']));
    expect(out.action).toBe('ignored');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('a version-scoped alarm of another version (the previous one): ignored', async () => {
    const out = await handler(alarmEvent(SCOPED[0], ['1']));
    expect(out).toEqual({ action: 'ignored', reason: `alarm ${SCOPED[0]} watches 1, not the canary 2` });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('a promote --force of the running rollout holds the fast path back, after the promotion too (its promotion has no watch)', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ commands: [{ id: 'c1', command: 'promote', force: true, by: 'arn:aws:iam::123456789012:user/alice', at: NOW - 60, execution: 'release-2-1735689000-abc' }] }) } });
    expect(await handler(alarmEvent(SCOPED[0], ['2']))).toMatchObject({ action: 'ignored', reason: expect.stringContaining('promote --force') });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    // Control: before the promotion (2 at 25 %) the same pending command holds the fast path back.
    lambda.on(GetAliasCommand).resolves(alias('1', { version: '2', weight: 0.25 }, 'rev-49'));
    lambda.resetHistory();
    expect(await handler(alarmEvent(SCOPED[0], ['2']))).toMatchObject({ action: 'ignored', reason: expect.stringContaining('promote --force') });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('an execution still listed as RUNNING that has ended (ListExecutions lags): nothing is reverted', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, status: 'SUCCEEDED', startDate: new Date(), input: JSON.stringify({ release: { stableVersion: '1', canaryVersion: '2' } }) });
    expect((await handler(alarmEvent(SCOPED[0], ['2']))).action).toBe('ignored');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test('a revert that raced the end of the watch (the execution ended meanwhile) is alerted here, never silent', async () => {
    const described = { executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE_ARN, name: 'release-2-1735689000-abc', startDate: new Date(), input: JSON.stringify({ release: { stableVersion: '1', canaryVersion: '2' } }) };
    sfn.on(DescribeExecutionCommand).resolvesOnce({ ...described, status: 'RUNNING' }).resolves({ ...described, status: 'SUCCEEDED' });
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:alerts';
    expect((await handler(alarmEvent(SCOPED[0], ['2'], { topicArn }))).action).toBe('rolled_back');
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '1' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const body = JSON.parse(sns.commandCalls(PublishCommand)[0].args[0].input.Message!);
    expect(body).toMatchObject({ event: 'ROLLED_BACK', afterPromotion: true, stableVersion: '1', canaryVersion: '2' });
    expect(body.reason).toContain('ended SUCCEEDED');
  });

  test('two guards in the same minute: the loser of the race sees traffic already back and ignores', async () => {
    lambda.on(GetAliasCommand).resolvesOnce(alias('2', undefined, 'rev-50')).resolves(alias('1', undefined, 'rev-51'));
    lambda.on(UpdateAliasCommand).rejects(Object.assign(new Error('revision'), { name: 'PreconditionFailedException', $metadata: { httpStatusCode: 412 } }));
    const out = await handler(alarmEvent(SCOPED[0], ['2']));
    expect(out).toEqual({ action: 'ignored', reason: 'the canary 2 already has no traffic' });
  });

  test('an operator abort in the watch sends traffic back at once', async () => {
    const abort = { id: 'a1', command: 'abort', by: 'arn:aws:iam::123456789012:user/alice', at: NOW - 5, execution: 'release-2-1735689000-abc' };
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ commands: [abort] }) } });
    registry(ssm, descriptor({ postPromotionWatchSeconds: 600 }));
    const input: OperatorFastPathEvent = { canaries: CANARIES, operator: { name: PARAMETER, operation: 'Update' } };
    const out = await onCommand(input);
    expect(out).toEqual({ action: 'rolled_back', reason: 'aborted by user/alice in the post-promotion watch' });
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } });
  });
});
