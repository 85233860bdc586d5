import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { GuardSignal, TargetBinding } from './target-binding';

const METRIC_NAMES: Record<GuardSignal, string> = {
  requests: 'Invocations',
  errors: 'Invocation5XXErrors',
  latency: 'ModelLatency',
};

/** How much of the endpoint name an endpoint config name keeps (the rest is a hash of the model). */
const CONFIG_PREFIX_LENGTH = 50;

/**
 * A SageMaker real-time endpoint whose production variants are the stable and the canary model,
 * as a rollout target. The release resource owns the endpoint (CloudFormation never updates it, so
 * no deploy can reset the variant weights); variant names are model names.
 */
export class SageMakerEndpointBinding implements TargetBinding {
  public readonly targetConfig: { readonly kind: string; readonly [key: string]: string };
  /** ModelLatency is in microseconds. */
  public readonly latencyUnitsPerMillisecond = 1000;
  public readonly wildcardGrants: { readonly resource: string; readonly reason: string }[];
  private readonly endpointArn: string;
  private readonly endpointConfigArns: string;

  constructor(
    scope: Construct,
    private readonly endpointName: string,
    instanceType: string,
    instanceCount: number,
  ) {
    this.targetConfig = {
      kind: 'sagemaker-endpoint',
      endpointName,
      instanceType,
      instanceCount: String(instanceCount),
    };
    // SageMaker ARNs carry the resource name in lower case.
    const lower = Token.isUnresolved(endpointName) ? endpointName : endpointName.toLowerCase();
    // Endpoint config names start with the first 50 characters of the endpoint name (see
    // endpointConfigName in lambda/shared/targets/sagemaker-endpoint.ts).
    const configPrefix = Token.isUnresolved(endpointName) ? endpointName : lower.slice(0, CONFIG_PREFIX_LENGTH);
    const stack = Stack.of(scope);
    this.endpointArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: lower, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.endpointConfigArns = stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: `${configPrefix}-*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.wildcardGrants = [
      {
        resource: this.endpointConfigArns,
        reason: 'Endpoint configurations are created per release, named "<endpoint name>-<hash of the model>"; the wildcard covers only this endpoint\'s own configurations.',
      },
    ];
  }

  public metric(version: string, signal: GuardSignal, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName: METRIC_NAMES[signal],
      dimensionsMap: { EndpointName: this.endpointName, VariantName: version },
      statistic,
      period: Duration.minutes(1),
    });
  }

  public grantReadRouting(grantee: iam.IGrantable): void {
    this.grant(grantee, ['sagemaker:DescribeEndpoint', 'sagemaker:ListTags'], [this.endpointArn]);
  }

  public grantPrepare(grantee: iam.IGrantable): void {
    this.grant(grantee, ['sagemaker:AddTags', 'sagemaker:UpdateEndpoint'], [this.endpointArn]);
    this.grant(grantee, ['sagemaker:CreateEndpointConfig', 'sagemaker:UpdateEndpoint'], [this.endpointConfigArns]);
  }

  public grantShiftTraffic(grantee: iam.IGrantable): void {
    this.grant(
      grantee,
      ['sagemaker:DescribeEndpoint', 'sagemaker:ListTags', 'sagemaker:AddTags', 'sagemaker:UpdateEndpointWeightsAndCapacities'],
      [this.endpointArn],
    );
  }

  public grantManageRouting(grantee: iam.IGrantable): void {
    this.grantShiftTraffic(grantee);
    this.grant(grantee, ['sagemaker:CreateEndpoint', 'sagemaker:DeleteEndpoint'], [this.endpointArn]);
    this.grant(grantee, ['sagemaker:CreateEndpointConfig', 'sagemaker:CreateEndpoint'], [this.endpointConfigArns]);
  }

  public grantInvokeCanary(grantee: iam.IGrantable): void {
    this.grant(grantee, ['sagemaker:InvokeEndpoint'], [this.endpointArn]);
  }

  private grant(grantee: iam.IGrantable, actions: string[], resourceArns: string[]): void {
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
  }
}
