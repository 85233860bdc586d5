import { CfnDeletionPolicy, CfnResource, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ModelCanaryOptions } from './model-canary-options';
import { LambdaAliasBinding } from './private/lambda-alias-binding';
import { optionProblems, RolloutController } from './private/rollout-controller';
import { throwIfProblems } from './private/validation';

/** Properties of a {@link LambdaModelCanary}. */
export interface LambdaModelCanaryProps extends ModelCanaryOptions {
  /**
   * The function that serves the model. Every deploy that changes its code or configuration
   * publishes a new version (`currentVersion`), and that version is released as a canary.
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
export class LambdaModelCanary extends Construct {
  /** The alias to invoke; it depends on the release resource, so references wait for it to exist. */
  public readonly alias: lambda.IAlias;
  public readonly aliasName: string;
  /** Receives every alert. */
  public readonly topic: sns.ITopic;
  /** The rollout workflow. */
  public readonly stateMachine: sfn.IStateMachine;
  /** The library's guard alarms, scoped to the canary version. */
  public readonly guardAlarms: cloudwatch.IAlarm[];
  public readonly errorRateAlarm: cloudwatch.IAlarm;
  public readonly latencyP95Alarm: cloudwatch.IAlarm;
  public readonly errorRateVsStableAlarm: cloudwatch.IAlarm;
  public readonly latencyP95VsStableAlarm: cloudwatch.IAlarm;
  /** The version the alias served before this deploy (the stable side of a rollout), at deploy time. */
  public readonly stableVersion: string;

  constructor(scope: Construct, id: string, props: LambdaModelCanaryProps) {
    super(scope, id);
    const aliasName = props.aliasName ?? 'live';
    throwIfProblems('LambdaModelCanary', [
      ...(Token.isUnresolved(aliasName) || ALIAS_NAME.test(aliasName)
        ? []
        : [`aliasName "${aliasName}" is not a valid alias name: use 1-128 letters, digits, - or _, not only digits`]),
      ...retainedVersionProblems(props.modelFunction),
      ...optionProblems(props),
    ]);

    const version = props.modelFunction.currentVersion;
    // CDK deletes a replaced version by default; the stable version must outlive the deploy of its canary.
    version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const binding = new LambdaAliasBinding(props.modelFunction, aliasName, version);
    const controller = new RolloutController(this, 'Rollout', {
      options: props,
      binding,
      canaryVersion: version.version,
    });

    this.aliasName = aliasName;
    // The alias name comes back from the release resource, so anything using the alias is created after it.
    this.alias = lambda.Alias.fromAliasAttributes(this, 'Alias', {
      aliasName: controller.release.getAttString('TargetName'),
      aliasVersion: version,
    });
    this.topic = controller.topic;
    this.stateMachine = controller.stateMachine;
    this.stableVersion = controller.stableVersion;
    this.guardAlarms = controller.guards.ownAlarms;
    this.errorRateAlarm = controller.guards.errorRate;
    this.latencyP95Alarm = controller.guards.latencyP95;
    this.errorRateVsStableAlarm = controller.guards.errorRateVsStable;
    this.latencyP95VsStableAlarm = controller.guards.latencyP95VsStable;
  }
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
