import {
  CreateAliasCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  LambdaClient,
  ResourceNotFoundException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, type CustomResourceEvent } from '../../../lambda/handlers/release';
import { COMPLETE_MARKER } from '../../../lambda/shared/release-complete';
import { ownerId } from '../../../lambda/shared/ownership';
import { ownerDescription } from '../../../lambda/targets/lambda-alias/target';
import { ALIAS_NAME, FUNCTION_NAME, NOW, STATE_MACHINE_ARN, TOPIC_ARN, alias as aliasOf, freezeTime, plan, publishedAlerts, quietLogs } from '../helpers';

const lambda = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const PHYSICAL_ID = `${FUNCTION_NAME}:${ALIAS_NAME}`;
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/1';
const ME = ownerId(STACK_ID, 'CanaryRelease');
const REQUEST_ID = 'a1b2c3d4-0000-4000-8000-000000000000';

/** An alias this release resource owns (its Description carries the owner record). */
function alias(...args: Parameters<typeof aliasOf>) {
  return { ...aliasOf(...args), Description: ownerDescription({ owner: ME }) };
}
const execArn = (n: number) => `arn:aws:states:us-east-1:123456789012:execution:canary-rollout:release-${n}`;

function event(RequestType: CustomResourceEvent['RequestType'], Version: string, PhysicalResourceId?: string): CustomResourceEvent {
  return {
    RequestType,
    StackId: STACK_ID,
    LogicalResourceId: 'CanaryRelease',
    RequestId: REQUEST_ID,
    PhysicalResourceId,
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
      CanaryName: 'sentiment',
      Target: plan().target,
      TopicArn: TOPIC_ARN,
      StateMachineArn: STATE_MACHINE_ARN,
      Version,
    },
  };
}

/** Names of the calls that change something, in the order they were made across all clients. */
let changes: string[];

beforeEach(() => {
  lambda.reset();
  sfn.reset();
  sns.reset();
  freezeTime(NOW);
  quietLogs();
  changes = [];
  const record = (name: string, out: object) => () => {
    changes.push(name);
    return out;
  };
  lambda.on(UpdateAliasCommand).callsFake(record('UpdateAlias', {}));
  lambda.on(CreateAliasCommand).callsFake(record('CreateAlias', alias('5', undefined, 'rev-new')));
  lambda.on(DeleteAliasCommand).callsFake(record('DeleteAlias', {}));
  sfn.on(StopExecutionCommand).callsFake(record('StopExecution', { stopDate: new Date() }));
  sfn.on(StartExecutionCommand).callsFake(record('StartExecution', { executionArn: execArn(99), startDate: new Date() }));
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

function runningExecutions(...arns: string[]) {
  sfn.on(ListExecutionsCommand).resolves({
    executions: arns.map((executionArn) => ({ executionArn, stateMachineArn: STATE_MACHINE_ARN, name: executionArn.split(':').pop()!, status: 'RUNNING', startDate: new Date() })),
  });
}

function startedInput(): unknown {
  return JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input ?? 'null');
}

describe('release custom resource', () => {
  describe('Create', () => {
    test('no alias yet: creates it on the version, records the owner, starts no rollout', async () => {
      const missing = new ResourceNotFoundException({ message: 'Alias not found', $metadata: { httpStatusCode: 404 } });
      lambda.on(GetAliasCommand).rejectsOnce(missing).rejectsOnce(missing).resolves(aliasOf('5', undefined, 'rev-new'));
      const out = await handler(event('Create', '5'));
      expect(lambda).toHaveReceivedCommandWith(CreateAliasCommand, { FunctionName: FUNCTION_NAME, Name: ALIAS_NAME, FunctionVersion: '5' });
      expect(changes).toEqual(['CreateAlias', 'UpdateAlias']);
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
        FunctionVersion: '5',
        RoutingConfig: { AdditionalVersionWeights: {} },
        Description: ownerDescription({ owner: ME }),
        RevisionId: 'rev-new',
      });
      expect(sfn).not.toHaveReceivedAnyCommand();
      expect(sns).not.toHaveReceivedAnyCommand();
      expect(out).toEqual({ PhysicalResourceId: PHYSICAL_ID, Data: { StableVersion: '5', TargetName: ALIAS_NAME, Action: 'created', ExecutionArn: '' }, [COMPLETE_MARKER]: true });
    });

    test('the alias already serves the version: nothing changes', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5'));
      const out = await handler(event('Create', '5'));
      expect(changes).toEqual([]);
      expect(out.PhysicalResourceId).toBe(PHYSICAL_ID);
      expect(out.Data?.StableVersion).toBe('5');
    });
  });

  describe('Update', () => {
    test('a new version with nothing in flight: starts a rollout from the stable version', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5'));
      const out = await handler(event('Update', '6', PHYSICAL_ID));
      expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' });
      expect(changes).toEqual(['StartExecution']);
      expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN });
      expect(startedInput()).toEqual({ release: { stableVersion: '5', canaryVersion: '6' } });
      expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name).toBe(`release-6-${NOW}-a1b2c3d4`);
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
      expect(out).toEqual({
        PhysicalResourceId: PHYSICAL_ID,
        Data: { StableVersion: '5', TargetName: ALIAS_NAME, Action: `rollout started: release-6-${NOW}-a1b2c3d4`, ExecutionArn: expect.stringMatching(/^arn:aws:states:/) },
        [COMPLETE_MARKER]: true,
      });
    });

    test('a new version while a canary is in flight: stops the rollouts, zeroes the canary, then starts the new rollout', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }, 'rev-50'));
      sfn
        .on(ListExecutionsCommand)
        .resolvesOnce({ executions: [{ executionArn: execArn(1), stateMachineArn: STATE_MACHINE_ARN, name: 'r1', status: 'RUNNING', startDate: new Date() }], nextToken: 'more' })
        .resolvesOnce({ executions: [{ executionArn: execArn(2), stateMachineArn: STATE_MACHINE_ARN, name: 'r2', status: 'RUNNING', startDate: new Date() }] });

      const out = await handler(event('Update', '7', PHYSICAL_ID));

      expect(changes).toEqual(['StopExecution', 'StopExecution', 'UpdateAlias', 'StartExecution']);
      expect(sfn).toHaveReceivedNthSpecificCommandWith(2, ListExecutionsCommand, { nextToken: 'more', statusFilter: 'RUNNING' });
      expect(sfn).toHaveReceivedNthSpecificCommandWith(1, StopExecutionCommand, { executionArn: execArn(1), error: 'Superseded' });
      expect(sfn).toHaveReceivedNthSpecificCommandWith(2, StopExecutionCommand, { executionArn: execArn(2), error: 'Superseded' });
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
        FunctionVersion: '5',
        RoutingConfig: { AdditionalVersionWeights: {} },
        RevisionId: 'rev-50',
      });
      expect(startedInput()).toEqual({ release: { stableVersion: '5', canaryVersion: '7' } });

      const alerts = publishedAlerts(sns);
      expect(alerts).toHaveLength(1);
      expect(alerts[0].body).toMatchObject({ event: 'SUPERSEDED', stableVersion: '5', canaryVersion: '6', weightPercent: 25 });
      expect(alerts[0].body.reason).toContain('2 rollout(s) stopped');
      expect(out.Data).toMatchObject({ StableVersion: '5', TargetName: ALIAS_NAME });
      expect(out.PhysicalResourceId).toBe(PHYSICAL_ID);
    });

    test('the version of the canary in flight (an unrelated deploy): nothing changes', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.25 }));
      const out = await handler(event('Update', '6', PHYSICAL_ID));
      expect(changes).toEqual([]);
      expect(sfn).not.toHaveReceivedAnyCommand();
      expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
      expect(sns).not.toHaveReceivedAnyCommand();
      expect(out).toEqual({ PhysicalResourceId: PHYSICAL_ID, Data: { StableVersion: '5', TargetName: ALIAS_NAME, Action: expect.stringContaining('unchanged'), ExecutionArn: '' }, [COMPLETE_MARKER]: true });
    });

    test('the stable version with no canary and no rollout running: nothing changes', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5'));
      const out = await handler(event('Update', '5', PHYSICAL_ID));
      expect(changes).toEqual([]);
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(sns).not.toHaveReceivedAnyCommand();
      expect(out.Data).toMatchObject({ StableVersion: '5', Action: expect.stringContaining('unchanged') });
    });

    test('the stable version while a canary is in flight (stack rollback): canary to 0, no new rollout', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }, 'rev-51'));
      runningExecutions(execArn(1));
      const out = await handler(event('Update', '5', PHYSICAL_ID));
      expect(changes).toEqual(['StopExecution', 'UpdateAlias']);
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '5', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: 'rev-51' });
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(publishedAlerts(sns)[0].body).toMatchObject({ event: 'SUPERSEDED', canaryVersion: '6', weightPercent: 5 });
      expect(out).toEqual({ PhysicalResourceId: PHYSICAL_ID, Data: { StableVersion: '5', TargetName: ALIAS_NAME, Action: expect.stringContaining('rollout stopped'), ExecutionArn: '' }, [COMPLETE_MARKER]: true });
    });

    test('the previous version during the post-promotion watch (it keeps its control share): the rollout stops and all traffic goes back to it', async () => {
      lambda.on(GetAliasCommand).resolves(alias('6', { version: '5', weight: 0.05 }, 'rev-70'));
      runningExecutions(execArn(1));
      const back = { ...event('Update', '5', PHYSICAL_ID), OldResourceProperties: { ...event('Update', '6').ResourceProperties } };
      const out = await handler(back);
      expect(changes).toEqual(['StopExecution', 'UpdateAlias']);
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '5', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: 'rev-70' });
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(publishedAlerts(sns)[0].body).toMatchObject({ event: 'SUPERSEDED', stableVersion: '5', canaryVersion: '6', weightPercent: 95 });
      expect(out.Data).toMatchObject({ StableVersion: '5', Action: expect.stringContaining('went back to the previous version during the post-promotion watch') });
    });

    test('weights moved by the stopped rollout after the first read: the canary is zeroed with the current revision', async () => {
      lambda
        .on(GetAliasCommand)
        .resolvesOnce(alias('5', { version: '6', weight: 0.25 }, 'rev-60'))
        .resolves(alias('5', { version: '6', weight: 0.5 }, 'rev-61'));
      runningExecutions(execArn(1));
      await handler(event('Update', '7', PHYSICAL_ID));
      expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
      expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { RevisionId: 'rev-61' });
      expect(publishedAlerts(sns)[0].body.weightPercent).toBe(50);
      expect(startedInput()).toEqual({ release: { stableVersion: '5', canaryVersion: '7' } });
    });

    test('the stopped rollout promoted its canary meanwhile: the new rollout starts from that version', async () => {
      lambda
        .on(GetAliasCommand)
        .resolvesOnce(alias('5', { version: '6', weight: 1 }, 'rev-70'))
        .resolves(alias('6', undefined, 'rev-71'));
      runningExecutions(execArn(1));
      const out = await handler(event('Update', '7', PHYSICAL_ID));
      expect(changes).toEqual(['StopExecution', 'StartExecution']);
      expect(startedInput()).toEqual({ release: { stableVersion: '6', canaryVersion: '7' } });
      expect(out.Data?.StableVersion).toBe('6');
    });

    test('a throttled StartExecution is TransientAwsError', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5'));
      sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
      await expect(handler(event('Update', '6', PHYSICAL_ID))).rejects.toMatchObject({ name: 'TransientAwsError' });
    });
  });

  describe('Delete', () => {
    test('the matching physical id: stops rollouts and deletes the alias', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5'));
      runningExecutions(execArn(3));
      const out = await handler(event('Delete', '6', PHYSICAL_ID));
      expect(changes).toEqual(['StopExecution', 'DeleteAlias']);
      expect(lambda).toHaveReceivedCommandWith(DeleteAliasCommand, { FunctionName: FUNCTION_NAME, Name: ALIAS_NAME });
      expect(out).toEqual({ PhysicalResourceId: PHYSICAL_ID, [COMPLETE_MARKER]: true });
    });

    test('an alias already gone is fine', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5'));
      lambda.on(DeleteAliasCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
      await expect(handler(event('Delete', '6', PHYSICAL_ID))).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID, [COMPLETE_MARKER]: true });
    });

    test('another physical id (a failed create): deletes nothing', async () => {
      const out = await handler(event('Delete', '6', 'some-request-id'));
      expect(lambda).not.toHaveReceivedAnyCommand();
      expect(sfn).not.toHaveReceivedAnyCommand();
      expect(out).toEqual({ PhysicalResourceId: 'some-request-id', [COMPLETE_MARKER]: true });
    });
  });

  /** The provider framework calls the same function as isComplete with the request merged with its result. */
  describe('the framework\'s isComplete call', () => {
    test('after a Delete (its result has no Data): answers complete and deletes nothing again', async () => {
      lambda.on(GetAliasCommand).resolves(alias('5'));
      const request = event('Delete', '6', PHYSICAL_ID);
      const deleted = await handler(request);
      lambda.resetHistory();
      sfn.resetHistory();
      await expect(handler({ ...request, ...deleted })).resolves.toEqual({ IsComplete: true });
      expect(lambda).not.toHaveReceivedAnyCommand();
      expect(sfn).not.toHaveReceivedAnyCommand();
    });

    test('after the Create of an alias: complete at once (an alias serves as soon as it exists), no rollout', async () => {
      const missing = new ResourceNotFoundException({ message: 'Alias not found', $metadata: { httpStatusCode: 404 } });
      lambda.on(GetAliasCommand).rejectsOnce(missing).rejectsOnce(missing).resolves(alias('5'));
      const request = event('Create', '5');
      const created = await handler(request);
      expect(created.Data?.Action).toBe('created');
      lambda.resetHistory();
      await expect(handler({ ...request, ...created })).resolves.toEqual({ IsComplete: true });
      expect(lambda).not.toHaveReceivedCommand(CreateAliasCommand);
      expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    });
  });

  test('the physical id is the same for every request, so CloudFormation never replaces the alias', async () => {
    const missing = new ResourceNotFoundException({ message: 'Alias not found', $metadata: { httpStatusCode: 404 } });
    lambda.on(GetAliasCommand).rejectsOnce(missing).rejectsOnce(missing).resolves(aliasOf('5'));
    const created = await handler(event('Create', '5'));
    lambda.on(GetAliasCommand).resolves(alias('5'));
    const updated = await handler(event('Update', '6', created.PhysicalResourceId));
    lambda.on(GetAliasCommand).resolves(alias('5', { version: '6', weight: 0.05 }));
    const unrelated = await handler(event('Update', '6', updated.PhysicalResourceId));
    expect(new Set([created.PhysicalResourceId, updated.PhysicalResourceId, unrelated.PhysicalResourceId])).toEqual(new Set([PHYSICAL_ID]));
  });
});

describe('release: a deploy that does not change the version', () => {
  test('changes nothing, even when the alias has no canary (a rolled-back canary must not come back)', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    const update = { ...event('Update', '6', PHYSICAL_ID), OldResourceProperties: { Version: '6', TopicArn: 'old-topic' } };
    const out = await handler(update);
    expect(out.Data).toMatchObject({ StableVersion: '5', Action: expect.stringContaining('did not publish a new version') });
    expect(changes).toEqual([]);
  });

  test('a changed version is still released when other settings changed too', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    const update = { ...event('Update', '6', PHYSICAL_ID), OldResourceProperties: { Version: '5', TopicArn: 'old-topic' } };
    await handler(update);
    expect(changes).toEqual(['StartExecution']);
  });
});

describe('release: a stack rollback before the canary got any traffic', () => {
  test('Update new→old while the rollout has not shifted weight yet: the rollout in flight is stopped', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    runningExecutions(execArn(4));
    const rollback = { ...event('Update', '5', PHYSICAL_ID), OldResourceProperties: { Version: '6' } };
    const out = await handler(rollback);
    expect(changes).toEqual(['StopExecution']);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn: execArn(4), error: 'Superseded' });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(out.Data).toMatchObject({ StableVersion: '5', Action: expect.stringContaining('rollout stopped') });
  });
});

describe('release: execution names', () => {
  const LONG = 'v'.repeat(120);

  test('a 120-character version keeps the timestamp and the request suffix, within 80 allowed characters', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    await handler(event('Update', LONG, PHYSICAL_ID));
    const name = sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name!;
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(name.endsWith(`-${NOW}-a1b2c3d4`)).toBe(true);
    expect(name.startsWith('release-vvvv')).toBe(true);
  });

  test('two deploys of a long version in the same second get different names', async () => {
    lambda.on(GetAliasCommand).resolves(alias('5'));
    await handler({ ...event('Update', LONG, PHYSICAL_ID), RequestId: 'aaaa1111-x' });
    await handler({ ...event('Update', LONG, PHYSICAL_ID), RequestId: 'bbbb2222-y' });
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(new Set(names).size).toBe(2);
  });
});
