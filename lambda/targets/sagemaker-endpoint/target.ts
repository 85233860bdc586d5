import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DeleteEndpointCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { awsCall, TargetStateError } from '../../shared/errors';
import { type OwnerRecord, UNRECORDED } from '../../shared/ownership';
import type { InvokeResult, MetricSpec, Signal, TrafficSplit, TrafficTarget } from '../../shared/traffic-target';
import { type TargetConfig, targetMetricSpec } from '../contract';
import type { Release } from '../../shared/types';
import { ENDPOINT_BUSY, SAGEMAKER_ENDPOINT, type SageMakerEndpointTargetConfig } from './contract';
import { endpointConfigName, percentOf, splitOf, variantsOf } from './variants';

const sagemaker = new SageMakerClient({});
const runtime = new SageMakerRuntimeClient({});

/** Tag that names the stable variant: weights alone cannot tell a 100 % step from a promotion. */
export const STABLE_TAG = 'cdk-model-canary:stable-variant';

/**
 * Tags that record which release resource owns the endpoint (lambda/shared/ownership.ts). Tag keys
 * are 1-128 and values 0-256 characters of letters, digits, spaces and `_.:/=+-@`.
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html
 */
export const OWNER_TAG = 'cdk-model-canary:owner';
export const PREVIOUS_OWNER_TAG = 'cdk-model-canary:previous-owner';

/** How long a mutating call waits for the endpoint to leave Updating before handing back to the workflow. */
const BUSY_DEADLINE_MS = 40_000;
const POLL_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Statuses an endpoint leaves by itself: wait for InService. Any other status that is not InService
 * (Failed, OutOfService, Deleting, UpdateRollbackFailed) needs a person, not a retry.
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
 */
const TRANSITIONAL = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

function isInProgressError(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'ValidationException' && /in-progress|in progress|Updating/i.test(e.message ?? '');
}

/** "Cannot create already existing endpoint configuration": the name is per endpoint and model, so it is ours. */
function ignoreAlreadyExists(err: unknown): void {
  if (!/already exist/i.test((err as Error)?.message ?? '')) throw err;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'ValidationException' && /could not find/i.test(e.message ?? '');
}

/** The endpoint is Updating: wait for InService, then try again (the workflow retries it: the contract's busyRetry). */
export class EndpointBusyError extends Error {
  public readonly name = ENDPOINT_BUSY;
}

/**
 * A SageMaker real-time endpoint with two production variants: the stable model and the canary
 * model. Variant names are model names, so a release is just "a new model". The canary's share is
 * weight / sum of weights.
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html
 */
export class SageMakerEndpointTarget implements TrafficTarget {
  public readonly id: string;
  public readonly name: string;
  public readonly description: string;
  /**
   * UpdateEndpointWeightsAndCapacities makes the endpoint Updating until the new weights apply;
   * AWS documents no duration. Two minutes, a guess: the judge skips that long after each change.
   */
  public readonly weightChangeSeconds = 120;

  constructor(private readonly config: SageMakerEndpointTargetConfig) {
    this.id = config.endpointName;
    this.name = config.endpointName;
    this.description = `endpoint ${config.endpointName}`;
  }

  public async read(): Promise<TrafficSplit> {
    const endpoint = await this.describe();
    const tags = await this.tags(endpoint.EndpointArn);
    return splitOf(endpoint, tags.get(STABLE_TAG));
  }

  /**
   * The owner record from the endpoint's tags. An endpoint with the stable-variant tag but no owner
   * tag was made by a release of this library from before owners were recorded.
   */
  public async readOwner(): Promise<OwnerRecord | undefined> {
    let endpoint: DescribeEndpointCommandOutput;
    try {
      endpoint = await this.describe();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const tags = await this.tags(endpoint.EndpointArn);
    const owner = tags.get(OWNER_TAG) ?? (tags.has(STABLE_TAG) ? UNRECORDED : undefined);
    const previousOwner = tags.get(PREVIOUS_OWNER_TAG);
    return { ...(owner !== undefined ? { owner } : {}), ...(previousOwner !== undefined ? { previousOwner } : {}) };
  }

  /**
   * Writes the record as tags (AddTags overwrites a key's value) and deletes the owner tags the
   * record leaves out. Tags change nothing about the traffic.
   * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AddTags.html
   * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteTags.html
   */
  public async writeOwner(record: OwnerRecord): Promise<void> {
    const endpoint = await this.describe();
    const arn = endpoint.EndpointArn;
    const current = await this.tags(arn);
    const wanted: [string, string | undefined][] = [
      [OWNER_TAG, record.owner],
      [PREVIOUS_OWNER_TAG, record.previousOwner],
    ];
    const add = wanted.filter(([k, v]) => v !== undefined && current.get(k) !== v).map(([Key, Value]) => ({ Key, Value: Value! }));
    const remove = wanted.filter(([k, v]) => v === undefined && current.has(k)).map(([k]) => k);
    if (add.length > 0) await awsCall('AddTags', () => sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: add })));
    if (remove.length > 0) await awsCall('DeleteTags', () => sagemaker.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: remove })));
  }

  /**
   * The wait of the release custom resource (the Provider framework's isComplete): true once the
   * endpoint is InService, false while it is on its way. A Failed endpoint accepts only
   * DeleteEndpoint; one this deploy just created is deleted, so the next deploy starts clean.
   * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
   */
  public async checkServing(createdByThisDeploy: boolean): Promise<boolean> {
    const endpoint = await this.describe();
    const status = endpoint.EndpointStatus ?? '';
    if (status === 'InService') return true;
    if (TRANSITIONAL.has(status)) return false;
    const reason = endpoint.FailureReason ? `: ${endpoint.FailureReason.replace(/\.+$/, '')}` : '';
    if (status === 'Failed' && createdByThisDeploy) {
      await this.remove();
      throw new TargetStateError(
        `${this.description} could not be created (Failed${reason}). A Failed endpoint accepts only DeleteEndpoint, so it was deleted. ` +
          `Fix the model or the instance settings (the container logs are in /aws/sagemaker/Endpoints/${this.config.endpointName}) and deploy again`,
      );
    }
    throw new TargetStateError(
      `${this.description} is ${status}${reason}. ` +
        (status === 'Failed'
          ? `A Failed endpoint accepts only DeleteEndpoint: delete it (aws sagemaker delete-endpoint --endpoint-name ${this.config.endpointName}) and deploy again`
          : 'It does not serve: check it in the SageMaker console, then deploy again'),
    );
  }

  public async prepare(release: Release): Promise<void> {
    const endpoint = await this.describe();
    const names = (endpoint.ProductionVariants ?? []).map((v) => v.VariantName);
    const hasBoth = names.includes(release.stableVersion) && names.includes(release.canaryVersion);
    if (endpoint.EndpointStatus !== 'InService') {
      if (!TRANSITIONAL.has(endpoint.EndpointStatus ?? '')) {
        throw new TargetStateError(`${this.description} is ${endpoint.EndpointStatus}: it cannot take a canary variant`);
      }
      throw new EndpointBusyError(`${this.description} is ${endpoint.EndpointStatus}: waiting for InService`);
    }
    if (hasBoth) return;
    // Both models as variants, the canary at weight 0: the endpoint keeps serving while SageMaker
    // provisions the new variant, and no user request reaches the canary yet.
    const configName = endpointConfigName(this.config.endpointName, release.canaryVersion);
    let triedBefore = false;
    await awsCall('CreateEndpointConfig', () =>
      sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: configName,
          ProductionVariants: [
            this.variant(release.stableVersion, 1),
            this.variant(release.canaryVersion, 0),
          ],
        }),
      ),
    ).catch((err) => {
      ignoreAlreadyExists(err);
      triedBefore = true;
    });
    // A failed UpdateEndpoint leaves the endpoint InService on its old config with a FailureReason:
    // the canary variant could not be added (say, its container does not start). Trying again would
    // only fail the same way until the workflow gives up on EndpointBusy.
    if (triedBefore && endpoint.FailureReason) {
      throw new TargetStateError(`${this.description} could not add variant ${release.canaryVersion}: ${endpoint.FailureReason}`);
    }
    await this.tagStable(endpoint.EndpointArn, release.stableVersion);
    await this.whenIdle('UpdateEndpoint', undefined, () =>
      sagemaker.send(new UpdateEndpointCommand({ EndpointName: this.config.endpointName, EndpointConfigName: configName })),
    );
    throw new EndpointBusyError(`${this.description} is adding variant ${release.canaryVersion}: waiting for InService`);
  }

  public async shift(release: Release, percent: number, expected: TrafficSplit): Promise<void> {
    this.expectUnchanged(expected, release);
    await this.setWeights({ [release.stableVersion]: 100 - percent, [release.canaryVersion]: percent }, (e) =>
      this.expectShareAsRead(e, expected, release),
    );
  }

  public async promote(release: Release, expected: TrafficSplit, controlPercent = 0): Promise<void> {
    this.expectUnchanged(expected, release);
    await this.setWeights({ [release.stableVersion]: controlPercent, [release.canaryVersion]: 100 - controlPercent }, (e) =>
      this.expectShareAsRead(e, expected, release),
    );
    const endpoint = await this.describe();
    await this.tagStable(endpoint.EndpointArn, release.canaryVersion);
  }

  public async rollback(release: Release, expected: TrafficSplit): Promise<void> {
    this.expectUnchanged(expected, release);
    // After a promotion (the post-promotion watch) the tag names the canary. Tagged first, a retry
    // after a failed weight update reads the canary at 100 % of its release and rolls back again.
    if (expected.stable !== release.stableVersion) {
      const endpoint = await this.describe();
      await this.tagStable(endpoint.EndpointArn, release.stableVersion);
    }
    await this.setWeights({ [release.stableVersion]: 100, [release.canaryVersion]: 0 });
  }

  public async invokeCanary(release: Release, payload: string): Promise<InvokeResult> {
    try {
      const out = await awsCall('InvokeEndpoint', () =>
        runtime.send(
          new InvokeEndpointCommand({
            EndpointName: this.config.endpointName,
            TargetVariant: release.canaryVersion,
            ContentType: 'application/json',
            Body: new TextEncoder().encode(payload),
          }),
        ),
      );
      return { ok: true, body: out.Body ? new TextDecoder().decode(out.Body) : '' };
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (e.name === 'ModelError' || e.name === 'ValidationError' || e.name === 'ValidationException') {
        return { ok: false, body: '', error: `${e.name}: ${e.message ?? ''}`.slice(0, 300) };
      }
      throw err;
    }
  }

  public async ensureServing(version: string): Promise<{ created: boolean; split: TrafficSplit }> {
    try {
      return { created: false, split: await this.read() };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const configName = endpointConfigName(this.config.endpointName, version);
    // The config of an earlier Create that failed after this call (same endpoint, same model) is reused.
    await awsCall('CreateEndpointConfig', () =>
      sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: configName, ProductionVariants: [this.variant(version, 1)] })),
    ).catch(ignoreAlreadyExists);
    await awsCall('CreateEndpoint', () =>
      sagemaker.send(
        new CreateEndpointCommand({
          EndpointName: this.config.endpointName,
          EndpointConfigName: configName,
          Tags: [{ Key: STABLE_TAG, Value: version }],
        }),
      ),
    );
    return { created: true, split: { stable: version, canaryPercent: 0 } };
  }

  public async remove(): Promise<void> {
    try {
      await awsCall('DeleteEndpoint', () => sagemaker.send(new DeleteEndpointCommand({ EndpointName: this.config.endpointName })));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  public metric(version: string, signal: Signal): MetricSpec {
    return targetMetricSpec(SAGEMAKER_ENDPOINT, this.config, version, signal);
  }

  private variant(model: string, weight: number) {
    return {
      VariantName: model,
      ModelName: model,
      InstanceType: this.config.instanceType as never,
      InitialInstanceCount: Number(this.config.instanceCount),
      InitialVariantWeight: weight,
    };
  }

  private async describe(): Promise<DescribeEndpointCommandOutput> {
    return awsCall('DescribeEndpoint', () => sagemaker.send(new DescribeEndpointCommand({ EndpointName: this.config.endpointName })));
  }

  /** All tags of the endpoint (ListTags pages at 50 or more). */
  private async tags(arn: string | undefined): Promise<Map<string, string>> {
    const tags = new Map<string, string>();
    let NextToken: string | undefined;
    do {
      const page = await awsCall('ListTags', () => sagemaker.send(new ListTagsCommand({ ResourceArn: arn, NextToken })));
      for (const t of page.Tags ?? []) if (t.Key !== undefined) tags.set(t.Key, t.Value ?? '');
      NextToken = page.NextToken;
    } while (NextToken);
    return tags;
  }

  private async tagStable(arn: string | undefined, variant: string): Promise<void> {
    await awsCall('AddTags', () => sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: STABLE_TAG, Value: variant }] })));
  }

  /** The variants this release moves between must still be there: anything else is not ours to touch. */
  private expectUnchanged(expected: TrafficSplit, release: Release): void {
    if (expected.stable !== release.stableVersion && expected.stable !== release.canaryVersion) {
      throw new TargetStateError(`${this.description} no longer serves ${release.stableVersion}`);
    }
  }

  /**
   * SageMaker has no conditional weight update (Lambda has RevisionId): right before changing the
   * weights, the canary must still have the share the caller read. Otherwise a step that waited out
   * the Updating status of a fast-path rollback would give the canary its share back.
   * Not used for rollback: weight 0 is always safe to set.
   */
  private expectShareAsRead(endpoint: DescribeEndpointCommandOutput, expected: TrafficSplit, release: Release): void {
    const asRead =
      expected.canary === release.canaryVersion ? expected.canaryPercent : expected.canary === undefined ? 0 : undefined;
    if (asRead === undefined) return;
    const now = percentOf(variantsOf(endpoint), release.canaryVersion);
    if (now !== asRead) {
      throw new TargetStateError(
        `${this.description} changed while this step waited: ${release.canaryVersion} has ${now}%, not the ${asRead}% it had when read`,
      );
    }
  }

  /** Weights in percent per variant; waits for InService and retries "Cannot update in-progress endpoint". */
  private async setWeights(weights: Record<string, number>, precondition?: (endpoint: DescribeEndpointCommandOutput) => void): Promise<void> {
    await this.whenIdle('UpdateEndpointWeightsAndCapacities', precondition, () =>
      sagemaker.send(
        new UpdateEndpointWeightsAndCapacitiesCommand({
          EndpointName: this.config.endpointName,
          DesiredWeightsAndCapacities: Object.entries(weights).map(([VariantName, w]) => ({
            VariantName,
            DesiredWeight: Math.round(w * 10_000) / 10_000,
          })),
        }),
      ),
    );
  }

  /** Runs an endpoint update once the endpoint is InService; gives up to the workflow after a deadline. */
  private async whenIdle(
    what: string,
    precondition: ((endpoint: DescribeEndpointCommandOutput) => void) | undefined,
    update: () => Promise<unknown>,
  ): Promise<void> {
    const deadline = Date.now() + BUSY_DEADLINE_MS;
    for (;;) {
      const endpoint = await this.describe();
      if (endpoint.EndpointStatus === 'InService') {
        precondition?.(endpoint);
        try {
          await awsCall(what, update);
          return;
        } catch (err) {
          if (!isInProgressError(err)) throw err;
        }
      } else if (!TRANSITIONAL.has(endpoint.EndpointStatus ?? '')) {
        throw new TargetStateError(`${this.description} is ${endpoint.EndpointStatus}: it cannot take weight changes`);
      }
      if (Date.now() + POLL_MS > deadline) {
        throw new EndpointBusyError(`${what}: ${this.description} is still updating`);
      }
      await sleep(POLL_MS);
    }
  }
}

/** Re-exported: tests and the IAM grant's comment name it here. */
export { endpointConfigName };

/** The registry's factory (lambda/targets/index.ts). */
export const create = (config: TargetConfig): TrafficTarget => new SageMakerEndpointTarget(config as SageMakerEndpointTargetConfig);
