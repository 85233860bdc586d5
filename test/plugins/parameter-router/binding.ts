import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { TargetBinding } from '../../../lib/private/target-binding';
import { PARAMETER_ROUTER, PARAMETER_ROUTER_KIND, type ParameterRouterTargetConfig } from './contract';

/**
 * The routing parameter as a rollout target: GetParameter and PutParameter on that parameter
 * alone (ARN "parameter/<name without its leading slash>").
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
 */
export class ParameterRouterBinding implements TargetBinding {
  public readonly contract = PARAMETER_ROUTER;
  public readonly targetConfig: ParameterRouterTargetConfig;
  /** One parameter, named in full: no wildcard. */
  public readonly wildcardGrants = [];
  public readonly parameterArn: string;

  constructor(scope: Construct, parameterName: string) {
    this.targetConfig = { kind: PARAMETER_ROUTER_KIND, parameterName };
    this.parameterArn = Stack.of(scope).formatArn({ service: 'ssm', resource: 'parameter', resourceName: parameterName.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  }

  public grantReadRouting(grantee: iam.IGrantable): void {
    this.grant(grantee, ['ssm:GetParameter']);
  }

  /** prepare() makes no call. */
  public grantPrepare(): void {}

  public grantShiftTraffic(grantee: iam.IGrantable): void {
    this.grant(grantee, ['ssm:GetParameter', 'ssm:PutParameter']);
  }

  public grantManageRouting(grantee: iam.IGrantable): void {
    this.grant(grantee, ['ssm:GetParameter', 'ssm:PutParameter']);
  }

  /** invokeCanary() makes no call (a router cannot reach one version on demand). */
  public grantInvokeCanary(): void {}

  public grant(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.parameterArn] });
  }
}
