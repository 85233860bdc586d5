import type {
  AddTagsCommandInput,
  CreateEndpointCommandInput,
  CreateEndpointConfigCommandInput,
  DeleteEndpointCommandInput,
  DeleteTagsCommandInput,
  DescribeEndpointCommandInput,
  DescribeEndpointCommandOutput,
  ListTagsCommandInput,
  UpdateEndpointCommandInput,
  UpdateEndpointWeightsAndCapacitiesCommandInput,
} from '@aws-sdk/client-sagemaker';
import { awsError } from '../core/aws-errors';
import type { Random } from '../core/random';
import { ACCOUNT, PARTITION, REGION } from '../core/account';
import {
  DEFAULT_SAGEMAKER_TIMINGS,
  type EndpointChange,
  type EndpointConfigRecord,
  type EndpointOperation,
  type EndpointRecord,
  type SageMakerTimings,
  type VariantState,
} from './sagemaker-types';

export * from './sagemaker-types';
export { invocationMetrics, MODEL_RESPONSE_LIMIT_MS } from './sagemaker-invocations';

export function endpointArn(name: string): string {
  // SageMaker ARNs carry the resource name in lower case.
  return `arn:${PARTITION}:sagemaker:${REGION}:${ACCOUNT}:endpoint/${name.toLowerCase()}`;
}

export function endpointConfigArn(name: string): string {
  return `arn:${PARTITION}:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${name.toLowerCase()}`;
}

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * SageMaker's control plane for real-time endpoints: endpoint configurations (unique names),
 * endpoints with production variants, and the two ways to change them. UpdateEndpoint provisions a
 * new configuration while the old variants keep serving (Updating for `updateEndpointSeconds`);
 * UpdateEndpointWeightsAndCapacities moves DesiredWeight at once and CurrentWeight when the update
 * ends. Any update of an endpoint that is not InService fails with "Cannot update in-progress
 * endpoint". A CreateEndpoint can be made to end Failed (`failNextCreate`); a Failed endpoint
 * then accepts only DeleteEndpoint
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html).
 * Timers run on the simulation's virtual clock.
 */
export class SageMakerSim {
  public readonly models = new Set<string>();
  public readonly configs = new Map<string, EndpointConfigRecord>();
  public readonly endpoints = new Map<string, EndpointRecord>();
  public readonly history: EndpointChange[] = [];
  public readonly timings: SageMakerTimings;
  /** Failure reasons for the next CreateEndpoint calls: each ends Failed instead of InService. */
  private readonly createFailures: string[] = [];

  constructor(
    private readonly random: Random,
    private readonly now: () => number,
    timings: Partial<SageMakerTimings> = {},
  ) {
    this.timings = { ...DEFAULT_SAGEMAKER_TIMINGS, ...timings };
  }

  /** A model (AWS::SageMaker::Model) exists: CloudFormation created it. Models are retained, never deleted. */
  public addModel(name: string): void {
    this.models.add(name);
  }

  /**
   * The next CreateEndpoint ends `Failed` with this FailureReason (a container that does not start,
   * no capacity for the instance type) after `createEndpointSeconds`.
   */
  public failNextCreate(reason: string): void {
    this.createFailures.push(reason);
  }

  public endpoint(name: string): EndpointRecord | undefined {
    return this.endpoints.get(name);
  }

  /** Whether the endpoint answers InvokeEndpoint: InService, or Updating (the old variants keep serving). */
  public serving(endpoint: EndpointRecord | undefined): endpoint is EndpointRecord {
    return endpoint !== undefined && (endpoint.status === 'InService' || endpoint.status === 'Updating') && endpoint.variants.length > 0;
  }

  /** Each variant's share of the traffic now, in percent (weight / sum of CurrentWeight). */
  public shares(endpoint: EndpointRecord): Record<string, number> {
    const total = endpoint.variants.reduce((s, v) => s + v.currentWeight, 0);
    return Object.fromEntries(endpoint.variants.map((v) => [v.name, total > 0 ? (v.currentWeight / total) * 100 : 0]));
  }

  /** Which variant serves one request: a draw by CurrentWeight / sum of weights. */
  public route(endpoint: EndpointRecord): string | undefined {
    const total = endpoint.variants.reduce((s, v) => s + v.currentWeight, 0);
    if (total <= 0) return undefined;
    let r = this.random.next() * total;
    for (const v of endpoint.variants) {
      if ((r -= v.currentWeight) < 0) return v.name;
    }
    return endpoint.variants[endpoint.variants.length - 1].name;
  }

  // --- API ---

  public createEndpointConfig(input: CreateEndpointConfigCommandInput): { EndpointConfigArn: string } {
    const name = input.EndpointConfigName ?? '';
    if (!NAME.test(name)) throw invalid(`1 validation error detected: Value '${name}' at 'endpointConfigName' failed to satisfy constraint`);
    if (this.configs.has(name)) {
      throw invalid(`Cannot create already existing endpoint configuration "${endpointConfigArn(name)}".`);
    }
    const variants = input.ProductionVariants ?? [];
    if (variants.length === 0 || variants.length > 10) throw invalid('ProductionVariants: 1 to 10 variants');
    const names = new Set<string>();
    for (const v of variants) {
      if (!v.VariantName || names.has(v.VariantName)) throw invalid(`Variant names must be unique and non-empty: ${v.VariantName}`);
      names.add(v.VariantName);
      if (!v.ModelName || !this.models.has(v.ModelName)) throw invalid(`Could not find model "${modelArn(v.ModelName ?? '')}".`);
      if (v.InitialVariantWeight !== undefined && (v.InitialVariantWeight < 0 || !Number.isFinite(v.InitialVariantWeight))) {
        throw invalid(`Invalid InitialVariantWeight ${v.InitialVariantWeight} for variant ${v.VariantName}`);
      }
    }
    const record: EndpointConfigRecord = {
      name,
      arn: endpointConfigArn(name),
      createdAt: this.now(),
      variants: variants.map((v) => ({
        name: v.VariantName!,
        modelName: v.ModelName!,
        weight: v.InitialVariantWeight ?? 1,
        instanceType: v.InstanceType,
        instanceCount: v.InitialInstanceCount ?? 1,
      })),
    };
    this.configs.set(name, record);
    return { EndpointConfigArn: record.arn };
  }

  public createEndpoint(input: CreateEndpointCommandInput, by?: string): { EndpointArn: string } {
    const name = input.EndpointName ?? '';
    if (!NAME.test(name)) throw invalid(`1 validation error detected: Value '${name}' at 'endpointName' failed to satisfy constraint`);
    if (this.endpoints.has(name)) throw invalid(`Cannot create already existing endpoint "${endpointArn(name)}".`);
    const config = this.config(input.EndpointConfigName);
    const now = this.now();
    const tags = input.Tags ?? [];
    validateTags(tags);
    const endpoint: EndpointRecord = {
      name,
      arn: endpointArn(name),
      status: 'Creating',
      configName: config.name,
      variants: variantsOf(config),
      tags: new Map(tags.map((t) => [t.Key ?? '', t.Value ?? ''])),
      createdAt: now,
      lastModified: now,
    };
    this.endpoints.set(name, endpoint);
    this.record(endpoint, 'CreateEndpoint', by);
    const failure = this.createFailures.shift();
    this.schedule(endpoint, 'CreateEndpoint', this.timings.createEndpointSeconds, () => {
      if (failure === undefined) {
        endpoint.status = 'InService';
      } else {
        endpoint.status = 'Failed';
        endpoint.failureReason = failure;
      }
    });
    return { EndpointArn: endpoint.arn };
  }

  public describeEndpoint(input: DescribeEndpointCommandInput): DescribeEndpointCommandOutput {
    const endpoint = this.require(input.EndpointName);
    return {
      $metadata: { httpStatusCode: 200 },
      EndpointName: endpoint.name,
      EndpointArn: endpoint.arn,
      EndpointConfigName: endpoint.configName,
      EndpointStatus: endpoint.status,
      ...(endpoint.failureReason ? { FailureReason: endpoint.failureReason } : {}),
      CreationTime: new Date(endpoint.createdAt),
      LastModifiedTime: new Date(endpoint.lastModified),
      ProductionVariants: endpoint.variants.map((v) => ({
        VariantName: v.name,
        CurrentWeight: v.currentWeight,
        DesiredWeight: v.desiredWeight,
        CurrentInstanceCount: endpoint.status === 'Creating' ? 0 : v.instanceCount,
        DesiredInstanceCount: v.instanceCount,
      })),
    };
  }

  public updateEndpoint(input: UpdateEndpointCommandInput, by?: string): { EndpointArn: string } {
    const endpoint = this.require(input.EndpointName);
    this.requireInService(endpoint);
    const config = this.config(input.EndpointConfigName);
    endpoint.status = 'Updating';
    endpoint.lastModified = this.now();
    endpoint.failureReason = undefined;
    this.record(endpoint, 'UpdateEndpoint', by, { configName: config.name });
    // The old variants keep serving until the new configuration is in service.
    this.schedule(endpoint, 'UpdateEndpoint', this.timings.updateEndpointSeconds, () => {
      endpoint.configName = config.name;
      endpoint.variants = variantsOf(config);
      endpoint.status = 'InService';
    });
    return { EndpointArn: endpoint.arn };
  }

  public updateEndpointWeightsAndCapacities(input: UpdateEndpointWeightsAndCapacitiesCommandInput, by?: string): { EndpointArn: string } {
    const endpoint = this.require(input.EndpointName);
    this.requireInService(endpoint);
    const desired = input.DesiredWeightsAndCapacities ?? [];
    if (desired.length === 0) throw invalid('DesiredWeightsAndCapacities must name at least one variant');
    const known = new Set(endpoint.variants.map((v) => v.name));
    const unknown = desired.filter((d) => !known.has(d.VariantName ?? ''));
    if (unknown.length > 0) {
      throw invalid(`The variant(s) "[${unknown.map((d) => d.VariantName).join(', ')}]" are not present in endpoint "${endpoint.arn}".`);
    }
    const weights: Record<string, number> = {};
    for (const d of desired) {
      if (d.DesiredWeight === undefined) continue;
      if (!Number.isFinite(d.DesiredWeight) || d.DesiredWeight < 0) throw invalid(`Invalid DesiredWeight ${d.DesiredWeight} for variant ${d.VariantName}`);
      weights[d.VariantName!] = d.DesiredWeight;
    }
    const next = endpoint.variants.map((v) => ({ ...v, desiredWeight: weights[v.name] ?? v.currentWeight }));
    if (next.reduce((s, v) => s + v.desiredWeight, 0) <= 0) throw invalid('The sum of the variant weights must be greater than 0');
    endpoint.variants = next;
    endpoint.status = 'Updating';
    endpoint.lastModified = this.now();
    this.record(endpoint, 'UpdateEndpointWeightsAndCapacities', by, { desiredWeights: weights });
    this.schedule(endpoint, 'UpdateEndpointWeightsAndCapacities', this.timings.updateWeightsSeconds, () => {
      endpoint.variants = endpoint.variants.map((v) => ({ ...v, currentWeight: v.desiredWeight }));
      endpoint.status = 'InService';
    });
    return { EndpointArn: endpoint.arn };
  }

  public deleteEndpoint(input: DeleteEndpointCommandInput, by?: string): Record<string, never> {
    const endpoint = this.require(input.EndpointName);
    if (endpoint.pending) clearTimeout(endpoint.pending.timer);
    endpoint.pending = undefined;
    endpoint.status = 'Deleting';
    this.record(endpoint, 'DeleteEndpoint', by);
    this.schedule(endpoint, 'DeleteEndpoint', this.timings.deleteEndpointSeconds, () => {
      this.endpoints.delete(endpoint.name);
    });
    return {};
  }

  public addTags(input: AddTagsCommandInput): { Tags: { Key: string; Value: string }[] } {
    const endpoint = this.byArn(input.ResourceArn);
    validateTags(input.Tags ?? []);
    for (const t of input.Tags ?? []) endpoint.tags.set(t.Key ?? '', t.Value ?? '');
    return { Tags: (input.Tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })) };
  }

  /**
   * Removes the keys (1 to 50 of them). A key the endpoint does not carry is ignored (not stated in
   * the docs; the target only deletes keys it has read).
   * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteTags.html
   */
  public deleteTags(input: DeleteTagsCommandInput): Record<string, never> {
    const endpoint = this.byArn(input.ResourceArn);
    const keys = input.TagKeys ?? [];
    if (keys.length < 1 || keys.length > 50) throw invalid('TagKeys: 1 to 50 keys');
    for (const k of keys) endpoint.tags.delete(k);
    return {};
  }

  public listTags(input: ListTagsCommandInput): { Tags: { Key: string; Value: string }[] } {
    const endpoint = this.byArn(input.ResourceArn);
    return { Tags: [...endpoint.tags].map(([Key, Value]) => ({ Key, Value })) };
  }

  /** Marks the endpoint Updating for `seconds` as if someone else (a person, an autoscaler) changed it. */
  public beginExternalUpdate(name: string, seconds: number): void {
    const endpoint = this.require(name);
    this.requireInService(endpoint);
    endpoint.status = 'Updating';
    endpoint.lastModified = this.now();
    this.schedule(endpoint, 'UpdateEndpointWeightsAndCapacities', seconds, () => {
      endpoint.status = 'InService';
    });
  }

  // --- internals ---

  private schedule(endpoint: EndpointRecord, operation: EndpointOperation, seconds: number, done: () => void): void {
    const until = this.now() + seconds * 1000;
    const timer = setTimeout(() => {
      endpoint.pending = undefined;
      done();
      endpoint.lastModified = this.now();
      this.record(endpoint, `${operation}:done`, undefined, operation === 'DeleteEndpoint' ? { deleted: true } : {});
    }, seconds * 1000);
    endpoint.pending = { operation, until, timer };
  }

  private record(
    endpoint: EndpointRecord,
    operation: EndpointChange['operation'],
    by: string | undefined,
    extra: { desiredWeights?: Record<string, number>; configName?: string; deleted?: boolean } = {},
  ): void {
    this.history.push({
      at: this.now(),
      endpointName: endpoint.name,
      operation,
      by,
      status: extra.deleted ? 'Deleted' : endpoint.status,
      variants: endpoint.variants.map((v) => ({ ...v })),
      ...(extra.desiredWeights ? { desiredWeights: { ...extra.desiredWeights } } : {}),
      configName: extra.configName ?? endpoint.configName,
    });
  }

  private require(name: string | undefined): EndpointRecord {
    const endpoint = this.endpoints.get(name ?? '');
    if (!endpoint) throw invalid(`Could not find endpoint "${endpointArn(name ?? '')}".`);
    return endpoint;
  }

  private requireInService(endpoint: EndpointRecord): void {
    if (endpoint.status !== 'InService') {
      throw invalid(`Cannot update in-progress endpoint "${endpoint.arn}".`);
    }
  }

  private config(name: string | undefined): EndpointConfigRecord {
    const config = this.configs.get(name ?? '');
    if (!config) throw invalid(`Could not find endpoint configuration "${endpointConfigArn(name ?? '')}".`);
    return config;
  }

  private byArn(arn: string | undefined): EndpointRecord {
    const endpoint = [...this.endpoints.values()].find((e) => e.arn === arn);
    if (!endpoint) throw invalid(`Could not find resource "${arn ?? ''}".`);
    return endpoint;
  }
}

/**
 * Tag keys 1-128 and values 0-256 characters of letters, digits, spaces and `_.:/=+-@`.
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html
 */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function validateTags(tags: readonly { Key?: string; Value?: string }[]): void {
  for (const t of tags) {
    const key = t.Key ?? '';
    const value = t.Value ?? '';
    if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key)) throw invalid(`Invalid tag key "${key}": 1-128 characters of letters, digits, spaces and _.:/=+-@`);
    if (value.length > 256 || !TAG_TEXT.test(value)) throw invalid(`Invalid value for tag "${key}": up to 256 characters of letters, digits, spaces and _.:/=+-@`);
  }
}

function variantsOf(config: EndpointConfigRecord): VariantState[] {
  return config.variants.map((v) => ({
    name: v.name,
    modelName: v.modelName,
    currentWeight: v.weight,
    desiredWeight: v.weight,
    instanceType: v.instanceType,
    instanceCount: v.instanceCount,
  }));
}

function modelArn(name: string): string {
  return `arn:${PARTITION}:sagemaker:${REGION}:${ACCOUNT}:model/${name.toLowerCase()}`;
}

function invalid(message: string): Error {
  return awsError('sagemaker', 'ValidationException', 400, message);
}
