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
  public readonly wildcardGrants = [];

  constructor(
    private readonly fn: lambda.IFunction,
    private readonly aliasName: string,
    private readonly canaryVersion: lambda.IVersion,
  ) {
    this.targetConfig = { kind: 'lambda-alias', functionName: fn.functionName, aliasName };
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

  /** A published version needs nothing before it takes weight. */
  public grantPrepare(_grantee: iam.IGrantable): void {}

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

  /** Alias actions authorize against the function; the alias ARN covers qualified checks. */
  private grant(grantee: iam.IGrantable, actions: string[]): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.fn.functionArn, `${this.fn.functionArn}:${this.aliasName}`],
    });
  }
}
