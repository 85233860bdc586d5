import { Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import { ModelCanaryBase } from '../../model-canary';
import type { ModelCanaryOptions } from '../../model-canary-options';
import { optionProblems } from '../../private/option-problems';
import { defaultCanaryName, registerCanary } from '../../private/uniqueness';
import { canaryLabel, requireRange, throwIfProblems } from '../../private/validation';
import { CANARY_NAME_ENV, CANARY_STACK_ENV, DELIVERY_ENV, PUT_METRIC_DATA_DELIVERY, SIGNAL_NAMESPACE } from '../../../runtime/signal-names';
import { SageMakerEndpointBinding } from './binding';

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
   * Instances per variant. While a release adds its canary variant, SageMaker runs the old fleet
   * (each variant it has) and the new one (stable and canary): three times this count at once, four
   * times when the last release left a variant at weight 0 (the old model after a promotion, the
   * canary after a rollback).
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
 * Capacity: adding the canary variant is an UpdateEndpoint, which deploys the new configuration to
 * a new fleet for every variant (the stable one too), shifts traffic, then deletes the old
 * instances. A release therefore needs instance quota for both fleets while it runs, and the
 * stable variant serves from new (cold) instances after it.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/model-ab-testing.html
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
 */
export class SageMakerModelCanary extends ModelCanaryBase {
  /** The endpoint's name. A reference to it waits until the release resource has created the endpoint. */
  public readonly endpointName: string;
  /**
   * The endpoint's ARN, as SageMaker reports it (the name in lower case). A reference to it waits
   * until the release resource has created the endpoint.
   */
  public readonly endpointArn: string;
  /**
   * Environment variables for the model's container, so the runtime helper (`ModelSignals`) finds
   * the canary and stack without hard-coded names. The canary does not set them on `model`:
   * changing a model's `Environment` replaces the model, which is a new release. Add them yourself,
   * in the deploy that releases your next model; they are plain strings, so
   * `model.addPropertyOverride('PrimaryContainer.Environment', canary.modelEnvironment)` after
   * creating the canary makes no reference cycle. The variant (version) a container serves is its
   * model name: give it to the helper as `version` (or `MODEL_CANARY_VERSION`). The delivery is
   * PutMetricData (`MODEL_CANARY_DELIVERY=put_metric_data`, Python helper), which needs
   * {@link grantPutModelSignals} on the model's role. Read it after adding guards: a guard may add a
   * variable (`Guard.fastErrorRate` adds `MODEL_CANARY_HIGH_RESOLUTION`).
   */
  public get modelEnvironment(): { [key: string]: string } {
    return { ...this.baseModelEnvironment, ...this.binding.signalsEnvironment };
  }

  private readonly baseModelEnvironment: { [key: string]: string };
  /** The variant (model name) that served before this deploy, at deploy time. */
  public readonly stableVariant: string;
  /** The CloudWatch namespace the guards read the model signals from. */
  public readonly signalsNamespace: string;
  private readonly binding: SageMakerEndpointBinding;

  constructor(scope: Construct, id: string, props: SageMakerModelCanaryProps) {
    super(scope, id);
    const endpointName =
      props.endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).replace(/[^a-zA-Z0-9-]/g, '-');
    const instanceCount = props.instanceCount ?? 1;
    throwIfProblems(canaryLabel(this), [
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
    const canaryName = props.canaryName ?? defaultCanaryName(this);
    // Before the controller: a clash is reported as such, not as a duplicate construct id.
    registerCanary(this, {
      canaryName,
      targetKey: endpointKey(this, endpointName),
      targetDescription: `endpoint ${endpointName}`,
    });
    const rollout = this._buildRollout({ ...props, canaryName }, binding, props.model.attrModelName);
    this.binding = binding;
    this.endpointName = rollout.release.getAttString('TargetName');
    // Fn::Select over a list holding the release's attribute: the literal ARN, but CloudFormation
    // waits for the release resource (the endpoint exists) before anything that references it.
    this.endpointArn = Fn.select(0, [binding.endpointArn, this.endpointName]);
    this.signalsNamespace = props.signalsNamespace ?? SIGNAL_NAMESPACE;
    this.baseModelEnvironment = {
      [CANARY_NAME_ENV]: rollout.canaryName,
      [CANARY_STACK_ENV]: Stack.of(this).stackName,
      // AWS documents no EMF extraction from an endpoint's logs, so the container calls PutMetricData.
      [DELIVERY_ENV]: PUT_METRIC_DATA_DELIVERY,
    };
    this.stableVariant = rollout.stableVersion;
  }

  /**
   * Lets `grantee` send requests to the endpoint: `sagemaker:InvokeEndpoint` on this endpoint only.
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.binding.grantInvoke(grantee);
  }

  /**
   * Lets `grantee` (the model's execution role) send the model signals: `cloudwatch:PutMetricData`
   * into the signals namespace only. PutMetricData has no resource-level permissions, so the
   * resource is `*` and the condition key `cloudwatch:namespace` does the limiting.
   * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
   */
  public grantPutModelSignals(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudwatch:PutMetricData'],
      resourceArns: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': this.signalsNamespace } },
    });
  }
}

/**
 * The endpoint's identity for the synth-time clash check: names are unique per account and Region
 * and case-insensitive in CreateEndpoint, so "Summarizer" and "summarizer" are one endpoint.
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html
 */
function endpointKey(scope: Construct, endpointName: string): string {
  const { account, region } = Stack.of(scope);
  const env = Token.isUnresolved(account) || Token.isUnresolved(region) ? '' : `${account}/${region}/`;
  const name = Token.isUnresolved(endpointName) ? endpointName : endpointName.toLowerCase();
  return `sagemaker:endpoint:${env}${name}`;
}
