/**
 * Who owns the alias, through the release handler against the simulated Lambda control plane
 * (sim/aws/lambda/lambda.ts keeps the alias Description as Lambda does): renames, their rollback, adoption,
 * a library upgrade, and a real stack delete.
 */
import {
  CreateAliasCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  LambdaClient,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, type CustomResourceEvent } from '../../../lambda/handlers/release';
import { ownerId, UNRECORDED } from '../../../lambda/shared/ownership';
import { ownerOf } from '../../../lambda/targets/lambda-alias/target';
import { LambdaSim, Random } from '../../../sim';
import { FUNCTION_NAME, ALIAS_NAME, NOW, STATE_MACHINE_ARN, TOPIC_ARN, freezeTime, plan, publishedAlerts, quietLogs } from '../helpers';

const lambdaMock = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/1';
const OLD = 'CanaryRelease1111';
const NEW = 'MovedCanaryRelease2222';
const PHYSICAL_ID = `${FUNCTION_NAME}:${ALIAS_NAME}`;

let sim: LambdaSim;
let running: string[];

function event(
  RequestType: CustomResourceEvent['RequestType'],
  logicalId: string,
  Version: string,
  extra: { physicalId?: string; adopt?: boolean; oldVersion?: string; stateMachine?: string; stack?: string } = {},
): CustomResourceEvent {
  return {
    RequestType,
    StackId: extra.stack ?? STACK,
    LogicalResourceId: logicalId,
    RequestId: `req-${logicalId}-${RequestType}`,
    PhysicalResourceId: extra.physicalId,
    ResourceProperties: {
      CanaryName: 'sentiment',
      Target: plan().target,
      TopicArn: TOPIC_ARN,
      StateMachineArn: extra.stateMachine ?? STATE_MACHINE_ARN,
      Version,
      AdoptExisting: extra.adopt ? 'true' : 'false',
    },
    ...(extra.oldVersion ? { OldResourceProperties: { Version: extra.oldVersion } } : {}),
  };
}

const aliasNow = () => sim.alias(FUNCTION_NAME, ALIAS_NAME);
const ownerNow = () => ownerOf(aliasNow()?.description);

beforeEach(() => {
  freezeTime(NOW);
  quietLogs();
  lambdaMock.reset();
  sfn.reset();
  sns.reset();
  sim = new LambdaSim(new Random(7), () => NOW * 1000);
  sim.addFunction({ logicalId: 'Fn', name: FUNCTION_NAME, timeoutSeconds: 3 });
  for (const v of ['5', '6', '7']) sim.publishVersion(FUNCTION_NAME, v);
  lambdaMock.on(GetAliasCommand).callsFake((i) => sim.getAlias(i));
  lambdaMock.on(CreateAliasCommand).callsFake((i) => sim.createAlias(i));
  lambdaMock.on(UpdateAliasCommand).callsFake((i) => sim.updateAlias(i));
  lambdaMock.on(DeleteAliasCommand).callsFake((i) => sim.deleteAlias(i));
  running = [];
  sfn.on(ListExecutionsCommand).callsFake(() => ({ executions: running.map((executionArn) => ({ executionArn, status: 'RUNNING' })) }));
  sfn.on(StopExecutionCommand).callsFake((i) => {
    running = running.filter((a) => a !== i.executionArn);
    return {};
  });
  sfn.on(StartExecutionCommand).callsFake((i) => {
    const arn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${i.name}`;
    running.push(arn);
    return { executionArn: arn };
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => jest.restoreAllMocks());

/** The first deploy: the old release resource creates the alias on version 5. */
async function firstDeploy(): Promise<void> {
  await handler(event('Create', OLD, '5'));
  running = [];
}

describe('rename or move of the construct (a new logical id)', () => {
  test('Create new, then Delete old: the alias stays, serving, owned by the new resource', async () => {
    await firstDeploy();
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, OLD) });

    await handler(event('Create', NEW, '5'));
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, NEW), previousOwner: ownerId(STACK, OLD) });
    await handler(event('Delete', OLD, '5', { physicalId: PHYSICAL_ID }));

    expect(aliasNow()).toMatchObject({ functionVersion: '5', weights: {} });
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, NEW) });
    expect(sim.aliasHistory.map((c) => c.operation)).not.toContain('DeleteAlias');

    // The stack is deleted later: now the alias goes.
    await handler(event('Delete', NEW, '5', { physicalId: PHYSICAL_ID }));
    expect(aliasNow()).toBeUndefined();
  });

  test('a stack rollback of the rename (Create new, Delete new): the alias stays, owner back to the old resource', async () => {
    await firstDeploy();
    await handler(event('Create', NEW, '5'));
    await handler(event('Delete', NEW, '5', { physicalId: PHYSICAL_ID }));

    expect(aliasNow()).toMatchObject({ functionVersion: '5', weights: {} });
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, OLD) });
    // ... and the old resource still deletes it with the stack.
    await handler(event('Delete', OLD, '5', { physicalId: PHYSICAL_ID }));
    expect(aliasNow()).toBeUndefined();
  });

  test('a rename that also releases a new version, rolled back: the new canary goes to 0 % with an alert, the alias stays', async () => {
    await firstDeploy();
    const out = await handler(event('Create', NEW, '6', { stateMachine: `${STATE_MACHINE_ARN}-new` }));
    expect(out.Data?.Action).toContain('rollout started');
    // The rollout gave the canary a share before the stack failed.
    sim.updateAlias({ FunctionName: FUNCTION_NAME, Name: ALIAS_NAME, RoutingConfig: { AdditionalVersionWeights: { '6': 0.05 } } });

    await handler(event('Delete', NEW, '6', { physicalId: PHYSICAL_ID, stateMachine: `${STATE_MACHINE_ARN}-new` }));
    expect(running).toEqual([]);
    expect(aliasNow()).toMatchObject({ functionVersion: '5', weights: {} });
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, OLD) });
    expect(publishedAlerts(sns)[0].body).toMatchObject({ event: 'SUPERSEDED', canaryVersion: '6', weightPercent: 5 });
  });

  test('Update of the renamed resource in a later deploy clears the previous owner', async () => {
    await firstDeploy();
    await handler(event('Create', NEW, '5'));
    await handler(event('Update', NEW, '6', { physicalId: PHYSICAL_ID, oldVersion: '5' }));
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, NEW) });
  });
});

describe('a canary in another stack that names the same alias (a second app, or a copy of the stack)', () => {
  const OTHER_STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/app-copy/2';

  test('is refused with what to do; the alias and its owner stay as they were', async () => {
    await firstDeploy();
    const before = aliasNow();
    // The same logical id too: only the stack tells them apart.
    const create = handler(event('Create', OLD, '6', { stack: OTHER_STACK }));
    await expect(create).rejects.toThrow(/another stack.*Remove one of the two canaries.*adoptExisting: true/);
    await expect(handler(event('Update', OLD, '6', { stack: OTHER_STACK, physicalId: PHYSICAL_ID, oldVersion: '5' }))).rejects.toMatchObject({ name: 'RoutingOwnedElsewhere' });
    expect(aliasNow()).toBe(before);
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, OLD) });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('adoptExisting takes it over; the first stack is then refused, and deleting it leaves the alias serving', async () => {
    await firstDeploy();
    const out = await handler(event('Create', OLD, '6', { stack: OTHER_STACK, adopt: true }));
    expect(out.Data?.Action).toContain('rollout started');
    expect(ownerNow()).toEqual({ owner: ownerId(OTHER_STACK, OLD), previousOwner: ownerId(STACK, OLD) });
    // A later deploy of the adopting stack keeps the first stack as previous owner.
    await handler(event('Update', OLD, '7', { stack: OTHER_STACK, adopt: true, physicalId: PHYSICAL_ID, oldVersion: '6' }));
    expect(ownerNow()).toEqual({ owner: ownerId(OTHER_STACK, OLD), previousOwner: ownerId(STACK, OLD) });

    await expect(handler(event('Update', OLD, '6', { physicalId: PHYSICAL_ID, oldVersion: '5' }))).rejects.toMatchObject({ name: 'RoutingOwnedElsewhere' });
    await handler(event('Delete', OLD, '5', { physicalId: PHYSICAL_ID }));
    expect(aliasNow()).toMatchObject({ functionVersion: '5' });
    expect(ownerNow()).toEqual({ owner: ownerId(OTHER_STACK, OLD) });
  });
});

describe('an alias someone else made (AWS::Lambda::Alias, CodeDeploy)', () => {
  beforeEach(() => {
    sim.createAlias({ FunctionName: FUNCTION_NAME, Name: ALIAS_NAME, FunctionVersion: '5', Description: 'prod traffic' });
  });

  test('is refused with what to do, and left as it was', async () => {
    const before = aliasNow();
    await expect(handler(event('Create', NEW, '6'))).rejects.toThrow(/not created by cdk-model-canary.*RETAIN.*adoptExisting: true/);
    await expect(handler(event('Create', NEW, '6'))).rejects.toMatchObject({ name: 'RoutingOwnedElsewhere' });
    expect(aliasNow()).toBe(before);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('adoptExisting: taken over without a change to its routing; a rollback of that deploy leaves it serving', async () => {
    const out = await handler(event('Create', NEW, '5', { adopt: true }));
    expect(out.Data).toMatchObject({ StableVersion: '5', Action: expect.stringContaining('unchanged') });
    expect(aliasNow()).toMatchObject({ functionVersion: '5', weights: {} });
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, NEW), previousOwner: UNRECORDED });

    await handler(event('Delete', NEW, '5', { physicalId: PHYSICAL_ID }));
    expect(aliasNow()).toMatchObject({ functionVersion: '5' });
  });

  test('adoptExisting with a new version: the alias keeps serving the old one and a rollout starts', async () => {
    const out = await handler(event('Create', NEW, '6', { adopt: true }));
    expect(out.Data?.Action).toContain('rollout started');
    expect(aliasNow()).toMatchObject({ functionVersion: '5', weights: {} });
  });

  test('a failed Create (StartExecution refused) gives the alias back: the retry still needs adoptExisting', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    await expect(handler(event('Create', NEW, '6', { adopt: true }))).rejects.toThrow('no');
    expect(aliasNow()).toMatchObject({ functionVersion: '5', weights: {}, description: 'prod traffic' });
    sfn.on(StartExecutionCommand).resolves({});
    await expect(handler(event('Create', NEW, '6'))).rejects.toMatchObject({ name: 'RoutingOwnedElsewhere' });
  });
});

describe('an alias made by an earlier release of the library (no owner recorded)', () => {
  beforeEach(() => {
    sim.createAlias({ FunctionName: FUNCTION_NAME, Name: ALIAS_NAME, FunctionVersion: '5', Description: 'Managed by cdk-model-canary: weights change during rollouts' });
  });

  test('the first Update after the upgrade claims it; the stack delete then removes it', async () => {
    await handler(event('Update', OLD, '6', { physicalId: PHYSICAL_ID, oldVersion: '5' }));
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, OLD) });
    await handler(event('Delete', OLD, '6', { physicalId: PHYSICAL_ID }));
    expect(aliasNow()).toBeUndefined();
  });

  test('upgrade and rename in one deploy: the old resource\'s Delete leaves it to the new one', async () => {
    await handler(event('Create', NEW, '5'));
    await handler(event('Delete', OLD, '5', { physicalId: PHYSICAL_ID }));
    expect(aliasNow()).toMatchObject({ functionVersion: '5' });
    expect(ownerNow()).toEqual({ owner: ownerId(STACK, NEW) });
  });
});

describe('a real stack delete', () => {
  test('Delete of the owner: rollouts stop and the alias is removed', async () => {
    await firstDeploy();
    await handler(event('Update', OLD, '6', { physicalId: PHYSICAL_ID, oldVersion: '5' }));
    expect(running).toHaveLength(1);
    await handler(event('Delete', OLD, '6', { physicalId: PHYSICAL_ID }));
    expect(running).toEqual([]);
    expect(aliasNow()).toBeUndefined();
  });
});
