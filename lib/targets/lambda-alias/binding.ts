import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { GuardSignal, TargetBinding } from './target-binding';

const METRIC_NAMES: Record<GuardSignal, string> = {
  requests: 'Invocations',
  errors: 'Errors',
  latency: 'Duration',
};

/** A weighted Lambda alias as a rollout target. */
export class LambdaAliasBinding implements TargetBinding {
  public readonly targetConfig: { readonly kind: string; readonly [key: string]: string };
  public readonly latencyUnitsPerMillisecond = 1;
  public readonly wildcardGrants: TargetBinding['wildcardGrants'];

  constructor(
    private readonly fn: lambda.IFunction,
    private readonly aliasName: string,
    private readonly canaryVersion: lambda.IVersion,
  ) {
    this.targetConfig = { kind: 'lambda-alias', functionName: fn.functionName, aliasName };
    // Every action this binding grants authorizes against the function ARN alone: no wildcard.
    this.wildcardGrants = [];
  }

  public metric(version: string, signal: GuardSignal, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: METRIC_NAMES[signal],
      // Resource is "function:alias" (not an ARN) and ExecutedVersion tells the versions apart.
      dimensionsMap: {
        FunctionName: this.fn.functionName,
        Resource: `${this.fn.functionName}:${this.aliasName}`,
        ExecutedVersion: version,
      },
      statistic,
      period: Duration.minutes(1),
    });
  }

  public grantReadRouting(grantee: iam.IGrantable): void {
    this.grant(grantee, ['lambda:GetAlias']);
  }

  /**
   * Start compares the execution role and DLQ of the stable and canary versions (both must match
   * for weighted routing): GetFunctionConfiguration with a version qualifier.
   */
  public grantPrepare(grantee: iam.IGrantable): void {
    this.grant(grantee, ['lambda:GetFunctionConfiguration']);
  }

  public grantShiftTraffic(grantee: iam.IGrantable): void {
    this.grant(grantee, ['lambda:GetAlias', 'lambda:UpdateAlias']);
  }

  public grantManageRouting(grantee: iam.IGrantable): void {
    this.grant(grantee, ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:CreateAlias', 'lambda:DeleteAlias']);
  }

  /** Exactly the version this deploy publishes: the only one a pre-traffic check ever calls. */
  public grantInvokeCanary(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.canaryVersion.functionArn] });
  }

  /**
   * CreateAlias, DeleteAlias, GetAlias, UpdateAlias and GetFunctionConfiguration (with a qualifier
   * too) authorize against the function's unqualified ARN ("Function" in the table of
   * https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
   */
  private grant(grantee: iam.IGrantable, actions: string[]): void {
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.fn.functionArn] });
  }
}
