import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { type ExecutionEndEvent, handler } from '../../../lambda/handlers/on-execution-end';
import { CANARIES, NOW, RELEASE, STATE_MACHINE_ARN, TOPIC_ARN, alias, descriptor, freezeTime, publishedAlerts, quietLogs, registry } from '../helpers';

const lambda = mockClient(LambdaClient);
const sns = mockClient(SNSClient);
const ssm = mockClient(SSMClient);

function ended(status: string, error?: string, cause?: string, stateMachineArn = STATE_MACHINE_ARN): ExecutionEndEvent {
  return {
    canaries: CANARIES,
    detail: { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:e', stateMachineArn, status, error: error ?? null, cause: cause ?? null, input: JSON.stringify({ release: RELEASE }) },
  };
}

beforeEach(() => {
  lambda.reset();
  sns.reset();
  ssm.reset();
  registry(ssm, descriptor());
  freezeTime(NOW);
  quietLogs();
  lambda.on(UpdateAliasCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

describe('on-execution-end', () => {
  test.each([
    ['ABORTED', undefined, /was stopped/],
    ['TIMED_OUT', 'States.Timeout', /timed out \(States\.Timeout\)/],
    ['FAILED', 'States.Runtime', /failed \(States\.Runtime: history full\)/],
  ])('%s with the canary at its share: weight 0 and a FAILED alert', async (status, error, reason) => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-1'));
    const out = await handler(ended(status, error, error === 'States.Runtime' ? 'history full' : undefined));
    expect(out.action).toBe('rolled_back');
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '5', RoutingConfig: { AdditionalVersionWeights: {} } });
    const [alert] = publishedAlerts(sns);
    expect(alert.body).toMatchObject({ event: 'FAILED', weightPercent: 25, canaryVersion: '6' });
    expect(String(alert.body.reason)).toMatch(reason);
  });

  test('stopped by a newer release (Superseded): nothing, not even a read', async () => {
    expect((await handler(ended('ABORTED', 'Superseded'))).action).toBe('ignored');
    expect(lambda).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  test('stopped in the post-promotion watch (the previous version at its control share): traffic goes back to it, as the workflow would', async () => {
    lambda.on(GetAliasCommand).resolves(alias('6', { version: '5', weight: 0.05 }, 'rev-4'));
    const out = await handler(ended('TIMED_OUT', 'States.Timeout'));
    expect(out.action).toBe('rolled_back');
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '5', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: 'rev-4' });
    const [alert] = publishedAlerts(sns);
    expect(alert.body).toMatchObject({ event: 'FAILED', weightPercent: 95, canaryVersion: '6' });
    expect(String(alert.body.reason)).toMatch(/in the post-promotion watch: traffic went back to the previous version/);
  });

  test.each(['CanaryRolledBack', 'RolloutFailed', 'InsufficientEvidence'])('the workflow ended as %s with the canary at 0: no second alert', async (error) => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    expect((await handler(ended('FAILED', error))).action).toBe('ignored');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  test('RollbackFailed with the canary still at its share: tries the rollback again and alerts', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }, 'rev-2'));
    expect((await handler(ended('FAILED', 'RollbackFailed'))).action).toBe('rolled_back');
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
  });

  test('a stopped execution whose canary was promoted meanwhile leaves the target alone, and says so', async () => {
    lambda.on(GetAliasCommand).resolves(alias('6'));
    const out = await handler(ended('ABORTED'));
    expect(out.action).toBe('alerted');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(String(publishedAlerts(sns)[0].body.reason)).toMatch(/the canary had no share/);
  });

  test("an execution of a state machine no canary of the stack runs (the rule's prefix matched another): ignored", async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-1'));
    const out = await handler(ended('FAILED', 'States.Runtime', undefined, `${STATE_MACHINE_ARN}-other`));
    expect(out.action).toBe('ignored');
    expect(lambda).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  test("the alert goes to the topic the canary's descriptor names", async () => {
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-1'));
    await handler(ended('TIMED_OUT', 'States.Timeout'));
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC_ARN });
  });

  test('SUCCEEDED and RUNNING are not its business', async () => {
    for (const s of ['SUCCEEDED', 'RUNNING']) expect((await handler(ended(s))).action).toBe('ignored');
    expect(lambda).not.toHaveReceivedAnyCommand();
  });
});
