import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DeleteEndpointCommand,
  DeleteTagsCommand,
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
import { ownerId } from '../../../lambda/shared/ownership';
import { COMPLETE_MARKER, isComplete, isCompleteEvent, type ReleaseCompleteEvent } from '../../../lambda/shared/release-complete';
import { endpointConfigName, OWNER_TAG, PREVIOUS_OWNER_TAG, STABLE_TAG } from '../../../lambda/targets/sagemaker-endpoint/target';
import { Random } from '../../../sim/aws/core/random';
import { SageMakerSim } from '../../../sim/aws/sagemaker/sagemaker';
import { NOW, STATE_MACHINE_ARN, TOPIC_ARN, publishedAlerts, quietLogs } from '../helpers';
import { ENDPOINT, MODEL_A, MODEL_B, MODEL_C, SM_TARGET, endpoint, notFound, settleWithin, tags } from '../sagemaker-helpers';

const sagemaker = mockClient(SageMakerClient);
const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);

const execArn = (n: number) => `arn:aws:states:us-east-1:123456789012:execution:canary-rollout:release-${n}`;

const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/SummarizerStack/guid';
/** The owner id of the release resource the events below come from. */
const ME = ownerId(STACK_ID, 'SummarizerCanaryRelease');

function event(
  RequestType: CustomResourceEvent['RequestType'],
  Version: string,
  PhysicalResourceId?: string,
  LogicalResourceId = 'SummarizerCanaryRelease',
): CustomResourceEvent {
  return {
    RequestType,
    PhysicalResourceId,
    StackId: STACK_ID,
    LogicalResourceId,
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
  sagemaker.on(ListTagsCommand).resolves(tags(MODEL_A, { [OWNER_TAG]: ME }));
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
    // Not found for the owner record and for ensureServing, then Creating (the owner tag is written).
    sagemaker.on(DescribeEndpointCommand).rejectsOnce(notFound()).rejectsOnce(notFound()).resolves(endpoint('Creating', { [MODEL_A]: 1 }));
    sagemaker.on(ListTagsCommand).resolves(tags(MODEL_A));
    const out = await handler(event('Create', MODEL_A));

    expect(changes).toEqual(['CreateEndpointConfig', 'CreateEndpoint', 'AddTags']);
    expect(sagemaker).toHaveReceivedCommandWith(AddTagsCommand, { Tags: [{ Key: OWNER_TAG, Value: ME }] });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
      EndpointConfigName: endpointConfigName(ENDPOINT, MODEL_A),
      ProductionVariants: [{ VariantName: MODEL_A, ModelName: MODEL_A, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
    });
    expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, { EndpointName: ENDPOINT, Tags: [{ Key: STABLE_TAG, Value: MODEL_A }] });
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(out).toEqual({ PhysicalResourceId: ENDPOINT, Data: { StableVersion: MODEL_A, TargetName: ENDPOINT, Action: 'created', ExecutionArn: '' }, [COMPLETE_MARKER]: true });
  });

  test('Update with a new model: starts a rollout from the model the endpoint serves, changes nothing on the endpoint', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
    const out = await handler(event('Update', MODEL_B, ENDPOINT));

    expect(changes).toEqual(['StartExecution']);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: STATE_MACHINE_ARN });
    expect(startedInput()).toEqual({ release: { stableVersion: MODEL_A, canaryVersion: MODEL_B } });
    const name = sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name!;
    expect(name.startsWith(`release-${MODEL_B}-${NOW}`)).toBe(true);
    expect(out).toEqual({
      PhysicalResourceId: ENDPOINT,
      Data: { StableVersion: MODEL_A, TargetName: ENDPOINT, Action: `rollout started: ${name}`, ExecutionArn: expect.stringMatching(/^arn:aws:states:/) },
      [COMPLETE_MARKER]: true,
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
    sagemaker.on(ListTagsCommand).resolves(tags(MODEL_B, { [OWNER_TAG]: ME }));
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
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_B]: 1 }));
    runningExecutions(execArn(3));
    const out = await handler(event('Delete', MODEL_B, ENDPOINT));
    expect(changes).toEqual(['StopExecution', 'DeleteEndpoint']);
    expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
    expect(out).toEqual({ PhysicalResourceId: ENDPOINT, [COMPLETE_MARKER]: true });
  });

  test('Delete of another physical id (a failed create): deletes nothing', async () => {
    const out = await handler(event('Delete', MODEL_B, 'some-request-id'));
    expect(sagemaker).not.toHaveReceivedAnyCommand();
    expect(out).toEqual({ PhysicalResourceId: 'some-request-id', [COMPLETE_MARKER]: true });
  });
});

/**
 * The release resource against the simulated SageMaker (sim/aws/sagemaker/sagemaker.ts): endpoint states and
 * tags are real state here, so a sequence of CloudFormation events can be followed to the end.
 */
describe('ownership of the endpoint across CloudFormation events (simulated SageMaker)', () => {
  const OLD = 'SummarizerCanaryRelease';
  const NEW = 'ModelsSummarizerCanaryRelease';
  let sim: SageMakerSim;

  beforeEach(() => {
    sim = new SageMakerSim(new Random(3), () => Date.now());
    sim.addModel(MODEL_A);
    sim.addModel(MODEL_B);
    sagemaker.on(CreateEndpointConfigCommand).callsFake((i) => sim.createEndpointConfig(i));
    sagemaker.on(CreateEndpointCommand).callsFake((i) => sim.createEndpoint(i, 'release'));
    sagemaker.on(DescribeEndpointCommand).callsFake((i) => sim.describeEndpoint(i));
    sagemaker.on(DeleteEndpointCommand).callsFake((i) => sim.deleteEndpoint(i, 'release'));
    sagemaker.on(AddTagsCommand).callsFake((i) => sim.addTags(i));
    sagemaker.on(DeleteTagsCommand).callsFake((i) => sim.deleteTags(i));
    sagemaker.on(ListTagsCommand).callsFake((i) => sim.listTags(i));
    sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake((i) => sim.updateEndpointWeightsAndCapacities(i, 'release'));
  });

  const owners = () => {
    const t = sim.endpoint(ENDPOINT)!.tags;
    return { owner: t.get(OWNER_TAG), previousOwner: t.get(PREVIOUS_OWNER_TAG) };
  };
  const serving = () => sim.serving(sim.endpoint(ENDPOINT)) && sim.endpoint(ENDPOINT)!.status === 'InService';

  /** The first deploy by the resource `logicalId`: the endpoint on MODEL_A, InService after CreateEndpoint's 300 s. */
  async function created(logicalId: string) {
    const out = await handler(event('Create', MODEL_A, undefined, logicalId));
    expect(out.Data?.Action).toBe('created');
    await jest.advanceTimersByTimeAsync(sim.timings.createEndpointSeconds * 1000);
    expect(serving()).toBe(true);
  }

  test('a new endpoint records its owner in a tag', async () => {
    await created(OLD);
    expect(owners()).toEqual({ owner: ownerId(STACK_ID, OLD), previousOwner: undefined });
  });

  test('rename (Create of the new resource, then Delete of the old): the endpoint keeps serving, owned by the new resource alone', async () => {
    await created(OLD);
    const takeover = await handler(event('Create', MODEL_A, undefined, NEW));
    expect(takeover).toMatchObject({ PhysicalResourceId: ENDPOINT, Data: { StableVersion: MODEL_A, Action: expect.stringContaining('unchanged') } });
    expect(owners()).toEqual({ owner: ownerId(STACK_ID, NEW), previousOwner: ownerId(STACK_ID, OLD) });

    await handler(event('Delete', MODEL_A, ENDPOINT, OLD));
    await jest.advanceTimersByTimeAsync(sim.timings.deleteEndpointSeconds * 1000);
    expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(serving()).toBe(true);
    expect(owners()).toEqual({ owner: ownerId(STACK_ID, NEW), previousOwner: undefined });
    expect(sim.endpoint(ENDPOINT)!.variants.map((v) => [v.name, v.currentWeight])).toEqual([[MODEL_A, 1]]);
  });

  test('rollback of a rename (CloudFormation deletes the new resource): ownership goes back, the endpoint keeps serving', async () => {
    await created(OLD);
    await handler(event('Create', MODEL_A, undefined, NEW));
    await handler(event('Delete', MODEL_A, ENDPOINT, NEW));
    await jest.advanceTimersByTimeAsync(sim.timings.deleteEndpointSeconds * 1000);
    expect(sagemaker).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(serving()).toBe(true);
    expect(owners()).toEqual({ owner: ownerId(STACK_ID, OLD), previousOwner: undefined });
  });

  test('a canary of another stack naming the same endpoint is refused; with AdoptExisting it takes it over, and a rollback hands it back', async () => {
    await created(OLD);
    const other = (e: CustomResourceEvent): CustomResourceEvent => ({ ...e, StackId: `${STACK_ID}-copy` });
    changes = [];
    await expect(handler(other(event('Create', MODEL_B, undefined, OLD)))).rejects.toThrow(/another stack.*adoptExisting: true/);
    expect(changes).toEqual([]);
    expect(owners()).toEqual({ owner: ownerId(STACK_ID, OLD), previousOwner: undefined });

    const adopt = other(event('Create', MODEL_A, undefined, OLD));
    await handler({ ...adopt, ResourceProperties: { ...adopt.ResourceProperties, AdoptExisting: 'true' } });
    expect(owners()).toEqual({ owner: ownerId(`${STACK_ID}-copy`, OLD), previousOwner: ownerId(STACK_ID, OLD) });
    await handler(other(event('Delete', MODEL_A, ENDPOINT, OLD)));
    expect(serving()).toBe(true);
    expect(owners()).toEqual({ owner: ownerId(STACK_ID, OLD), previousOwner: undefined });
  });

  test('a real stack delete (the only owner goes) deletes the endpoint', async () => {
    await created(OLD);
    await handler(event('Delete', MODEL_A, ENDPOINT, OLD));
    expect(sim.endpoint(ENDPOINT)?.status).toBe('Deleting');
    await jest.advanceTimersByTimeAsync(sim.timings.deleteEndpointSeconds * 1000);
    expect(sim.endpoint(ENDPOINT)).toBeUndefined();
  });

  test('after a completed rename, a stack delete removes the endpoint through the new resource', async () => {
    await created(OLD);
    await handler(event('Create', MODEL_A, undefined, NEW));
    await handler(event('Delete', MODEL_A, ENDPOINT, OLD));
    await handler(event('Delete', MODEL_A, ENDPOINT, NEW));
    await jest.advanceTimersByTimeAsync(sim.timings.deleteEndpointSeconds * 1000);
    expect(sim.endpoint(ENDPOINT)).toBeUndefined();
  });

  test('an endpoint made by a release of the library from before owner tags (stable tag only): the same resource takes it over on Update', async () => {
    sim.createEndpointConfig({ EndpointConfigName: 'old-config', ProductionVariants: [{ VariantName: MODEL_A, ModelName: MODEL_A, InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }] });
    sim.createEndpoint({ EndpointName: ENDPOINT, EndpointConfigName: 'old-config', Tags: [{ Key: STABLE_TAG, Value: MODEL_A }] });
    await jest.advanceTimersByTimeAsync(sim.timings.createEndpointSeconds * 1000);
    await handler({ ...event('Update', MODEL_A, ENDPOINT, OLD), OldResourceProperties: { Version: MODEL_A } });
    expect(owners()).toEqual({ owner: ownerId(STACK_ID, OLD), previousOwner: undefined });
    expect(serving()).toBe(true);
  });
});

describe('the first deploy waits for InService (the Provider framework isComplete, simulated SageMaker)', () => {
  let sim: SageMakerSim;
  beforeEach(() => {
    sim = new SageMakerSim(new Random(5), () => Date.now());
    sim.addModel(MODEL_A);
    sagemaker.on(CreateEndpointConfigCommand).callsFake((i) => sim.createEndpointConfig(i));
    sagemaker.on(CreateEndpointCommand).callsFake((i) => sim.createEndpoint(i, 'release'));
    sagemaker.on(DescribeEndpointCommand).callsFake((i) => sim.describeEndpoint(i));
    sagemaker.on(DeleteEndpointCommand).callsFake((i) => sim.deleteEndpoint(i, 'release'));
    sagemaker.on(AddTagsCommand).callsFake((i) => sim.addTags(i));
    sagemaker.on(ListTagsCommand).callsFake((i) => sim.listTags(i));
  });

  /** What the framework hands isComplete: the request merged with the release handler's result. */
  const completeEvent = (e: CustomResourceEvent, out: { Data?: object }): ReleaseCompleteEvent => ({ ...e, ...out });

  test('not complete while the endpoint is Creating; complete once it is InService', async () => {
    const e = event('Create', MODEL_A);
    const out = await handler(e);
    expect(sim.endpoint(ENDPOINT)!.status).toBe('Creating');
    expect(await isComplete(completeEvent(e, out))).toEqual({ IsComplete: false });
    await jest.advanceTimersByTimeAsync(sim.timings.createEndpointSeconds * 1000);
    expect(await isComplete(completeEvent(e, out))).toEqual({ IsComplete: true });
  });

  test('the endpoint goes Failed: the deploy fails with SageMaker\'s FailureReason, and the endpoint is deleted (DeleteEndpoint is all a Failed endpoint accepts)', async () => {
    sim.failNextCreate('The primary container for production variant SummarizerModel-Aaaaaaaaaaaa did not pass the ping health check.');
    const e = event('Create', MODEL_A);
    const out = await handler(e);
    await jest.advanceTimersByTimeAsync(sim.timings.createEndpointSeconds * 1000);
    expect(sim.endpoint(ENDPOINT)!.status).toBe('Failed');
    await expect(isComplete(completeEvent(e, out))).rejects.toThrow(
      /endpoint summarizer could not be created \(Failed: The primary container .* did not pass the ping health check\)\. A Failed endpoint accepts only DeleteEndpoint, so it was deleted/,
    );
    expect(sim.endpoint(ENDPOINT)!.status).toBe('Deleting');
    await jest.advanceTimersByTimeAsync(sim.timings.deleteEndpointSeconds * 1000);
    expect(sim.endpoint(ENDPOINT)).toBeUndefined();
  });

  test('a deploy that did not create the endpoint (a new model on a serving endpoint) completes at once: its rollout runs in the workflow', async () => {
    expect(await isComplete({ RequestType: 'Update', ResourceProperties: { Target: SM_TARGET }, Data: { Action: 'rollout started: x' } })).toEqual({ IsComplete: true });
    expect(await isComplete({ RequestType: 'Delete', ResourceProperties: { Target: SM_TARGET }, Data: {} })).toEqual({ IsComplete: true });
    expect(sagemaker).not.toHaveReceivedAnyCommand();
  });

  test('a Create that found the endpoint Failed (left from an earlier try) fails clearly and deletes nothing it did not create', async () => {
    sim.createEndpointConfig({ EndpointConfigName: 'old-config', ProductionVariants: [{ VariantName: MODEL_A, ModelName: MODEL_A, InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }] });
    sim.failNextCreate('CapacityError: Unable to provision requested ML compute capacity.');
    sim.createEndpoint({ EndpointName: ENDPOINT, EndpointConfigName: 'old-config', Tags: [{ Key: OWNER_TAG, Value: ME }] });
    await jest.advanceTimersByTimeAsync(sim.timings.createEndpointSeconds * 1000);
    const e = event('Create', MODEL_A);
    const out = await handler(e);
    expect(out.Data?.Action).not.toBe('created');
    await expect(isComplete(completeEvent(e, out))).rejects.toThrow(
      /endpoint summarizer is Failed: CapacityError: Unable to provision requested ML compute capacity\. A Failed endpoint accepts only DeleteEndpoint: delete it/,
    );
    expect(sim.endpoint(ENDPOINT)!.status).toBe('Failed');
  });

  test('a Create on an endpoint that serves (a rename taking over) completes at once', async () => {
    await handler(event('Create', MODEL_A, undefined, 'OldRelease'));
    await jest.advanceTimersByTimeAsync(sim.timings.createEndpointSeconds * 1000);
    const e = event('Create', MODEL_A);
    const out = await handler(e);
    expect(await isComplete(completeEvent(e, out))).toEqual({ IsComplete: true });
  });

  test('isCompleteEvent tells the framework call (it carries the marker of the release result) from a CloudFormation request', () => {
    expect(isCompleteEvent(event('Create', MODEL_A))).toBe(false);
    // A Delete's result has no Data: Data alone would make the framework's call after a Delete look like a new Delete.
    expect(isCompleteEvent({ ...event('Delete', MODEL_A, ENDPOINT), PhysicalResourceId: ENDPOINT })).toBe(false);
    expect(isCompleteEvent({ ...event('Delete', MODEL_A, ENDPOINT), [COMPLETE_MARKER]: true })).toBe(true);
    expect(isCompleteEvent({ ...event('Create', MODEL_A), Data: { Action: 'created', ExecutionArn: '' }, [COMPLETE_MARKER]: true })).toBe(true);
  });
});
