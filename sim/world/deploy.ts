/**
 * A CloudFormation deploy of the stack, as far as the rollout sees it: the model's new version (or
 * SageMaker model), the state machines, the release custom resource (the real release handler,
 * with the provider framework's waiter when it has one), then, after `cfnDependentsDelaySeconds`,
 * the alarms, composite alarms and rules that depend on the release.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { BedrockGuardrailsSim } from '../aws/bedrock/bedrock';
import type { VirtualClock } from '../aws/core/clock';
import type { CloudWatchSim } from '../aws/cloudwatch/cloudwatch';
import type { AlarmDefinition } from '../aws/cloudwatch/alarm-types';
import type { CompositeAlarmDefinition, CompositeAlarmSim } from '../aws/cloudwatch/composite-alarms';
import type { EventBridgeSim, RuleDefinition } from '../aws/eventbridge/eventbridge';
import type { HandlerInvoker } from './handler-invoker';
import { preloadSteps } from './handlers';
import type { FunctionRecord, LambdaSim } from '../aws/lambda/lambda';
import type { SimTarget } from '../targets';
import { isCompleteRequest, isProviderWaiter, playWaiter, waiterPolicy } from '../aws/cloudformation/provider-framework';
import type { Random } from '../aws/core/random';
import type { StackResources } from './stack-resources';
import type { StepFunctionsSim } from '../aws/stepfunctions/stepfunctions';
import { ACCOUNT, PARTITION, REGION } from '../aws/core/account';
import { type CfnResource, type CfnTemplate, resourcesOfType } from '../aws/cloudformation/template';
import { VERDICT_RESOURCE_TYPE } from '../../lambda/shared/types';
import { DeployError, type DeployResult, type SimWorldOptions } from './world-types';

export interface DeployerDeps {
  readonly options: SimWorldOptions;
  readonly template: CfnTemplate;
  readonly stackName: string;
  readonly resources: StackResources;
  readonly clock: VirtualClock;
  readonly random: Random;
  readonly lambda: LambdaSim;
  readonly sfn: StepFunctionsSim;
  readonly cloudwatch: CloudWatchSim;
  readonly compositeAlarms: CompositeAlarmSim;
  readonly events: EventBridgeSim;
  readonly bedrock: BedrockGuardrailsSim;
  readonly invoker: HandlerInvoker;
  /** The simulated canary's routing (sim/targets/<kind>.ts), as the world has it when the deploy runs. */
  readonly target: () => SimTarget;
}

export class Deployer {
  constructor(private readonly d: DeployerDeps) {}

  /**
   * One CloudFormation deploy of the stack with the model function at `version` (for a SageMaker
   * canary: the model named `version`, which CloudFormation creates): publishes the
   * version, updates the state machine, sends Create/Update to the release custom resource (the
   * real release handler; it may start a rollout), then, after `cfnDependentsDelaySeconds` of
   * virtual time, updates the resources that depend on the release (the guard alarms).
   */
  public async deploy(version: string): Promise<DeployResult> {
    await preloadSteps(this.d.resources.model.kind);
    const before = new Set(this.d.sfn.executions.keys());
    this.d.bedrock.deployed(version);
    // The kind's part of the deploy: Lambda publishes the version, CloudFormation creates the SageMaker model.
    this.d.target().deploy?.(version);
    for (const [logicalId, resource] of resourcesOfType(this.d.template, 'AWS::StepFunctions::StateMachine')) {
      // The provider framework's waiter is played by awaitComplete, not run as a state machine.
      if (this.d.resources.belongsToOtherCanary(resource) || isProviderWaiter(resource)) continue;
      const props = this.d.resources.resolver.resolve<Record<string, unknown>>(resource.Properties ?? {});
      const definition = JSON.parse(String(props.DefinitionString)) as StateMachineDefinition;
      this.d.sfn.putStateMachine(this.d.resources.stateMachineName(logicalId, resource), definition);
    }
    let requestType: DeployResult['requestType'];
    let action: string | undefined;
    const outcome = await this.applyCustomResource(this.d.resources.model.releaseLogicalId, this.d.template.Resources[this.d.resources.model.releaseLogicalId]);
    if (outcome) {
      requestType = outcome.requestType;
      action = outcome.action;
    }
    await this.d.clock.advance((this.d.options.cfnDependentsDelaySeconds ?? 10) * 1000);
    for (const [logicalId, resource] of resourcesOfType(this.d.template, 'AWS::CloudWatch::Alarm')) {
      if (this.d.resources.belongsToOtherCanary(resource)) continue;
      const props = this.d.resources.resolver.resolve<AlarmDefinition>(resource.Properties ?? {});
      // Without an AlarmName, CloudFormation generates one (a user's alarm often has none):
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html#cfn-cloudwatch-alarm-alarmname
      this.d.cloudwatch.putMetricAlarm({ ...props, AlarmName: props.AlarmName ?? this.d.resources.physicalName(logicalId) });
    }
    for (const [logicalId, resource] of resourcesOfType(this.d.template, 'AWS::CloudWatch::CompositeAlarm')) {
      if (this.d.resources.belongsToOtherCanary(resource)) continue;
      const props = this.d.resources.resolver.resolve<Partial<CompositeAlarmDefinition>>(resource.Properties ?? {});
      this.d.compositeAlarms.put({ ...props, AlarmName: props.AlarmName ?? this.d.resources.physicalName(logicalId), AlarmRule: String(props.AlarmRule) });
    }
    for (const [logicalId, resource] of resourcesOfType(this.d.template, 'AWS::Events::Rule')) {
      if (this.d.resources.belongsToOtherCanary(resource)) continue;
      const props = this.d.resources.resolver.resolve<Omit<RuleDefinition, 'name'> & { Name?: string }>(resource.Properties ?? {});
      this.d.events.putRule({ ...props, name: props.Name ?? this.d.resources.physicalName(logicalId) });
    }
    const started = [...this.d.sfn.executions.keys()].filter((arn) => !before.has(arn));
    // waitForVerdict: CloudFormation updates the verdict resource after the alarms it depends on,
    // and the deploy waits for its isComplete (the rollout's end); a failure fails the deploy.
    for (const [logicalId, resource] of Object.entries(this.d.template.Resources)) {
      if (resource.Type !== VERDICT_RESOURCE_TYPE || this.d.resources.belongsToOtherCanary(resource)) continue;
      await this.applyCustomResource(logicalId, resource);
    }
    return { version, requestType, action, executionArn: started[started.length - 1] };
  }

  private async applyCustomResource(
    logicalId: string,
    resource: CfnResource,
  ): Promise<{ requestType: 'Create' | 'Update'; action?: string } | undefined> {
    const raw = this.d.resources.resolver.resolve<Record<string, unknown>>(resource.Properties ?? {});
    // CloudFormation hands custom resources every scalar property as a string.
    const properties = stringifyScalars(raw) as Record<string, unknown>;
    const existing = this.d.resources.customResources.get(logicalId);
    if (existing && JSON.stringify(existing.properties) === JSON.stringify(properties)) return undefined;
    // "ServiceToken ... Updates aren't supported" (AWS::CloudFormation::CustomResource):
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html
    if (existing && existing.properties.ServiceToken !== properties.ServiceToken) {
      throw new DeployError(`CloudFormation Update of ${logicalId} failed: Modifying service token is not allowed.`);
    }
    const releaseFn = this.releaseFunction(resource);
    const requestType = existing ? 'Update' : 'Create';
    const event = {
      RequestType: requestType,
      ServiceToken: properties.ServiceToken,
      ResponseURL: 'https://cloudformation-custom-resource-response.sim/',
      StackId: `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${this.d.stackName}/sim`,
      RequestId: this.d.random.uuid(),
      LogicalResourceId: logicalId,
      ResourceType: resource.Type,
      ResourceProperties: properties,
      ...(existing ? { PhysicalResourceId: existing.physicalId, OldResourceProperties: existing.properties } : {}),
    };
    const invocation = await this.d.clock.drive(this.d.invoker.invokeHandler(releaseFn, event, false));
    if (invocation.error) {
      throw new DeployError(
        `CloudFormation ${requestType} of ${logicalId} failed: ${invocation.error.errorType}: ${invocation.error.errorMessage}`,
        invocation.error,
      );
    }
    const out = (invocation.result ?? {}) as { PhysicalResourceId?: string; Data?: Record<string, unknown> };
    await this.awaitComplete(logicalId, requestType, releaseFn, resource, isCompleteRequest(event, out));
    this.d.resources.customResources.set(logicalId, {
      physicalId: out.PhysicalResourceId ?? existing?.physicalId ?? event.RequestId,
      data: out.Data ?? {},
      properties,
    });
    return { requestType, action: out.Data?.Action as string | undefined };
  }

  /**
   * CloudFormation deleting a custom resource the updated template no longer has (the cleanup of a
   * stack update): Delete with its last properties, to the function of its own ServiceToken.
   */
  public async deleteCustomResource(logicalId: string, resource: CfnResource): Promise<void> {
    const existing = this.d.resources.customResources.get(logicalId);
    if (!existing) return;
    const event = {
      RequestType: 'Delete',
      ServiceToken: existing.properties.ServiceToken,
      ResponseURL: 'https://cloudformation-custom-resource-response.sim/',
      StackId: `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${this.d.stackName}/sim`,
      RequestId: this.d.random.uuid(),
      LogicalResourceId: logicalId,
      ResourceType: resource.Type,
      PhysicalResourceId: existing.physicalId,
      ResourceProperties: existing.properties,
    };
    const fn = this.releaseFunction(resource);
    const invocation = await this.d.clock.drive(this.d.invoker.invokeHandler(fn, event, false));
    if (invocation.error) throw new DeployError(`CloudFormation Delete of ${logicalId} failed: ${invocation.error.errorType}: ${invocation.error.errorMessage}`, invocation.error);
    const out = (invocation.result ?? {}) as Record<string, unknown>;
    await this.awaitComplete(logicalId, 'Delete', fn, resource, isCompleteRequest(event, out));
    this.d.resources.customResources.delete(logicalId);
  }

  /** The function behind a custom resource's ServiceToken (the release function of its provider). */
  private releaseFunction(resource: CfnResource): FunctionRecord {
    const fn = this.d.resources.functionForServiceToken(resource.Properties?.ServiceToken) ?? [...this.d.lambda.functions.values()].find((f) => f.handlerName === 'release');
    if (!fn) throw new Error(`No function of the stack serves the custom resources (cdk-model-canary: release)`);
    return fn;
  }

  /** The provider framework's waiter, when the release resource's provider has one (sim/aws/cloudformation/provider-framework.ts). */
  private async awaitComplete(logicalId: string, requestType: string, fn: FunctionRecord, resource: CfnResource, event: Record<string, unknown>): Promise<void> {
    const policy = waiterPolicy(this.d.template, resource.Properties?.ServiceToken);
    if (!policy) return;
    const failure = await playWaiter(policy, () => this.d.clock.drive(this.d.invoker.invokeHandler(fn, event, false)), (ms) => this.d.clock.advance(ms));
    if (failure) throw new DeployError(`CloudFormation ${requestType} of ${logicalId} failed: ${failure.message}`, failure.error);
  }
}

function stringifyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyScalars(v)]));
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
