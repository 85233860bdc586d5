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
import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { TargetStateError, TransientAwsError } from '../../../lambda/shared/errors';
import { EndpointBusyError } from '../../../lambda/targets/sagemaker-endpoint/target';
import { relate, type TrafficSplit } from '../../../lambda/shared/traffic-target';
import { targetFor } from '../../../lambda/targets';
import { UNRECORDED } from '../../../lambda/shared/ownership';
import {
  endpointConfigName,
  OWNER_TAG,
  PREVIOUS_OWNER_TAG,
  SageMakerEndpointTarget,
  STABLE_TAG,
} from '../../../lambda/targets/sagemaker-endpoint/target';
import { errorOf } from '../helpers';
import {
  ENDPOINT,
  ENDPOINT_ARN,
  LAST_MODIFIED,
  MODEL_A,
  MODEL_B,
  MODEL_C,
  SM_RELEASE,
  SM_TARGET,
  alreadyExists,
  endpoint,
  failure,
  inProgress,
  notFound,
  settleWithin,
  tags,
  throttled,
  validationError,
} from '../sagemaker-helpers';

const sagemaker = mockClient(SageMakerClient);
const runtime = mockClient(SageMakerRuntimeClient);
const target = new SageMakerEndpointTarget(SM_TARGET);
/** What the workflow read before it acts: A stable, B at 5 %. */
const expected: TrafficSplit = { stable: MODEL_A, canary: MODEL_B, canaryPercent: 5 };
const encode = (s: string) => new TextEncoder().encode(s);

/** Names of the SageMaker calls that change something, in order. */
let changes: string[];

beforeEach(() => {
  jest.useFakeTimers();
  sagemaker.reset();
  runtime.reset();
  changes = [];
  const record = (name: string) => () => {
    changes.push(name);
    return {};
  };
  sagemaker.on(CreateEndpointConfigCommand).callsFake(record('CreateEndpointConfig'));
  sagemaker.on(AddTagsCommand).callsFake(record('AddTags'));
  sagemaker.on(UpdateEndpointCommand).callsFake(record('UpdateEndpoint'));
  sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake(record('UpdateEndpointWeightsAndCapacities'));
  sagemaker.on(CreateEndpointCommand).callsFake(record('CreateEndpoint'));
  sagemaker.on(DeleteEndpointCommand).callsFake(record('DeleteEndpoint'));
});
afterEach(() => jest.useRealTimers());

/** DesiredWeight per variant of every UpdateEndpointWeightsAndCapacities call. */
function weightCalls(): Record<string, number | undefined>[] {
  return sagemaker
    .commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)
    .map((c) => Object.fromEntries((c.args[0].input.DesiredWeightsAndCapacities ?? []).map((d) => [d.VariantName, d.DesiredWeight])));
}

describe('SageMakerEndpointTarget', () => {
  test('identity: id and name are the endpoint name, a readable description', async () => {
    expect(target.id).toBe(ENDPOINT);
    expect(target.name).toBe(ENDPOINT);
    expect(target.description).toBe(`endpoint ${ENDPOINT}`);
    expect(await targetFor(SM_TARGET)).toBeInstanceOf(SageMakerEndpointTarget);
  });

  describe('read', () => {
    beforeEach(() => {
      sagemaker.on(ListTagsCommand).resolves(tags(MODEL_A));
    });

    test('stable from the tag, canary share = weight / sum, revision the last modification', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 95, [MODEL_B]: 5 }));
      expect(await target.read()).toEqual({ stable: MODEL_A, canary: MODEL_B, canaryPercent: 5, revision: LAST_MODIFIED.toISOString() });
      expect(sagemaker).toHaveReceivedCommandWith(DescribeEndpointCommand, { EndpointName: ENDPOINT });
      expect(sagemaker).toHaveReceivedCommandWith(ListTagsCommand, { ResourceArn: ENDPOINT_ARN });
    });

    test.each([
      [3, 1, 25],
      [2, 1, 33.3333],
      [1, 1, 50],
      [0.9, 0.1, 10],
    ])('weights stable %s, canary %s -> %s %%', async (stable, canary, percent) => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: stable, [MODEL_B]: canary }));
      const split = await target.read();
      expect(split.canaryPercent).toBe(percent);
      expect(relate(split, SM_RELEASE)).toBe('ours');
    });

    test('a variant at weight 0 is not a canary: idle (after prepare or a rollback)', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1, [MODEL_B]: 0 }));
      const split = await target.read();
      expect(split).toMatchObject({ stable: MODEL_A, canary: undefined, canaryPercent: 0 });
      expect(relate(split, SM_RELEASE)).toBe('idle');
    });

    test('a single variant: stable alone, idle', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
      const split = await target.read();
      expect(split).toMatchObject({ stable: MODEL_A, canary: undefined, canaryPercent: 0 });
      expect(relate(split, SM_RELEASE)).toBe('idle');
    });

    test('the 100 % step (tag still on the old model, canary weight 100) is ours, not promoted', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 0, [MODEL_B]: 100 }));
      const split = await target.read();
      expect(split).toMatchObject({ stable: MODEL_A, canary: MODEL_B, canaryPercent: 100 });
      expect(relate(split, SM_RELEASE)).toBe('ours');
    });

    test('promoted (tag on the new model, old weight 0): the canary serves alone', async () => {
      sagemaker.on(ListTagsCommand).resolves(tags(MODEL_B));
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 0, [MODEL_B]: 100 }));
      const split = await target.read();
      expect(split).toMatchObject({ stable: MODEL_B, canary: undefined, canaryPercent: 0 });
      expect(relate(split, SM_RELEASE)).toBe('promoted');
    });

    test('another model on our stable (a newer release): superseded', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 90, [MODEL_C]: 10 }));
      const split = await target.read();
      expect(split).toMatchObject({ stable: MODEL_A, canary: MODEL_C, canaryPercent: 10 });
      expect(relate(split, SM_RELEASE)).toBe('superseded');
    });

    test('the tag decides, not the weights: the tagged variant is stable even with the smaller weight', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_B]: 75, [MODEL_A]: 25 }));
      expect(await target.read()).toMatchObject({ stable: MODEL_A, canary: MODEL_B, canaryPercent: 75 });
    });

    test('without the tag the heaviest variant is stable', async () => {
      sagemaker.on(ListTagsCommand).resolves(tags(undefined));
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_B]: 10, [MODEL_A]: 90 }));
      expect(await target.read()).toMatchObject({ stable: MODEL_A, canary: MODEL_B, canaryPercent: 10 });
    });

    test('while a weight change is under way, the desired weights count', async () => {
      sagemaker
        .on(DescribeEndpointCommand)
        .resolves(endpoint('Updating', { [MODEL_A]: 75, [MODEL_B]: 25 }, { current: { [MODEL_A]: 95, [MODEL_B]: 5 } }));
      expect((await target.read()).canaryPercent).toBe(25);
    });

    test('a throttled DescribeEndpoint is TransientAwsError', async () => {
      sagemaker.on(DescribeEndpointCommand).rejects(throttled());
      const err = await errorOf(() => target.read());
      expect(err).toBeInstanceOf(TransientAwsError);
      expect(err.message).toContain('DescribeEndpoint');
    });
  });

  describe('prepare', () => {
    test('InService with both variants: nothing changes', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1, [MODEL_B]: 0 }));
      await expect(target.prepare(SM_RELEASE)).resolves.toBeUndefined();
      expect(changes).toEqual([]);
    });

    test('InService with the stable variant only: a config with both (canary at weight 0), the stable tag, UpdateEndpoint, then EndpointBusy', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
      const err = await errorOf(() => target.prepare(SM_RELEASE));

      expect(err).toBeInstanceOf(EndpointBusyError);
      expect(err.name).toBe('EndpointBusy');
      expect(err.message).toContain(MODEL_B);
      expect(changes).toEqual(['CreateEndpointConfig', 'AddTags', 'UpdateEndpoint']);

      const config = sagemaker.commandCalls(CreateEndpointConfigCommand)[0].args[0].input;
      expect(config.EndpointConfigName).toBe(endpointConfigName(ENDPOINT, MODEL_B));
      expect(config.ProductionVariants).toEqual([
        { VariantName: MODEL_A, ModelName: MODEL_A, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 },
        { VariantName: MODEL_B, ModelName: MODEL_B, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 0 },
      ]);
      expect(sagemaker).toHaveReceivedCommandWith(AddTagsCommand, { ResourceArn: ENDPOINT_ARN, Tags: [{ Key: STABLE_TAG, Value: MODEL_A }] });
      expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: ENDPOINT, EndpointConfigName: config.EndpointConfigName });
    });

    test('an old canary left at weight 0 is dropped from the new config', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 100, [MODEL_C]: 0 }));
      await expect(target.prepare(SM_RELEASE)).rejects.toThrow(EndpointBusyError);
      const variants = sagemaker.commandCalls(CreateEndpointConfigCommand)[0].args[0].input.ProductionVariants ?? [];
      expect(variants.map((v) => [v.VariantName, v.InitialVariantWeight])).toEqual([[MODEL_A, 1], [MODEL_B, 0]]);
    });

    test.each(['Updating', 'Creating', 'SystemUpdating', 'RollingBack'] as const)('%s: EndpointBusy without any change', async (status) => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint(status, { [MODEL_A]: 1 }));
      const err = await errorOf(() => target.prepare(SM_RELEASE));
      expect(err.name).toBe('EndpointBusy');
      expect(err.message).toContain(status);
      expect(changes).toEqual([]);
    });

    test('Updating with both variants already there is still busy (the variant is not InService yet)', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('Updating', { [MODEL_A]: 1, [MODEL_B]: 0 }));
      await expect(target.prepare(SM_RELEASE)).rejects.toMatchObject({ name: 'EndpointBusy' });
      expect(changes).toEqual([]);
    });

    test.each(['Failed', 'OutOfService', 'UpdateRollbackFailed'] as const)('%s: TargetStateMismatch (a retry cannot help), nothing changes', async (status) => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint(status, { [MODEL_A]: 1 }));
      const err = await errorOf(() => target.prepare(SM_RELEASE));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.message).toContain(status);
      expect(changes).toEqual([]);
    });

    test('an existing endpoint config (an earlier attempt) is reused', async () => {
      const name = endpointConfigName(ENDPOINT, MODEL_B);
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
      sagemaker.on(CreateEndpointConfigCommand).rejects(alreadyExists(name));
      await expect(target.prepare(SM_RELEASE)).rejects.toMatchObject({ name: 'EndpointBusy' });
      expect(changes).toEqual(['AddTags', 'UpdateEndpoint']);
      expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: ENDPOINT, EndpointConfigName: name });
    });

    test('the variant could not be added (InService again, with a FailureReason, config already there): TargetStateMismatch with the reason, no new attempt', async () => {
      const reason = 'The primary container for production variant SummarizerModel-Bbbbbbbbbbbb did not pass the ping health check.';
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }, { failureReason: reason }));
      sagemaker.on(CreateEndpointConfigCommand).rejects(alreadyExists(endpointConfigName(ENDPOINT, MODEL_B)));
      const err = await errorOf(() => target.prepare(SM_RELEASE));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.message).toContain(`could not add variant ${MODEL_B}`);
      expect(err.message).toContain('did not pass the ping health check');
      expect(changes).toEqual([]);
    });

    test('a FailureReason from an older update does not stop the first attempt of this release', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }, { failureReason: 'an old failure' }));
      await expect(target.prepare(SM_RELEASE)).rejects.toMatchObject({ name: 'EndpointBusy' });
      expect(changes).toEqual(['CreateEndpointConfig', 'AddTags', 'UpdateEndpoint']);
    });

    test('any other CreateEndpointConfig error stops before the endpoint is touched', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
      sagemaker.on(CreateEndpointConfigCommand).rejects(Object.assign(new Error('limit'), { name: 'ResourceLimitExceeded' }));
      await expect(target.prepare(SM_RELEASE)).rejects.toThrow('limit');
      expect(changes).toEqual([]);
    });
  });

  describe('endpointConfigName', () => {
    test('per endpoint and model, starts with the endpoint name, deterministic', () => {
      const b = endpointConfigName(ENDPOINT, MODEL_B);
      expect(b).toMatch(new RegExp(`^${ENDPOINT}-[0-9a-z]+$`));
      expect(endpointConfigName(ENDPOINT, MODEL_B)).toBe(b);
      expect(endpointConfigName(ENDPOINT, MODEL_C)).not.toBe(b);
      expect(endpointConfigName('other', MODEL_B)).not.toBe(b.replace(ENDPOINT, 'other'));
    });

    test('a 63-character endpoint name still gives a valid config name that starts with its first 50 characters', () => {
      const long = 'e'.repeat(63);
      const name = endpointConfigName(long, MODEL_B);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name.startsWith(`${'e'.repeat(50)}-`)).toBe(true);
      expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    });
  });

  describe('shift / promote / rollback', () => {
    beforeEach(() => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 95, [MODEL_B]: 5 }));
    });

    test('shift to 5 %: stable 95, canary 5', async () => {
      await target.shift(SM_RELEASE, 5, expected);
      expect(changes).toEqual(['UpdateEndpointWeightsAndCapacities']);
      expect(sagemaker).toHaveReceivedCommandWith(UpdateEndpointWeightsAndCapacitiesCommand, { EndpointName: ENDPOINT });
      expect(weightCalls()).toEqual([{ [MODEL_A]: 95, [MODEL_B]: 5 }]);
    });

    test.each([
      [25, 75, 25],
      [33.3333, 66.6667, 33.3333],
      [100, 0, 100],
    ])('shift to %s %%: stable %s, canary %s', async (percent, stable, canary) => {
      await target.shift(SM_RELEASE, percent, expected);
      expect(weightCalls()).toEqual([{ [MODEL_A]: stable, [MODEL_B]: canary }]);
    });

    test('sets only weights, never instance counts', async () => {
      await target.shift(SM_RELEASE, 25, expected);
      for (const d of sagemaker.commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)[0].args[0].input.DesiredWeightsAndCapacities ?? []) {
        expect(d.DesiredInstanceCount).toBeUndefined();
      }
    });

    test('promote: stable 0, canary 100, then the canary is tagged as the stable variant', async () => {
      await target.promote(SM_RELEASE, expected);
      expect(changes).toEqual(['UpdateEndpointWeightsAndCapacities', 'AddTags']);
      expect(weightCalls()).toEqual([{ [MODEL_A]: 0, [MODEL_B]: 100 }]);
      expect(sagemaker).toHaveReceivedCommandWith(AddTagsCommand, { ResourceArn: ENDPOINT_ARN, Tags: [{ Key: STABLE_TAG, Value: MODEL_B }] });
    });

    test('rollback: stable 100, canary 0, the tag stays', async () => {
      await target.rollback(SM_RELEASE, expected);
      expect(changes).toEqual(['UpdateEndpointWeightsAndCapacities']);
      expect(weightCalls()).toEqual([{ [MODEL_A]: 100, [MODEL_B]: 0 }]);
    });

    test('a split whose stable is neither version of the release: TargetStateMismatch, nothing sent', async () => {
      const err = await errorOf(() => target.shift(SM_RELEASE, 25, { stable: MODEL_C, canaryPercent: 0 }));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.name).toBe('TargetStateMismatch');
      expect(changes).toEqual([]);
    });

    test('throttling is TransientAwsError', async () => {
      sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(throttled());
      const err = await errorOf(() => target.shift(SM_RELEASE, 25, expected));
      expect(err).toBeInstanceOf(TransientAwsError);
      expect(err.name).toBe('TransientAwsError');
      expect(err.message).toContain('UpdateEndpointWeightsAndCapacities');
    });

    test('other errors pass through', async () => {
      const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
      sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(denied);
      await expect(target.rollback(SM_RELEASE, expected)).rejects.toBe(denied);
    });
  });

  describe('waiting for InService', () => {
    test('Updating, then InService: waits 5 s between reads, then sets the weights', async () => {
      sagemaker
        .on(DescribeEndpointCommand)
        .resolvesOnce(endpoint('Updating', { [MODEL_A]: 95, [MODEL_B]: 5 }))
        .resolvesOnce(endpoint('Updating', { [MODEL_A]: 95, [MODEL_B]: 5 }))
        .resolves(endpoint('InService', { [MODEL_A]: 95, [MODEL_B]: 5 }));
      let done = false;
      void target.shift(SM_RELEASE, 25, expected).then(() => (done = true));

      await jest.advanceTimersByTimeAsync(4_999);
      expect(sagemaker).toHaveReceivedCommandTimes(DescribeEndpointCommand, 1);
      expect(changes).toEqual([]);
      await jest.advanceTimersByTimeAsync(5_001);
      expect(sagemaker).toHaveReceivedCommandTimes(DescribeEndpointCommand, 3);
      expect(done).toBe(true);
      expect(weightCalls()).toEqual([{ [MODEL_A]: 75, [MODEL_B]: 25 }]);
    });

    test.each(['Creating', 'SystemUpdating', 'RollingBack'] as const)('%s is waited out like Updating', async (status) => {
      sagemaker
        .on(DescribeEndpointCommand)
        .resolvesOnce(endpoint(status, { [MODEL_A]: 100, [MODEL_B]: 0 }))
        .resolves(endpoint('InService', { [MODEL_A]: 100, [MODEL_B]: 0 }));
      const result = await settleWithin(10_000, () => target.rollback(SM_RELEASE, expected));
      expect(result.ok).toBe(true);
      expect(weightCalls()).toEqual([{ [MODEL_A]: 100, [MODEL_B]: 0 }]);
    });

    test('"Cannot update in-progress endpoint" (a race with another update): waits and tries again', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 95, [MODEL_B]: 5 }));
      sagemaker
        .on(UpdateEndpointWeightsAndCapacitiesCommand)
        .rejectsOnce(inProgress())
        .callsFake(() => {
          changes.push('UpdateEndpointWeightsAndCapacities');
          return {};
        });
      const result = await settleWithin(6_000, () => target.shift(SM_RELEASE, 50, expected));
      expect(result.ok).toBe(true);
      expect(sagemaker).toHaveReceivedCommandTimes(UpdateEndpointWeightsAndCapacitiesCommand, 2);
      expect(sagemaker).toHaveReceivedCommandTimes(DescribeEndpointCommand, 2);
      expect(changes).toEqual(['UpdateEndpointWeightsAndCapacities']);
      expect(weightCalls()[1]).toEqual({ [MODEL_A]: 50, [MODEL_B]: 50 });
    });

    test('Updating for longer than the 40 s deadline: EndpointBusy (the workflow retries), no update sent', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('Updating', { [MODEL_A]: 95, [MODEL_B]: 5 }));
      let settled = false;
      const run = target.shift(SM_RELEASE, 25, expected).finally(() => (settled = true));
      run.catch(() => undefined);

      await jest.advanceTimersByTimeAsync(39_999);
      expect(settled).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(settled).toBe(true);
      const err = await errorOf(() => run);
      expect(err).toBeInstanceOf(EndpointBusyError);
      expect(err.name).toBe('EndpointBusy');
      expect(err.message).toContain('still updating');
      // Reads at 0, 5, ..., 40 s: well inside the 90 s a workflow handler may run.
      expect(sagemaker).toHaveReceivedCommandTimes(DescribeEndpointCommand, 9);
      expect(changes).toEqual([]);
    });

    test('"in-progress" until the deadline: EndpointBusy', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 95, [MODEL_B]: 5 }));
      sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(inProgress());
      const err = failure(await settleWithin(45_000, () => target.promote(SM_RELEASE, expected)));
      expect(err.name).toBe('EndpointBusy');
      expect(changes).toEqual([]);
    });

    test('the canary lost its share while the step waited (a fast-path rollback): TargetStateMismatch, the share is not given back', async () => {
      sagemaker
        .on(DescribeEndpointCommand)
        .resolvesOnce(endpoint('Updating', { [MODEL_A]: 100, [MODEL_B]: 0 }, { current: { [MODEL_A]: 95, [MODEL_B]: 5 } }))
        .resolves(endpoint('InService', { [MODEL_A]: 100, [MODEL_B]: 0 }));
      const err = failure(await settleWithin(10_000, () => target.shift(SM_RELEASE, 25, expected)));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.message).toContain(`${MODEL_B} has 0%, not the 5%`);
      expect(changes).toEqual([]);
    });

    test('promote checks the share too', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 100, [MODEL_B]: 0 }));
      await expect(target.promote(SM_RELEASE, { stable: MODEL_A, canary: MODEL_B, canaryPercent: 100 })).rejects.toMatchObject({ name: 'TargetStateMismatch' });
      expect(changes).toEqual([]);
    });

    test('the first step starts from the idle split (canary variant at weight 0)', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1, [MODEL_B]: 0 }));
      await target.shift(SM_RELEASE, 5, { stable: MODEL_A, canaryPercent: 0 });
      expect(weightCalls()).toEqual([{ [MODEL_A]: 95, [MODEL_B]: 5 }]);
    });

    test('rollback sets weight 0 whatever the share is now (always safe)', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 50, [MODEL_B]: 50 }));
      await target.rollback(SM_RELEASE, expected);
      expect(weightCalls()).toEqual([{ [MODEL_A]: 100, [MODEL_B]: 0 }]);
    });

    test('a Failed endpoint: TargetStateMismatch at once, no update sent', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('Failed', { [MODEL_A]: 95, [MODEL_B]: 5 }, { failureReason: 'bad image' }));
      const err = await errorOf(() => target.rollback(SM_RELEASE, expected));
      expect(err).toBeInstanceOf(TargetStateError);
      expect(err.name).toBe('TargetStateMismatch');
      expect(err.message).toContain('Failed');
      expect(sagemaker).toHaveReceivedCommandTimes(DescribeEndpointCommand, 1);
      expect(changes).toEqual([]);
    });

    test('a ValidationException that is not about an update in progress is not retried', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 95, [MODEL_B]: 5 }));
      sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejects(validationError('The variant(s) "[x]" is/are not present in the endpoint.'));
      await expect(target.shift(SM_RELEASE, 25, expected)).rejects.toThrow('not present');
      expect(sagemaker).toHaveReceivedCommandTimes(UpdateEndpointWeightsAndCapacitiesCommand, 1);
    });
  });

  describe('invokeCanary', () => {
    test('invokes the endpoint pinned to the canary variant, with the payload as JSON', async () => {
      runtime.on(InvokeEndpointCommand).resolves({ Body: encode('{"summary":"short"}') as never, ContentType: 'application/json' });
      const result = await target.invokeCanary(SM_RELEASE, '{"text":"a long text"}');
      expect(result).toEqual({ ok: true, body: '{"summary":"short"}' });
      const input = runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input;
      expect(input).toMatchObject({ EndpointName: ENDPOINT, TargetVariant: MODEL_B, ContentType: 'application/json' });
      expect(new TextDecoder().decode(input.Body as Uint8Array)).toBe('{"text":"a long text"}');
    });

    test('an empty body is ok with ""', async () => {
      runtime.on(InvokeEndpointCommand).resolves({});
      expect(await target.invokeCanary(SM_RELEASE, '{}')).toEqual({ ok: true, body: '' });
    });

    test('a ModelError (the container answered with an error) is not ok, and says why', async () => {
      runtime.on(InvokeEndpointCommand).rejects(new ModelError({ message: 'Received server error (500) from primary', $metadata: { httpStatusCode: 424 } }));
      const result = await target.invokeCanary(SM_RELEASE, '{}');
      expect(result.ok).toBe(false);
      expect(result.body).toBe('');
      expect(result.error).toContain('ModelError');
      expect(result.error).toContain('Received server error (500)');
    });

    test('a ValidationError (e.g. the variant does not exist) is not ok', async () => {
      runtime.on(InvokeEndpointCommand).rejects(Object.assign(new Error('Variant not found'), { name: 'ValidationError' }));
      expect(await target.invokeCanary(SM_RELEASE, '{}')).toMatchObject({ ok: false, error: expect.stringContaining('Variant not found') });
    });

    test('throttling is TransientAwsError (thrown, so the workflow retries)', async () => {
      runtime.on(InvokeEndpointCommand).rejects(throttled());
      await expect(target.invokeCanary(SM_RELEASE, '{}')).rejects.toMatchObject({ name: 'TransientAwsError' });
    });
  });

  describe('ensureServing', () => {
    test('an existing endpoint is left as it is', async () => {
      sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 75, [MODEL_B]: 25 }));
      sagemaker.on(ListTagsCommand).resolves(tags(MODEL_A));
      const out = await target.ensureServing(MODEL_C);
      expect(out).toEqual({ created: false, split: { stable: MODEL_A, canary: MODEL_B, canaryPercent: 25, revision: LAST_MODIFIED.toISOString() } });
      expect(changes).toEqual([]);
    });

    test('a missing endpoint ("Could not find endpoint"): a config with the model alone at weight 1, then the endpoint, tagged', async () => {
      sagemaker.on(DescribeEndpointCommand).rejects(notFound());
      const out = await target.ensureServing(MODEL_A);
      expect(out).toEqual({ created: true, split: { stable: MODEL_A, canaryPercent: 0 } });
      expect(changes).toEqual(['CreateEndpointConfig', 'CreateEndpoint']);
      const configName = endpointConfigName(ENDPOINT, MODEL_A);
      expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointConfigCommand, {
        EndpointConfigName: configName,
        ProductionVariants: [{ VariantName: MODEL_A, ModelName: MODEL_A, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
      });
      expect(sagemaker).toHaveReceivedCommandWith(CreateEndpointCommand, {
        EndpointName: ENDPOINT,
        EndpointConfigName: configName,
        Tags: [{ Key: STABLE_TAG, Value: MODEL_A }],
      });
    });

    test('the config of an earlier Create that failed is reused', async () => {
      sagemaker.on(DescribeEndpointCommand).rejects(notFound());
      sagemaker.on(CreateEndpointConfigCommand).rejects(alreadyExists(endpointConfigName(ENDPOINT, MODEL_A)));
      const out = await target.ensureServing(MODEL_A);
      expect(out.created).toBe(true);
      expect(changes).toEqual(['CreateEndpoint']);
    });

    test('any other DescribeEndpoint error is thrown, nothing is created', async () => {
      sagemaker.on(DescribeEndpointCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      await expect(target.ensureServing(MODEL_A)).rejects.toThrow('denied');
      expect(changes).toEqual([]);
    });
  });

  describe('remove', () => {
    test('deletes the endpoint', async () => {
      await target.remove();
      expect(sagemaker).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
    });

    test('an endpoint that is already gone is fine', async () => {
      sagemaker.on(DeleteEndpointCommand).rejects(notFound());
      await expect(target.remove()).resolves.toBeUndefined();
    });

    test('other errors are thrown', async () => {
      sagemaker.on(DeleteEndpointCommand).rejects(validationError('Cannot delete an endpoint that is Creating'));
      await expect(target.remove()).rejects.toThrow('Creating');
    });
  });

  test('metric: AWS/SageMaker Invocations / Invocation5XXErrors by EndpointName and VariantName', () => {
    expect(target.metric(MODEL_B, 'requests')).toEqual({
      namespace: 'AWS/SageMaker',
      metricName: 'Invocations',
      dimensions: { EndpointName: ENDPOINT, VariantName: MODEL_B },
    });
    expect(target.metric(MODEL_A, 'errors')).toEqual({
      namespace: 'AWS/SageMaker',
      metricName: 'Invocation5XXErrors',
      dimensions: { EndpointName: ENDPOINT, VariantName: MODEL_A },
    });
  });
});

describe('owner record (endpoint tags)', () => {
  beforeEach(() => {
    sagemaker.on(DeleteTagsCommand).callsFake(() => {
      changes.push('DeleteTags');
      return {};
    });
  });

  test('readOwner: undefined when the endpoint does not exist', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(notFound());
    expect(await target.readOwner()).toBeUndefined();
  });

  test('readOwner: owner and previous owner from their tags, on every ListTags page', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
    sagemaker
      .on(ListTagsCommand)
      .resolvesOnce({ ...tags(MODEL_A, { [OWNER_TAG]: 'aaaa' }), NextToken: 'page-2' })
      .resolves({ $metadata: {}, Tags: [{ Key: PREVIOUS_OWNER_TAG, Value: 'bbbb' }] });
    expect(await target.readOwner()).toEqual({ owner: 'aaaa', previousOwner: 'bbbb' });
    expect(sagemaker.commandCalls(ListTagsCommand).map((c) => c.args[0].input)).toEqual([
      { ResourceArn: ENDPOINT_ARN, NextToken: undefined },
      { ResourceArn: ENDPOINT_ARN, NextToken: 'page-2' },
    ]);
  });

  test('readOwner: {} for an endpoint someone else made; UNRECORDED for one of an older release of this library (stable tag, no owner tag)', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
    sagemaker.on(ListTagsCommand).resolves(tags());
    expect(await target.readOwner()).toEqual({});
    sagemaker.on(ListTagsCommand).resolves(tags(MODEL_A));
    expect(await target.readOwner()).toEqual({ owner: UNRECORDED });
  });

  test('writeOwner: adds what changed, deletes the owner tags the record leaves out, touches no other tag and no weight', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
    sagemaker.on(ListTagsCommand).resolves(tags(MODEL_A, { [OWNER_TAG]: 'new', [PREVIOUS_OWNER_TAG]: 'old' }));
    await target.writeOwner({ owner: 'old' });
    expect(changes).toEqual(['AddTags', 'DeleteTags']);
    expect(sagemaker).toHaveReceivedCommandWith(AddTagsCommand, { ResourceArn: ENDPOINT_ARN, Tags: [{ Key: OWNER_TAG, Value: 'old' }] });
    expect(sagemaker).toHaveReceivedCommandWith(DeleteTagsCommand, { ResourceArn: ENDPOINT_ARN, TagKeys: [PREVIOUS_OWNER_TAG] });
  });

  test('writeOwner: nothing to do when the tags already say so; {} removes both owner tags', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
    sagemaker.on(ListTagsCommand).resolves(tags(MODEL_A, { [OWNER_TAG]: 'me' }));
    await target.writeOwner({ owner: 'me' });
    expect(changes).toEqual([]);
    await target.writeOwner({});
    expect(sagemaker).toHaveReceivedCommandWith(DeleteTagsCommand, { TagKeys: [OWNER_TAG] });
  });
});

describe('checkServing (the wait of the first deploy)', () => {
  beforeEach(() => {
    sagemaker.on(DeleteEndpointCommand).callsFake(() => {
      changes.push('DeleteEndpoint');
      return {};
    });
  });

  test.each(['Creating', 'Updating', 'SystemUpdating'] as const)('%s: not yet', async (status) => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint(status, { [MODEL_A]: 1 }));
    expect(await target.checkServing(true)).toBe(false);
  });

  test('InService: serving', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', { [MODEL_A]: 1 }));
    expect(await target.checkServing(true)).toBe(true);
  });

  test('Failed after this deploy created it: deleted, and the error carries the FailureReason', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('Failed', { [MODEL_A]: 1 }, { failureReason: 'Insufficient capacity for ml.m5.large' }));
    const err = await target.checkServing(true).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TargetStateError);
    expect((err as Error).message).toContain('Insufficient capacity for ml.m5.large');
    expect(changes).toEqual(['DeleteEndpoint']);
  });

  test('Failed, not created by this deploy: left alone, the message says how to delete it', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('Failed', { [MODEL_A]: 1 }, { failureReason: 'boom' }));
    const err = await target.checkServing(false).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/is Failed: boom\. A Failed endpoint accepts only DeleteEndpoint: delete it \(aws sagemaker delete-endpoint --endpoint-name summarizer\)/);
    expect(changes).toEqual([]);
  });

  test('OutOfService: an error that it does not serve, nothing deleted', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('OutOfService', { [MODEL_A]: 1 }));
    await expect(target.checkServing(true)).rejects.toThrow(/is OutOfService\. It does not serve/);
    expect(changes).toEqual([]);
  });
});
