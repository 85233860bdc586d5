import { Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { IModelCanary } from './model-canary';
import type { ModelCanaryOptions } from './model-canary-options';
import type { Guard } from './guards/guard';
import { warnAboutOptions } from './private/option-problems';
import { optionProblems, RolloutController } from './private/rollout-controller';
import { grantOperate } from './private/operator-channel';
import { SageMakerEndpointBinding } from './private/sagemaker-endpoint-binding';
import { defaultCanaryName, registerCanary } from './private/uniqueness';
import { canaryLabel, requireRange, throwIfProblems, withCanaryPath } from './private/validation';
import { CANARY_NAME_ENV, CANARY_STACK_ENV, DELIVERY_ENV, PUT_METRIC_DATA_DELIVERY, SIGNAL_NAMESPACE } from '../runtime/signal-names';

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
export class SageMakerModelCanary extends Construct implements IModelCanary {
  /** The canary's name: in alarm names, alerts and the model-signal `Canary` dimension. */
  public readonly canaryName: string;
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
   * {@link grantPutModelSignals} on the model's role.
   */
  public readonly modelEnvironment: { [key: string]: string };
  public readonly topic: sns.ITopic;
  public readonly stateMachine: sfn.IStateMachine;
  /** The variant (model name) that served before this deploy, at deploy time. */
  public readonly stableVariant: string;
  /** The CloudWatch namespace the guards read the model signals from. */
  public readonly signalsNamespace: string;
  private readonly binding: SageMakerEndpointBinding;
  /** The canary's CloudWatch dashboard (undefined with `dashboard: false`). */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The dashboard's console URL (undefined with `dashboard: false`); also the stack output `DashboardUrl`. */
  public readonly dashboardUrl?: string;
  /** The SSM parameter the `cdk-model-canary` CLI finds this canary by. */
  public readonly operatorParameterName: string;
  private readonly controller: RolloutController;

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
    const controller = withCanaryPath(this, () => new RolloutController(this, 'Rollout', {
      options: { ...props, canaryName },
      binding,
      canaryVersion: props.model.attrModelName,
    }));
    warnAboutOptions(this, props);
    this.binding = binding;
    this.canaryName = controller.canaryName;
    this.endpointName = controller.release.getAttString('TargetName');
    // Fn::Select over a list holding the release's attribute: the literal ARN, but CloudFormation
    // waits for the release resource (the endpoint exists) before anything that references it.
    this.endpointArn = Fn.select(0, [binding.endpointArn, this.endpointName]);
    this.signalsNamespace = props.signalsNamespace ?? SIGNAL_NAMESPACE;
    this.modelEnvironment = {
      [CANARY_NAME_ENV]: this.canaryName,
      [CANARY_STACK_ENV]: Stack.of(this).stackName,
      // AWS documents no EMF extraction from an endpoint's logs, so the container calls PutMetricData.
      [DELIVERY_ENV]: PUT_METRIC_DATA_DELIVERY,
    };
    this.topic = controller.topic;
    this.stateMachine = controller.stateMachine;
    this.stableVariant = controller.stableVersion;
    this.controller = controller;
    this.dashboard = controller.dashboard;
    this.dashboardUrl = controller.dashboardUrl;
    this.operatorParameterName = controller.channel.descriptor.parameterName;
  }

  /**
   * The library's guard alarms: each alarm guard's CloudWatch alarms and each judged guard's
   * evidence alarm (the alarms of `Guard.fromAlarm` are yours, not listed here).
   */
  public get guardAlarms(): cloudwatch.IAlarm[] {
    return this.controller.guards.ownAlarms;
  }

  /**
   * Adds a guard, like one more entry of `guards` (without `guards`, beside the default set).
   * Two guards of one name fail (each owns the alarm "<stack>-<canaryName>-<guardName>").
   */
  public addGuard(guard: Guard): void {
    withCanaryPath(this, () => this.controller.addGuard(guard));
  }

  /**
   * Lets `grantee` run the `cdk-model-canary` CLI on this canary: status, watch, history, and the
   * commands that steer a rollout (promote, abort, pause, resume, approve, retry).
   */
  public grantOperate(grantee: iam.IGrantable): iam.Grant {
    return grantOperate(this.controller, this.controller.channel, grantee);
  }

  /** The alarm of one of the library's guards, by guard name ("ErrorRate", "LatencyVsStable"...). */
  public guardAlarm(guardName: string): cloudwatch.IAlarm {
    const alarm = this.controller.guards.alarmOf(guardName);
    if (!alarm) {
      const names = this.controller.guards.ownAlarmNames.map((n) => n.slice(this.controller.guards.alarmNamePrefix.length));
      throw new Error(`${this.node.path}: no guard named "${guardName}" (this canary has ${names.join(', ') || 'none'})`);
    }
    return alarm;
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
