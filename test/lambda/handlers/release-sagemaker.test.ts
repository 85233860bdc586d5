import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, type CustomResourceEvent } from '../../../lambda/handlers/release';
import { endpointConfigName, STABLE_TAG } from '../../../lambda/shared/targets/sagemaker-endpoint';
import { NOW, STATE_MACHINE_ARN, TOPIC_ARN, publishedAlerts, quietLogs } from '../helpers';
import { ENDPOINT, MODEL_A, MODEL_B, MODEL_C, SM_TARGET, endpoint, notFound, settleWithin, tags } from '../sagemaker-helpers';

const sagemaker = mockClient(SageMakerClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const execArn = (n: number) => `arn:aws:states:us-east-1:123456789012:execution:canary-rollout:release-${n}`;

function event(RequestType: CustomResourceEvent['RequestType'], Version: string, PhysicalResourceId?: string): CustomResourceEvent {
  return {
    RequestType,
    PhysicalResourceId,
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
      CanaryName: 'summarizer',
      Target: SM_TARGET,
      TopicArn: TOPIC_ARN,
      StateMachineArn: STATE_MACHINE_ARN,
      Version,
    },
  };
}

/** Names of the calls that change something, in the order they were made across all clients. */
let changes: string[];

beforeEach(() => {
  jest.useFakeTimers({ now: NOW * 1000 });
  sagemaker.reset();
  sfn.reset();
  sns.reset();
  quietLogs();
  changes = [];
  const record = (name: string, out: object = {}) => () => {
    changes.push(name);
    return out;
  };
  sagemaker.on(CreateEndpointConfigCommand).callsFake(record('CreateEndpointConfig'));
  sagemaker.on(CreateEndpointCommand).callsFake(record('CreateEndpoint'));
  sagemaker.on(DeleteEndpointCommand).callsFake(record('DeleteEndpoint'));
  sagemaker.on(UpdateEndpointCommand).callsFake(record('UpdateEndpoint'));
  sagemaker.on(AddTagsCommand).callsFake(record('AddTags'));
  sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake(record('UpdateEndpointWeightsAndCapacities'));
  sagemaker.on(ListTagsCommand).resolves(tags(MODEL_A));
  sfn.on(StopExecutionCommand).callsFake(record('StopExecution', { stopDate: new Date() }));
  sfn.on(StartExecutionCommand).callsFake(record('StartExecution', { executionArn: execArn(99), startDate: new Date() }));
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

function runningExecutions(...arns: string[]) {
  sfn.on(ListExecutionsCommand).resolves({
    executions: arns.map((executionArn) => ({ executionArn, stateMachineArn: STATE_MACHINE_ARN, name: executionArn.split(':').pop()!, status: 'RUNNING', startDate: new Date() })),
  });
}

function startedInput(): unknown {
  return JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input ?? 'null');
}

function weightCalls(): Record<string, number | undefined>[] {
  return sagemaker
    .commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)
    .map((c) => Object.fromEntries((c.args[0].input.DesiredWeightsAndCapacities ?? []).map((d) => [d.VariantName, d.DesiredWeight])));
}

describe('release custom resource on a SageMaker endpoint', () => {
  test('Create: no endpoint yet, so it is created with the model as its only variant; no rollout', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(notFound());
    const out = await handler(event('Create', MODEL_A));

    expect(changes).toEqual(['CreateEndpointConfig', 'CreateEndpoint']);
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: endpointConfigName(ENDPOINT, MODEL_A),
      ProductionVariants: [{ VariantName: MODEL_A, ModelName: MODEL_A, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, { EndpointName: ENDPOINT, Tags: [{ Key: STABLE_TAG, Value: MODEL_A }] });
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(out).toEqual({ PhysicalResourceId: ENDPOINT, Data: { StableVersion: MODEL_A, TargetName: ENDPOINT, Action: 'created' } });
  });

  test('Update with a new model: starts a rollout from the model the endpoint serves, changes nothing on the endpoint', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
    const out = await handler(event('Update', MODEL_B, ENDPOINT));

    expect(changes).toEqual(['StartExecution']);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN });
    expect(startedInput()).toEqual({ release: { stableVersion: MODEL_A, canaryVersion: MODEL_B } });
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name).toBe(`release-${MODEL_B}-${NOW}`);
    expect(out).toEqual({
      PhysicalResourceId: ENDPOINT,
      Data: { StableVersion: MODEL_A, TargetName: ENDPOINT, Action: `rollout started: release-${MODEL_B}-${NOW}` },
    });
  });

  test('Update while a canary variant has weight: the rollout is stopped and the old canary set to 0 before the new rollout starts', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 75, [MODEL_B]: 25 }));
    runningExecutions(execArn(1));
    const out = await handler(event('Update', MODEL_C, ENDPOINT));

    expect(changes).toEqual(['StopExecution', 'UpdateEndpointWeightsAndCapacities', 'StartExecution']);
    expect(weightCalls()).toEqual([{ [MODEL_A]: 100, [MODEL_B]: 0 }]);
    expect(startedInput()).toEqual({ release: { stableVersion: MODEL_A, canaryVersion: MODEL_C } });
    const alerts = publishedAlerts(sns);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].body).toMatchObject({ event: 'SUPERSEDED', stableVersion: MODEL_A, canaryVersion: MODEL_B, weightPercent: 25 });
    expect(out.Data).toMatchObject({ StableVersion: MODEL_A, TargetName: ENDPOINT });
  });

  test('the endpoint is still Updating (the stopped rollout just moved weights): waits for InService, then zeroes the canary', async () => {
    sagemaker
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint('Updating', { [MODEL_A]: 50, [MODEL_B]: 50 }))
      .resolvesOnce(endpoint('Updating', { [MODEL_A]: 50, [MODEL_B]: 50 }))
      .resolvesOnce(endpoint('Updating', { [MODEL_A]: 50, [MODEL_B]: 50 }))
      .resolves(endpoint('InService', { [MODEL_A]: 50, [MODEL_B]: 50 }));
    runningExecutions(execArn(1));

    const result = await settleWithin(10_000, () => handler(event('Update', MODEL_C, ENDPOINT)));

    expect(result.ok).toBe(true);
    expect(changes).toEqual(['StopExecution', 'UpdateEndpointWeightsAndCapacities', 'StartExecution']);
    expect(weightCalls()).toEqual([{ [MODEL_A]: 100, [MODEL_B]: 0 }]);
    expect(startedInput()).toEqual({ release: { stableVersion: MODEL_A, canaryVersion: MODEL_C } });
  });

  test('the canary at its 100 % step (tag still on the old model): it is set to 0, the new rollout starts from the old model', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 0, [MODEL_B]: 100 }));
    await handler(event('Update', MODEL_C, ENDPOINT));
    expect(changes).toEqual(['UpdateEndpointWeightsAndCapacities', 'StartExecution']);
    expect(weightCalls()).toEqual([{ [MODEL_A]: 100, [MODEL_B]: 0 }]);
    expect(startedInput()).toEqual({ release: { stableVersion: MODEL_A, canaryVersion: MODEL_C } });
  });

  test('after a promotion (tag on the new model, old model at 0): the next rollout starts from the promoted model, no weight change', async () => {
    sagemaker.on(ListTagsCommand).resolves(tags(MODEL_B));
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 0, [MODEL_B]: 100 }));
    const out = await handler(event('Update', MODEL_C, ENDPOINT));
    expect(changes).toEqual(['StartExecution']);
    expect(startedInput()).toEqual({ release: { stableVersion: MODEL_B, canaryVersion: MODEL_C } });
    expect(out.Data?.StableVersion).toBe(MODEL_B);
  });

  test('the stable model while a canary is in flight (stack rollback): canary to 0, no new rollout', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 95, [MODEL_B]: 5 }));
    runningExecutions(execArn(1));
    const out = await handler(event('Update', MODEL_A, ENDPOINT));
    expect(changes).toEqual(['StopExecution', 'UpdateEndpointWeightsAndCapacities']);
    expect(weightCalls()).toEqual([{ [MODEL_A]: 100, [MODEL_B]: 0 }]);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(out.Data).toMatchObject({ StableVersion: MODEL_A, Action: expect.stringContaining('rollout stopped') });
  });

  test('the model of the canary in flight (an unrelated deploy): nothing changes', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 75, [MODEL_B]: 25 }));
    const out = await handler(event('Update', MODEL_B, ENDPOINT));
    expect(changes).toEqual([]);
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(out.Data).toMatchObject({ StableVersion: MODEL_A, Action: expect.stringContaining('unchanged') });
  });

  test('a deploy that keeps the model (other settings changed): nothing changes', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 100, [MODEL_B]: 0 }));
    const out = await handler({ ...event('Update', MODEL_B, ENDPOINT), OldResourceProperties: { Version: MODEL_B } });
    expect(changes).toEqual([]);
    expect(out.Data?.Action).toContain('did not publish a new version');
  });

  test('Delete: stops the rollouts and deletes the endpoint', async () => {
    runningExecutions(execArn(3));
    const out = await handler(event('Delete', MODEL_B, ENDPOINT));
    expect(changes).toEqual(['StopExecution', 'DeleteEndpoint']);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
    expect(out).toEqual({ PhysicalResourceId: ENDPOINT });
  });

  test('Delete of another physical id (a failed create): deletes nothing', async () => {
    const out = await handler(event('Delete', MODEL_B, 'some-request-id'));
    expect(sagemaker).not.toHaveReceivedAnyCommand();
    expect(out).toEqual({ PhysicalResourceId: 'some-request-id' });
  });
});
