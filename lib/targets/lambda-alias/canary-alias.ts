import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

export interface CanaryAliasProps {
  readonly fn: lambda.IFunction;
  readonly version: lambda.IVersion;
  /** The alias name as written in the app: metrics use it (they need no ordering). */
  readonly aliasName: string;
  /** The alias name as the release resource returns it: references through it wait for the alias. */
  readonly aliasNameAfterRelease: string;
}

/**
 * The canary's alias as a `lambda.IAlias`, without an `AWS::Lambda::Alias` (the release custom
 * resource creates and owns it). Unlike `Alias.fromAliasAttributes`, whose ARN is a token it
 * cannot place in an account, so that `addPermission()` does nothing, this one adds permissions,
 * function URLs, event source mappings and grants on the alias ARN, like `lambda.Alias`.
 */
export class CanaryAlias extends lambda.QualifiedFunctionBase implements lambda.IAlias {
  public readonly lambda: lambda.IFunction;
  public readonly version: lambda.IVersion;
  public readonly aliasName: string;
  public readonly architecture: lambda.Architecture;
  /** `<function arn>:<alias>`: depends on the release resource. */
  public readonly functionArn: string;
  /** `<function name>:<alias>`, a name Lambda's APIs accept; depends on the release resource. */
  public readonly functionName: string;
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly role?: iam.IRole;
  protected readonly qualifier: string;
  /** The model function is a `lambda.Function` of this app, so its policy is ours to extend. */
  protected readonly canCreatePermissions = true;
  private readonly literalAliasName: string;

  constructor(scope: Construct, id: string, props: CanaryAliasProps) {
    super(scope, id);
    this.lambda = props.fn;
    this.version = props.version;
    this.aliasName = props.aliasNameAfterRelease;
    this.literalAliasName = props.aliasName;
    this.architecture = props.fn.architecture;
    this.functionArn = `${props.fn.functionArn}:${props.aliasNameAfterRelease}`;
    this.functionName = `${props.fn.functionName}:${props.aliasNameAfterRelease}`;
    this.grantPrincipal = props.fn.grantPrincipal;
    this.role = props.fn.role;
    this.qualifier = props.aliasNameAfterRelease;
  }

  public get aliasRef(): lambda.AliasReference {
    return { aliasArn: this.functionArn };
  }

  /**
   * Lambda publishes alias metrics with `FunctionName` = the function and `Resource` =
   * `<function>:<alias>` (not an ARN, not `FunctionName = fn:alias`):
   * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
   */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: {
        FunctionName: this.lambda.functionName,
        Resource: `${this.lambda.functionName}:${this.literalAliasName}`,
      },
      ...props,
    }).attachTo(this);
  }
}

/**
 * Other constructs in the app that declare the canary's alias (`fn.addAlias('live')`, a
 * `lambda.Alias`, a CfnAlias): CloudFormation would reset the weights the rollout sets, and
 * deleting that resource deletes the alias the canary serves through.
 */
export function declaredAliasProblems(fn: lambda.IFunction, aliasName: string, canaryPath: string): string[] {
  const fnName = Stack.of(fn).resolve(fn.functionName);
  const problems: string[] = [];
  for (const c of fn.node.root.node.findAll()) {
    if (!(c instanceof lambda.CfnAlias)) continue;
    const stack = Stack.of(c);
    const sameFunction =
      c.functionName === fn.functionName || JSON.stringify(stack.resolve(c.functionName)) === JSON.stringify(fnName);
    if (sameFunction && stack.resolve(c.name) === aliasName) {
      const owner = c.node.scope?.node.defaultChild === c ? c.node.scope.node.path : c.node.path;
      problems.push(
        `${owner} declares alias "${aliasName}" of ${fn.node.path}, which the canary ${canaryPath} owns: remove it and use canary.alias ` +
          'instead (it works wherever a lambda.IAlias does). To migrate an existing alias, give that resource RemovalPolicy.RETAIN, ' +
          'deploy, remove it, then set adoptExisting: true on the canary (README: "Adopting an existing alias").',
      );
    }
  }
  return problems;
}
