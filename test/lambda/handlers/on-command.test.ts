import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/handlers/on-command';
import { CANARIES, COMMANDS, NOW, STATE_MACHINE_ARN, alias, descriptor, freezeTime, quietLogs, registry } from '../helpers';

const lambda = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);

const RUNNING = 'release-6-1735689000-abc';
const abort = (execution = RUNNING) => ({ id: 'a1', command: 'abort', by: 'arn:aws:iam::123456789012:user/alice', at: NOW - 5, execution });

beforeEach(() => {
  lambda.reset();
  sfn.reset();
  ssm.reset();
  freezeTime(NOW);
  quietLogs();
  registry(ssm, descriptor());
  sfn.on(ListExecutionsCommand).resolves({ executions: [{ name: RUNNING, executionArn: 'arn:e', stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date() }] });
  lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-40'));
  lambda.on(UpdateAliasCommand).resolves({});
});
afterEach(() => jest.restoreAllMocks());

describe('on-command (the operator fast path)', () => {
  test('an abort of the rollout in flight: the canary of the canary whose channel changed goes to 0 at once', async () => {
    ssm.on(GetParameterCommand, { Name: COMMANDS }).resolves({ Parameter: { Value: JSON.stringify({ commands: [abort()] }) } });
    const out = await handler({ canaries: CANARIES, operator: { name: COMMANDS, operation: 'Update' } });
    expect(out).toEqual({ action: 'rolled_back', reason: 'aborted by user/alice' });
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' });
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '5', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: 'rev-40' });
  });

  test('an abort of an older rollout does nothing', async () => {
    ssm.on(GetParameterCommand, { Name: COMMANDS }).resolves({ Parameter: { Value: JSON.stringify({ commands: [abort('release-5-1')] }) } });
    const out = await handler({ canaries: CANARIES, operator: { name: COMMANDS, operation: 'Update' } });
    expect(out).toEqual({ action: 'ignored', reason: `no abort for the rollout in flight (${RUNNING})` });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  test("a change of a descriptor (CloudFormation updated the canary's config) is no command: nothing is read", async () => {
    const out = await handler({ canaries: CANARIES, operator: { name: COMMANDS.replace(/commands$/, 'config'), operation: 'Update' } });
    expect(out.action).toBe('ignored');
    expect(ssm).not.toHaveReceivedCommand(GetParametersByPathCommand);
    expect(lambda).not.toHaveReceivedAnyCommand();
  });

  test('a command channel no canary of the stack reads from (a canary since removed): ignored', async () => {
    const out = await handler({ canaries: CANARIES, operator: { name: `${CANARIES}/removed/commands`, operation: 'Update' } });
    expect(out).toEqual({ action: 'ignored', reason: `no canary of ${CANARIES} reads commands from ${CANARIES}/removed/commands` });
    expect(lambda).not.toHaveReceivedAnyCommand();
  });
});
