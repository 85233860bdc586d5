import { Annotations, CfnDeletionPolicy, CfnResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ModelCanaryBase } from '../../model-canary';
import type { ModelCanaryOptions } from '../../model-canary-options';
import { optionProblems } from '../../private/option-problems';
import { defaultCanaryName, registerCanary, sharedEnvironmentWarning } from '../../private/uniqueness';
import { canaryLabel, throwIfProblems } from '../../private/validation';
import { CANARY_NAME_ENV, CANARY_STACK_ENV } from '../../../runtime/signal-names';
import { LambdaAliasBinding } from './binding';
import { warnOnAliasBypass } from './bypass-warning';
import { CanaryAlias, declaredAliasProblems } from './canary-alias';

/** Properties of a {@link LambdaModelCanary}. */
export interface LambdaModelCanaryProps extends ModelCanaryOptions {
  /**
   * The function that serves the model. Every deploy that changes its code or configuration
   * publishes a new version (`currentVersion`), and that version is released as a canary.
   * The canary adds `MODEL_CANARY_NAME` and `MODEL_CANARY_STACK` to its environment.
   */
  readonly modelFunction: lambda.Function;

  /**
   * The alias callers invoke. The canary owns it: do not declare it elsewhere.
   * @default 'live'
   */
  readonly aliasName?: string;
}

const ALIAS_NAME = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;

/**
 * Canary releases of a model served by a Lambda function, through a weighted alias.
 *
 * The first deploy creates the alias on the first version. Every later deploy that publishes a new
 * version starts a rollout: the canary gets a share of the alias's traffic step by step while
 * guard alarms scoped to that version watch it, and goes to 0 % the moment one fires.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
 */
export class LambdaModelCanary extends ModelCanaryBase {
  /**
   * The alias to invoke. Use it like a `lambda.Alias` (permissions, function URLs, event sources,
   * grants, metrics); references to it wait for the release resource that creates it.
   */
  public readonly alias: lambda.IAlias;
  public readonly aliasName: string;
  /** The version the alias served before this deploy (the stable side of a rollout), at deploy time. */
  public readonly stableVersion: string;

  constructor(scope: Construct, id: string, props: LambdaModelCanaryProps) {
    super(scope, id);
    const fn = requireFunction(props);
    const aliasName = props.aliasName ?? 'live';
    const canaryName = props.canaryName ?? defaultCanaryName(this);
    throwIfProblems(canaryLabel(this), [
      ...(Token.isUnresolved(aliasName) || ALIAS_NAME.test(aliasName)
        ? []
        : [`aliasName "${aliasName}" is not a valid alias name: use 1-128 letters, digits, - or _, not only digits`]),
      ...retainedVersionProblems(fn),
      ...optionProblems(props),
    ]);
    const fnKey = Token.isUnresolved(fn.functionName) ? fn.node.path : fn.functionName;
    registerCanary(this, {
      canaryName,
      targetKey: `lambda:${fnKey}:${aliasName}`,
      targetDescription: `alias "${aliasName}" of function ${fn.node.path}`,
    });
    this.node.addValidation({ validate: () => declaredAliasProblems(fn, aliasName, this.node.path) });
    warnOnAliasBypass(this, fn);

    // The runtime helper reads these: no hard-coded canary name in the model code.
    fn.addEnvironment(CANARY_NAME_ENV, canaryName);
    fn.addEnvironment(CANARY_STACK_ENV, Stack.of(this).stackName);
    const shared = sharedEnvironmentWarning(fn, { canaryName, stackName: Stack.of(this).stackName, path: this.node.path, aliasName });
    if (shared) Annotations.of(this).addWarningV2('cdk-model-canary:sharedModelFunction', shared);

    const version = fn.currentVersion;
    // CDK deletes a replaced version by default; the stable version must outlive the deploy of its canary.
    version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const binding = new LambdaAliasBinding(fn, aliasName, version);
    const rollout = this._buildRollout({ ...props, canaryName }, binding, version.version);

    this.aliasName = aliasName;
    // The alias name comes back from the release resource, so anything using the alias is created after it.
    this.alias = new CanaryAlias(this, 'Alias', {
      fn,
      version,
      aliasName,
      aliasNameAfterRelease: rollout.release.getAttString('TargetName'),
    });
    this.stableVersion = rollout.stableVersion;
  }

  /** lambda:InvokeFunction on the alias (what callers invoke), not on the function or a version. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.alias.grantInvoke(grantee);
  }
}

/** Plain-JavaScript callers get no type check: say which prop is wrong before anything reads it. */
function requireFunction(props: LambdaModelCanaryProps): lambda.Function {
  const fn = (props as { modelFunction?: unknown } | undefined)?.modelFunction;
  // Duck-typed, not instanceof: a second copy of aws-cdk-lib in node_modules is still a Function.
  const isFunction = fn instanceof lambda.Function || (typeof fn === 'object' && fn !== null && typeof (fn as lambda.Function).addEnvironment === 'function' && 'currentVersion' in fn);
  if (!isFunction) {
    const got = fn === undefined ? 'nothing' : fn === null ? 'null' : (fn as object).constructor?.name ?? typeof fn;
    throw new Error(
      `LambdaModelCanary: modelFunction must be a lambda.Function defined in this app (got ${got}). ` +
        'An imported function (Function.fromFunctionArn) or a version or alias cannot publish new versions: pass the lambda.Function (or NodejsFunction) itself.',
    );
  }
  return fn as lambda.Function;
}

/** The stable version must survive the deploy that publishes the canary. */
function retainedVersionProblems(fn: lambda.Function): string[] {
  const cfn = fn.currentVersion.node.defaultChild;
  if (cfn instanceof CfnResource && cfn.cfnOptions.deletionPolicy === CfnDeletionPolicy.DELETE) {
    return [
      'modelFunction has currentVersionOptions.removalPolicy DESTROY, so a deploy would delete the stable version while it still serves traffic: remove that option (the canary retains versions)',
    ];
  }
  return [];
}
