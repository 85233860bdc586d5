import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { verdictComplete } from '../../../lambda/shared/deploy-verdict';
import 'aws-sdk-client-mock-jest';

const sfn = mockClient(SFNClient);
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:canary';
const exec = (n: string) => `arn:aws:states:us-east-1:123456789012:execution:canary:${n}`;
const event = (arn: string) => ({ RequestType: 'Update' as const, LogicalResourceId: 'Verdict', ResourceProperties: { ExecutionArn: arn, StateMachineArn: SM } });

describe('the deploy’s wait for the verdict', () => {
  beforeEach(() => sfn.reset());

  test('waits while the rollout runs, completes on a promotion, fails the deploy otherwise', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: exec('a'), stateMachineArn: SM, name: 'a', status: 'RUNNING', startDate: new Date() }] });
    sfn.on(DescribeExecutionCommand).resolvesOnce({ executionArn: exec('a'), name: 'a', status: 'RUNNING', startDate: new Date(), stateMachineArn: SM })
      .resolvesOnce({ executionArn: exec('a'), name: 'a', status: 'SUCCEEDED', output: '{"progress":{"decision":"promote"}}', startDate: new Date(), stateMachineArn: SM })
      .resolvesOnce({ executionArn: exec('a'), name: 'a', status: 'FAILED', error: 'CanaryRolledBack', cause: 'guard alarm in ALARM: ErrorRate', startDate: new Date(), stateMachineArn: SM })
      .resolvesOnce({ executionArn: exec('a'), name: 'a', status: 'SUCCEEDED', output: '{"progress":{"externalOutcome":"superseded"}}', startDate: new Date(), stateMachineArn: SM });
    expect(await verdictComplete(event(exec('a')))).toEqual({ IsComplete: false });
    expect(await verdictComplete(event(exec('a')))).toEqual({ IsComplete: true });
    await expect(verdictComplete(event(exec('a')))).rejects.toThrow(/ended FAILED \(CanaryRolledBack: guard alarm in ALARM: ErrorRate\), not promoted/);
    await expect(verdictComplete(event(exec('a')))).rejects.toThrow(/not promoted/);
  });

  test('a stack rollback sets it back to an older execution: that one decides nothing', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: exec('newer'), stateMachineArn: SM, name: 'newer', status: 'FAILED', startDate: new Date() }] });
    expect(await verdictComplete(event(exec('older')))).toEqual({ IsComplete: true });
    expect(sfn).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  test('no rollout (a deploy that changed nothing) and Delete complete at once', async () => {
    expect(await verdictComplete(event(''))).toEqual({ IsComplete: true });
    expect(await verdictComplete({ ...event(exec('a')), RequestType: 'Delete' })).toEqual({ IsComplete: true });
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});
