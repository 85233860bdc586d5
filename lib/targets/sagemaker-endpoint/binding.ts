import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { SAGEMAKER_ENDPOINT, SAGEMAKER_ENDPOINT_KIND, type SageMakerEndpointTargetConfig } from '../../../lambda/targets/sagemaker-endpoint/contract';
import type { GuardAlarms } from '../../private/guard-alarms';
import { namedTargetMetric, type TargetBinding, type TargetGuardContext } from '../../private/target-binding';

/** How much of the endpoint name an endpoint config name keeps (the rest is a hash of the model). */
const CONFIG_PREFIX_LENGTH = 50;

/**
 * A SageMaker real-time endpoint whose production variants are the stable and the canary model,
 * as a rollout target. The release resource owns the endpoint (CloudFormation never updates it, so
 * no deploy can reset the variant weights); variant names are model names.
 */
export class SageMakerEndpointBinding implements TargetBinding {
  /** Variables a guard asked for, merged into the construct's `modelEnvironment` when it is read. */
  public readonly signalsEnvironment: { [key: string]: string } = {};
  public readonly contract = SAGEMAKER_ENDPOINT;
  public readonly targetConfig: SageMakerEndpointTargetConfig;
  public readonly wildcardGrants: { readonly resource: string; readonly reason: string }[];
  /**
   * The endpoint's ARN, `arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>`, with the
   * name in lower case as SageMaker reports it (observed in DescribeEndpoint; the docs say only
   * that the name is case-insensitive in CreateEndpoint, API_CreateEndpoint.html).
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html#amazonsagemaker-resources-for-iam-policies
   */
  public readonly endpointArn: string;
  private readonly endpointConfigArns: string;

  constructor(
    scope: Construct,
    endpointName: string,
    instanceType: string,
    instanceCount: number,
  ) {
    this.targetConfig = {
      kind: SAGEMAKER_ENDPOINT_KIND,
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

  /**
   * SageMaker's own guard, beside the shared ones: the canary's model error rate. 5XX alone misses
   * a model that times out or drops the connection (InvocationModelErrors counts those, and 4XX
   * too, which are the caller's errors: they are taken out).
   * @see https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation
   */
  public addTargetGuards(guards: GuardAlarms, ctx: TargetGuardContext): cloudwatch.Alarm[] {
    const m = (name: string) => namedTargetMetric(this, ctx.canaryVersion, name, 'Sum');
    return [
      guards.addAlarm('ModelErrorRate', {
        metric: new cloudwatch.MathExpression({
          expression: '100 * (FILL(modelErrors, 0) - FILL(clientErrors, 0)) / requests',
          usingMetrics: { modelErrors: m('InvocationModelErrors'), clientErrors: m('Invocation4XXErrors'), requests: m('Invocations') },
          period: Duration.minutes(1),
          label: 'canary model errors without 4XX, incl. timeouts (%)',
        }),
        threshold: ctx.maxErrorRatePercent,
        minutes: ctx.minutes,
        description: `Canary model errors (5XX, timeouts, socket errors) above ${ctx.maxErrorRatePercent}% for ${ctx.minutes} min`,
      }),
    ];
  }

  public addSignalsEnvironment(name: string, value: string): void {
    this.signalsEnvironment[name] = value;
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
    // DeleteTags: the owner record (lambda/shared/ownership.ts) drops its previous-owner tag.
    this.grant(grantee, ['sagemaker:CreateEndpoint', 'sagemaker:DeleteEndpoint', 'sagemaker:DeleteTags'], [this.endpointArn]);
    this.grant(grantee, ['sagemaker:CreateEndpointConfig', 'sagemaker:CreateEndpoint'], [this.endpointConfigArns]);
  }

  public grantInvokeCanary(grantee: iam.IGrantable): void {
    this.grantInvoke(grantee);
  }

  /** sagemaker:InvokeEndpoint on this endpoint only (InvokeEndpoint requires the endpoint resource type). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }

  private grant(grantee: iam.IGrantable, actions: string[], resourceArns: string[]): void {
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
  }
}
