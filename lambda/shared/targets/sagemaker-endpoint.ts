import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { awsCall, EndpointBusyError, TargetStateError } from '../errors';
import type { InvokeResult, MetricSpec, Signal, TrafficSplit, TrafficTarget } from '../target';
import type { Release, SageMakerEndpointTargetConfig } from '../types';

const sagemaker = new SageMakerClient({});
const runtime = new SageMakerRuntimeClient({});

/** Tag that names the stable variant: weights alone cannot tell a 100 % step from a promotion. */
export const STABLE_TAG = 'cdk-model-canary:stable-variant';

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

  constructor(private readonly config: SageMakerEndpointTargetConfig) {
    this.id = config.endpointName;
    this.name = config.endpointName;
    this.description = `endpoint ${config.endpointName}`;
  }

  public async read(): Promise<TrafficSplit> {
    const endpoint = await this.describe();
    const tags = await awsCall('ListTags', () => sagemaker.send(new ListTagsCommand({ ResourceArn: endpoint.EndpointArn })));
    const stableTag = tags.Tags?.find((t) => t.Key === STABLE_TAG)?.Value;
    return splitOf(endpoint, stableTag);
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

  public async promote(release: Release, expected: TrafficSplit): Promise<void> {
    this.expectUnchanged(expected, release);
    await this.setWeights({ [release.stableVersion]: 0, [release.canaryVersion]: 100 }, (e) =>
      this.expectShareAsRead(e, expected, release),
    );
    const endpoint = await this.describe();
    await this.tagStable(endpoint.EndpointArn, release.canaryVersion);
  }

  public async rollback(release: Release, expected: TrafficSplit): Promise<void> {
    this.expectUnchanged(expected, release);
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
    return {
      namespace: 'AWS/SageMaker',
      metricName: signal === 'requests' ? 'Invocations' : 'Invocation5XXErrors',
      dimensions: { EndpointName: this.config.endpointName, VariantName: version },
    };
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

interface VariantWeight {
  readonly name: string;
  readonly weight: number;
}

/** Variants with the weight they have or are being given (DesiredWeight while Updating). */
function variantsOf(endpoint: DescribeEndpointCommandOutput): VariantWeight[] {
  return (endpoint.ProductionVariants ?? []).map((v) => ({
    name: v.VariantName ?? '',
    weight: v.DesiredWeight ?? v.CurrentWeight ?? 0,
  }));
}

/** A variant's share = weight / sum of weights, in percent with 4 decimals (0 for a missing variant). */
function percentOf(variants: VariantWeight[], name: string): number {
  const total = variants.reduce((s, v) => s + v.weight, 0);
  const weight = variants.find((v) => v.name === name)?.weight ?? 0;
  return total > 0 ? Math.round((weight / total) * 1_000_000) / 10_000 : 0;
}

function splitOf(endpoint: DescribeEndpointCommandOutput, stableTag: string | undefined): TrafficSplit {
  const variants = variantsOf(endpoint);
  const stable =
    variants.find((v) => v.name === stableTag) ?? [...variants].sort((a, b) => b.weight - a.weight)[0];
  const canary = variants.find((v) => v !== stable);
  const canaryPercent = canary ? percentOf(variants, canary.name) : 0;
  return {
    stable: stable?.name ?? '',
    // A variant kept at weight 0 after a promotion or rollback is not a canary.
    canary: canary && canaryPercent > 0 ? canary.name : undefined,
    canaryPercent,
    revision: endpoint.LastModifiedTime ? new Date(endpoint.LastModifiedTime).toISOString() : undefined,
  };
}

/**
 * Endpoint config names: at most 63 characters, unique per release. The first 50 characters of the
 * endpoint name are the prefix the IAM grant allows (lib/private/sagemaker-endpoint-binding.ts).
 */
export function endpointConfigName(endpoint: string, model: string): string {
  let hash = 0;
  for (const c of `${endpoint}/${model}`) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `${endpoint.slice(0, 50)}-${hash.toString(36)}`.slice(0, 63);
}
