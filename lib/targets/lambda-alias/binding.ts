import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { LAMBDA_ALIAS, LAMBDA_ALIAS_KIND, type LambdaAliasTargetConfig } from '../../../lambda/targets/lambda-alias/contract';
import type { TargetBinding } from '../../private/target-binding';

/** A weighted Lambda alias as a rollout target. */
export class LambdaAliasBinding implements TargetBinding {
  public readonly contract = LAMBDA_ALIAS;
  public readonly targetConfig: LambdaAliasTargetConfig;
  /** Every action this binding grants authorizes against the function ARN alone: no wildcard. */
  public readonly wildcardGrants = [];
  /** A published version keeps the environment it was published with (GetFunctionConfiguration, as prepare reads). */
  public readonly versionEnvironment = "the function version's environment variables";

  constructor(
    private readonly fn: lambda.IFunction,
    aliasName: string,
    private readonly canaryVersion: lambda.IVersion,
  ) {
    this.targetConfig = { kind: LAMBDA_ALIAS_KIND, functionName: fn.functionName, aliasName };
  }

  /** The helper in the function reads the function's environment (a change publishes a new version). */
  public addSignalsEnvironment(name: string, value: string): void {
    (this.fn as lambda.Function).addEnvironment(name, value);
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
