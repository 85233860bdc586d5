import {
  CreateAliasCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { awsCall, TargetStateError } from '../../shared/errors';
import { type OwnerRecord, UNRECORDED } from '../../shared/ownership';
import type { InvokeResult, MetricSpec, Signal, TrafficSplit, TrafficTarget } from '../../shared/traffic-target';
import { type TargetConfig, targetMetricSpec } from '../contract';
import type { Release } from '../../shared/types';
import { LAMBDA_ALIAS, type LambdaAliasTargetConfig } from './contract';

const lambda = new LambdaClient({});

/** Lambda weights are fractions; keep them exact to 1e-6 so 5 % stays 0.05. */
function toWeight(percent: number): number {
  return Math.round(percent * 10_000) / 1_000_000;
}

/**
 * A weighted Lambda alias: `FunctionVersion` is the stable version and the one entry of
 * `RoutingConfig.AdditionalVersionWeights` is the canary.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
 */
export class LambdaAliasTarget implements TrafficTarget {
  public readonly id: string;
  public readonly name: string;
  public readonly description: string;
  /** UpdateAlias routes the next invocations by the new weights; a few seconds cover in-flight requests. */
  public readonly weightChangeSeconds = 5;
  private foreignDescription?: string;

  constructor(private readonly config: LambdaAliasTargetConfig) {
    this.id = `${config.functionName}:${config.aliasName}`;
    this.name = config.aliasName;
    this.description = `alias ${config.aliasName} of function ${config.functionName}`;
  }

  public async read(): Promise<TrafficSplit> {
    return splitOf(await this.getAlias());
  }

  private getAlias() {
    return awsCall('GetAlias', () =>
      lambda.send(new GetAliasCommand({ FunctionName: this.config.functionName, Name: this.config.aliasName })),
    );
  }

  /** A published version's environment variables (immutable: the version keeps those it was published with). */
  public async versionEnvironment(version: string): Promise<Record<string, string>> {
    const c = await awsCall('GetFunctionConfiguration', () =>
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: this.config.functionName, Qualifier: version })),
    );
    return c.Environment?.Variables ?? {};
  }

  /**
   * Lambda routes an alias between two versions only when both have the same execution role and
   * the same dead-letter queue setting
   * (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html): a release that
   * changed either fails here, before any traffic, instead of at the first weight change.
   */
  public async prepare(release: Release): Promise<void> {
    const [stable, canary] = await Promise.all(
      [release.stableVersion, release.canaryVersion].map((Qualifier) =>
        awsCall('GetFunctionConfiguration', () =>
          lambda.send(new GetFunctionConfigurationCommand({ FunctionName: this.config.functionName, Qualifier })),
        ),
      ),
    );
    const differences: string[] = [];
    const last = (arn?: string) => arn?.split(/[:/]/).pop() ?? 'none';
    // Compared as reported; a field Lambda does not report on either side compares equal.
    if (stable?.Role !== canary?.Role) differences.push(`execution role (${last(stable?.Role)} vs ${last(canary?.Role)})`);
    const dlq = (c: typeof stable | undefined) => last(c?.DeadLetterConfig?.TargetArn);
    if (dlq(stable) !== dlq(canary)) differences.push(`dead-letter queue (${dlq(stable)} vs ${dlq(canary)})`);
    if (differences.length > 0) {
      // Short enough for the alert (the workflow keeps 500 characters of an error).
      throw new TargetStateError(
        `versions ${release.stableVersion} and ${release.canaryVersion} differ in ${differences.join(' and ')}: ` +
          'Lambda routes an alias between two versions only when both have the same execution role and dead-letter queue. ' +
          'Keep them unchanged (edit the role\'s policies, not the role), or move the alias to the new version at once, ' +
          `without a canary (aws lambda update-alias --function-version ${release.canaryVersion}).`,
      );
    }
  }

  public async shift(release: Release, percent: number, expected: TrafficSplit): Promise<void> {
    await this.update(release.stableVersion, { [release.canaryVersion]: toWeight(percent) }, expected);
  }

  public async promote(release: Release, expected: TrafficSplit, controlPercent = 0): Promise<void> {
    await this.update(release.canaryVersion, controlPercent > 0 ? { [release.stableVersion]: toWeight(controlPercent) } : {}, expected);
  }

  public async rollback(release: Release, expected: TrafficSplit): Promise<void> {
    await this.update(release.stableVersion, {}, expected);
  }

  public async invokeCanary(release: Release, payload: string): Promise<InvokeResult> {
    const out = await awsCall('Invoke', () =>
      lambda.send(
        new InvokeCommand({
          FunctionName: this.config.functionName,
          Qualifier: release.canaryVersion,
          Payload: new TextEncoder().encode(payload),
        }),
      ),
    );
    const body = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) return { ok: false, body, error: `${out.FunctionError}: ${body.slice(0, 300)}` };
    if (out.StatusCode !== undefined && out.StatusCode >= 300) {
      return { ok: false, body, error: `status ${out.StatusCode}` };
    }
    return { ok: true, body };
  }

  public async ensureServing(version: string): Promise<{ created: boolean; split: TrafficSplit }> {
    try {
      return { created: false, split: await this.read() };
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException) && (err as Error).name !== 'ResourceNotFoundException') throw err;
    }
    const alias = await awsCall('CreateAlias', () =>
      lambda.send(
        new CreateAliasCommand({
          FunctionName: this.config.functionName,
          Name: this.config.aliasName,
          FunctionVersion: version,
          Description: ownerDescription({ owner: UNRECORDED }),
        }),
      ),
    );
    return { created: true, split: splitOf(alias) };
  }

  public async remove(): Promise<void> {
    try {
      await awsCall('DeleteAlias', () =>
        lambda.send(new DeleteAliasCommand({ FunctionName: this.config.functionName, Name: this.config.aliasName })),
      );
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    }
  }

  public async readOwner(): Promise<OwnerRecord | undefined> {
    try {
      const { Description } = await this.getAlias();
      const record = ownerOf(Description);
      if (!record.owner) this.foreignDescription = Description;
      return record;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  }

  /** Only the Description changes: the versions and weights are written back as read, conditionally. */
  public async writeOwner(record: OwnerRecord): Promise<void> {
    const alias = await this.getAlias();
    await this.update(
      alias.FunctionVersion!,
      alias.RoutingConfig?.AdditionalVersionWeights ?? {},
      { revision: alias.RevisionId },
      'while its owner was being recorded: deploy again',
      // No record (a failed adoption undone): give back the Description its maker wrote.
      record.owner || record.previousOwner ? ownerDescription(record) : (this.foreignDescription ?? ''),
    );
  }

  public metric(version: string, signal: Signal): MetricSpec {
    return targetMetricSpec(LAMBDA_ALIAS, this.config, version, signal);
  }

  /** A conditional UpdateAlias: fails with TargetStateError if the alias changed since `expected` was read. */
  private async update(
    functionVersion: string,
    weights: Record<string, number>,
    expected: Pick<TrafficSplit, 'revision'>,
    whileDoing = 'while this step was updating it',
    description?: string,
  ): Promise<void> {
    try {
      await awsCall('UpdateAlias', () =>
        lambda.send(
          new UpdateAliasCommand({
            FunctionName: this.config.functionName,
            Name: this.config.aliasName,
            FunctionVersion: functionVersion,
            RoutingConfig: { AdditionalVersionWeights: weights },
            Description: description,
            RevisionId: expected.revision,
          }),
        ),
      );
    } catch (err) {
      if ((err as Error).name === 'PreconditionFailedException') {
        throw new TargetStateError(`${this.description} changed ${whileDoing}`);
      }
      throw err;
    }
  }
}

/**
 * The owner record lives in the alias Description (at most 256 characters:
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html), which Lambda keeps across
 * updates and which nothing else in the library reads.
 */
const MARKER = 'managed by cdk-model-canary';

export function ownerDescription(record: OwnerRecord): string {
  const parts = [MARKER, '(weights change during rollouts)'];
  if (record.owner) parts.push(`owner=${record.owner}`);
  if (record.previousOwner) parts.push(`previous=${record.previousOwner}`);
  return parts.join(' ');
}

/** `{}` for an alias someone else made; an alias of an earlier release of the library (no owner= yet) is UNRECORDED's. */
export function ownerOf(description: string | undefined): OwnerRecord {
  const text = description ?? '';
  if (!text.toLowerCase().startsWith(MARKER)) return {};
  const owner = /(?:^|\s)owner=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  const previousOwner = /(?:^|\s)previous=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  return { owner: owner ?? UNRECORDED, ...(previousOwner ? { previousOwner } : {}) };
}

function splitOf(alias: {
  FunctionVersion?: string;
  RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> };
  RevisionId?: string;
}): TrafficSplit {
  const entries = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {});
  const [canary, weight] = entries[0] ?? [undefined, 0];
  return {
    stable: alias.FunctionVersion ?? '',
    canary,
    canaryPercent: Math.round((weight ?? 0) * 1_000_000) / 10_000,
    revision: alias.RevisionId,
  };
}

/** The registry's factory (lambda/targets/index.ts). */
export const create = (config: TargetConfig): TrafficTarget => new LambdaAliasTarget(config as LambdaAliasTargetConfig);
