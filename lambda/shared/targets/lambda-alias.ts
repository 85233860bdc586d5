import {
  CreateAliasCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { awsCall, TargetStateError } from '../errors';
import type { InvokeResult, MetricSpec, Signal, TrafficSplit, TrafficTarget } from '../target';
import type { LambdaAliasTargetConfig, Release } from '../types';

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

  constructor(private readonly config: LambdaAliasTargetConfig) {
    this.id = `${config.functionName}:${config.aliasName}`;
    this.name = config.aliasName;
    this.description = `alias ${config.aliasName} of function ${config.functionName}`;
  }

  public async read(): Promise<TrafficSplit> {
    const alias = await awsCall('GetAlias', () =>
      lambda.send(new GetAliasCommand({ FunctionName: this.config.functionName, Name: this.config.aliasName })),
    );
    return splitOf(alias);
  }

  /** A published version needs nothing more before it can take weight. */
  public async prepare(_release: Release): Promise<void> {}

  public async shift(release: Release, percent: number, expected: TrafficSplit): Promise<void> {
    await this.update(release.stableVersion, { [release.canaryVersion]: toWeight(percent) }, expected);
  }

  public async promote(release: Release, expected: TrafficSplit): Promise<void> {
    await this.update(release.canaryVersion, {}, expected);
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
          Description: 'Managed by cdk-model-canary: weights change during rollouts',
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

  public metric(version: string, signal: Signal): MetricSpec {
    return {
      namespace: 'AWS/Lambda',
      metricName: signal === 'requests' ? 'Invocations' : 'Errors',
      // Resource is "function:alias", not an ARN: an ARN there matches no data.
      dimensions: {
        FunctionName: this.config.functionName,
        Resource: `${this.config.functionName}:${this.config.aliasName}`,
        ExecutedVersion: version,
      },
    };
  }

  private async update(
    functionVersion: string,
    weights: Record<string, number>,
    expected: TrafficSplit,
  ): Promise<void> {
    try {
      await awsCall('UpdateAlias', () =>
        lambda.send(
          new UpdateAliasCommand({
            FunctionName: this.config.functionName,
            Name: this.config.aliasName,
            FunctionVersion: functionVersion,
            RoutingConfig: { AdditionalVersionWeights: weights },
            RevisionId: expected.revision,
          }),
        ),
      );
    } catch (err) {
      if ((err as Error).name === 'PreconditionFailedException') {
        throw new TargetStateError(`${this.description} changed while this step was updating it`);
      }
      throw err;
    }
  }
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
