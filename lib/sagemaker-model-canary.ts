import { Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ModelCanaryOptions } from './model-canary-options';
import { optionProblems, RolloutController } from './private/rollout-controller';
import { SageMakerEndpointBinding } from './private/sagemaker-endpoint-binding';
import { requireRange, throwIfProblems } from './private/validation';

/** Properties of a {@link SageMakerModelCanary}. */
export interface SageMakerModelCanaryProps extends ModelCanaryOptions {
  /**
   * The model to serve. A deploy that replaces it (new image, new model data) releases the new
   * model as a canary. Its name becomes the variant name; old models are retained so the stable
   * variant can always be recreated.
   */
  readonly model: sagemaker.CfnModel;

  /**
   * Instance type of every variant.
   * @see https://aws.amazon.com/sagemaker/pricing/
   */
  readonly instanceType: string;

  /**
   * Instances per variant.
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * The endpoint's name. The canary owns the endpoint: do not declare it elsewhere.
   * @default - derived from the stack and construct names
   */
  readonly endpointName?: string;
}

const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * Canary releases of a model served by a SageMaker real-time endpoint, through two production
 * variants (stable and canary) whose weights the rollout moves.
 *
 * The first deploy creates the endpoint with the model as its only variant. A later deploy with a
 * new model adds it as a second variant at weight 0 (the endpoint keeps serving), then the rollout
 * moves weight to it step by step, waiting for InService before every change.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/model-ab-testing.html
 */
export class SageMakerModelCanary extends Construct {
  public readonly endpointName: string;
  public readonly topic: sns.ITopic;
  public readonly stateMachine: sfn.IStateMachine;
  public readonly guardAlarms: cloudwatch.IAlarm[];
  public readonly errorRateAlarm: cloudwatch.IAlarm;
  public readonly latencyP95Alarm: cloudwatch.IAlarm;
  public readonly errorRateVsStableAlarm: cloudwatch.IAlarm;
  public readonly latencyP95VsStableAlarm: cloudwatch.IAlarm;
  /** The variant (model name) that served before this deploy, at deploy time. */
  public readonly stableVariant: string;

  constructor(scope: Construct, id: string, props: SageMakerModelCanaryProps) {
    super(scope, id);
    const endpointName =
      props.endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).replace(/[^a-zA-Z0-9-]/g, '-');
    const instanceCount = props.instanceCount ?? 1;
    throwIfProblems('SageMakerModelCanary', [
      ...(Token.isUnresolved(endpointName) || (ENDPOINT_NAME.test(endpointName) && endpointName.length <= 63)
        ? []
        : [`endpointName "${endpointName}" is not a valid endpoint name: use 1-63 letters, digits and hyphens, starting and ending with a letter or digit`]),
      ...(Token.isUnresolved(props.instanceType) || /^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(props.instanceType)
        ? []
        : [`instanceType "${props.instanceType}" is not a SageMaker instance type: give one like "ml.m5.large"`]),
      ...requireRange('instanceCount', instanceCount, 1, 1000, 'give a whole number of instances, at least 1'),
      ...(Number.isInteger(instanceCount) ? [] : [`instanceCount is ${instanceCount}: give a whole number`]),
      ...optionProblems(props),
    ]);

    // CloudFormation deletes a replaced model; the stable variant still needs it.
    props.model.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const binding = new SageMakerEndpointBinding(this, endpointName, props.instanceType, instanceCount);
    const controller = new RolloutController(this, 'Rollout', {
      options: props,
      binding,
      canaryVersion: props.model.attrModelName,
    });
    this.endpointName = controller.release.getAttString('TargetName');
    this.topic = controller.topic;
    this.stateMachine = controller.stateMachine;
    this.stableVariant = controller.stableVersion;
    this.guardAlarms = controller.guards.ownAlarms;
    this.errorRateAlarm = controller.guards.errorRate;
    this.latencyP95Alarm = controller.guards.latencyP95;
    this.errorRateVsStableAlarm = controller.guards.errorRateVsStable;
    this.latencyP95VsStableAlarm = controller.guards.latencyP95VsStable;
  }
}
