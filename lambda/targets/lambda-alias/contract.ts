import type { TargetConfig, TargetKindContract } from '../contract';

export const LAMBDA_ALIAS_KIND = 'lambda-alias';

export interface LambdaAliasTargetConfig extends TargetConfig {
  readonly kind: typeof LAMBDA_ALIAS_KIND;
  readonly functionName: string;
  readonly aliasName: string;
}

/**
 * A weighted Lambda alias. Alias metrics carry `FunctionName`, `Resource` = "<function>:<alias>"
 * (not an ARN) and `ExecutedVersion`, which tells the versions apart.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */
export const LAMBDA_ALIAS: TargetKindContract = {
  kind: LAMBDA_ALIAS_KIND,
  metrics: {
    namespace: 'AWS/Lambda',
    names: { requests: 'Invocations', errors: 'Errors', latency: 'Duration' },
    latencyUnitsPerMillisecond: 1,
    versionDimension: 'ExecutedVersion',
    dimensions: (config, version) => ({
      FunctionName: config.functionName,
      Resource: `${config.functionName}:${config.aliasName}`,
      ExecutedVersion: version,
    }),
  },
};
