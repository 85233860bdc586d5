/**
 * SageMaker rollback in the post-promotion watch: the canary variant serves 100 % and the tag names
 * it as stable; the previous model's variant is still there at weight 0. The rollback re-tags the
 * previous variant BEFORE it sets the weights, so a retry after a failed weight update still reads
 * this release's canary with a share ('ours') and rolls back again.
 */
import { AddTagsCommand, DescribeEndpointCommand, ListTagsCommand, SageMakerClient, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { relate } from '../../../lambda/shared/traffic-target';
import { SageMakerEndpointTarget, STABLE_TAG } from '../../../lambda/targets/sagemaker-endpoint/target';
import { ENDPOINT_ARN, MODEL_A, MODEL_B, SM_RELEASE, SM_TARGET, endpoint, tags } from '../sagemaker-helpers';

const sagemaker = mockClient(SageMakerClient);
const target = new SageMakerEndpointTarget(SM_TARGET);

/** A stateful endpoint: weights and the stable tag change as the calls say. */
let weights: Record<string, number>;
let stableTag: string;
let changes: string[];

beforeEach(() => {
  sagemaker.reset();
  // Promoted: B serves all, A kept at weight 0, the tag names B.
  weights = { [MODEL_A]: 0, [MODEL_B]: 100 };
  stableTag = MODEL_B;
  changes = [];
  sagemaker.on(DescribeEndpointCommand).callsFake(() => endpoint('InService', weights));
  sagemaker.on(ListTagsCommand).callsFake(() => tags(stableTag));
  sagemaker.on(AddTagsCommand).callsFake((input) => {
    changes.push('AddTags');
    stableTag = input.Tags.find((t: { Key: string }) => t.Key === STABLE_TAG).Value;
    return {};
  });
  sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake((input) => {
    changes.push('UpdateEndpointWeightsAndCapacities');
    for (const d of input.DesiredWeightsAndCapacities) weights[d.VariantName] = d.DesiredWeight;
    return {};
  });
});

describe('SageMaker rollback after a promotion', () => {
  test('the promoted state reads as promoted (the weight-0 variant is no canary)', async () => {
    const split = await target.read();
    expect(split).toMatchObject({ stable: MODEL_B, canary: undefined });
    expect(relate(split, SM_RELEASE)).toBe('promoted');
  });

  test('re-tags the previous variant as stable first, then sets A 100 / B 0: the endpoint reads idle again', async () => {
    await target.rollback(SM_RELEASE, await target.read());
    expect(changes).toEqual(['AddTags', 'UpdateEndpointWeightsAndCapacities']);
    expect(sagemaker).toHaveReceivedCommandWith(AddTagsCommand, { ResourceArn: ENDPOINT_ARN, Tags: [{ Key: STABLE_TAG, Value: MODEL_A }] });
    expect(weights).toEqual({ [MODEL_A]: 100, [MODEL_B]: 0 });
    const after = await target.read();
    expect(after).toMatchObject({ stable: MODEL_A, canary: undefined });
    expect(relate(after, SM_RELEASE)).toBe('idle');
  });

  test('the weight update fails after the tag: a retry reads ours (B at 100 % of its release) and rolls back again', async () => {
    sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    await expect(target.rollback(SM_RELEASE, await target.read())).rejects.toThrow('denied');
    expect(stableTag).toBe(MODEL_A);
    const between = await target.read();
    expect(between).toMatchObject({ stable: MODEL_A, canary: MODEL_B, canaryPercent: 100 });
    expect(relate(between, SM_RELEASE)).toBe('ours');
    // The retry (the rollback step's Retry, or the fast path's next invocation).
    sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand).callsFake((input) => {
      for (const d of input.DesiredWeightsAndCapacities) weights[d.VariantName] = d.DesiredWeight;
      return {};
    });
    await target.rollback(SM_RELEASE, between);
    expect(relate(await target.read(), SM_RELEASE)).toBe('idle');
  });

  test('a rollback before the promotion does not touch the tag', async () => {
    weights = { [MODEL_A]: 95, [MODEL_B]: 5 };
    stableTag = MODEL_A;
    await target.rollback(SM_RELEASE, await target.read());
    expect(changes).toEqual(['UpdateEndpointWeightsAndCapacities']);
  });
});
