import type { TrafficTarget } from '../target';
import type { TargetConfig } from '../types';
import { LambdaAliasTarget } from './lambda-alias';
import { SageMakerEndpointTarget } from './sagemaker-endpoint';

export function targetFor(config: TargetConfig): TrafficTarget {
  switch (config.kind) {
    case 'lambda-alias':
      return new LambdaAliasTarget(config);
    case 'sagemaker-endpoint':
      return new SageMakerEndpointTarget(config);
    default:
      throw new Error(`Unknown target kind ${(config as { kind?: string }).kind}`);
  }
}
