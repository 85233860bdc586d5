import { ArnFormat, CfnOutput, Lazy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as iamGrant from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { commandParameterName, descriptorParameterName, EMPTY_CHANNEL, PARAMETER_ROOT, STANDARD_PARAMETER_MAX_CHARS, type CanaryDescriptor } from '../../lambda/shared/operator';
import type { WorkflowPlan } from './workflow-definition';
import type { CanaryHost } from './canary-host';
import { renderedLength } from './shared-rules';

/** The operator's side of a canary: where the CLI finds it and where its commands arrive. */
export interface OperatorChannel {
  readonly commands: ssm.StringParameter;
  readonly descriptor: ssm.StringParameter;
}

/**
 * Two Standard (free) SSM parameters: the commands (the CLI writes, the check step reads) and the
 * descriptor the CLI's `list`, every command and the stack's fast paths start from. CloudFormation
 * writes the commands parameter only when it is created: its value never changes in the template,
 * so a deploy never drops a command
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-parameter.html).
 */
export function addOperatorChannel(host: CanaryHost & { readonly plan: WorkflowPlan }): OperatorChannel {
  const stack = Stack.of(host);
  const stackName = stack.stackName;
  const commands = new ssm.StringParameter(host, 'OperatorCommands', {
    parameterName: commandParameterName(stackName, host.canaryName),
    stringValue: JSON.stringify(EMPTY_CHANNEL),
    description: `cdk-model-canary ${host.canaryName}: operator commands (written by the cdk-model-canary CLI)`,
    tier: ssm.ParameterTier.STANDARD,
  });
  const value = {
    schema: 'cdk-model-canary/canary@1',
    canaryName: host.canaryName,
    stackName,
    // Literal names where they are known: no dependency on the workflow, and a smaller size estimate.
    stateMachineArn: host.stateMachineArn,
    topicArn: host.topic.topicArn,
    commandParameter: commandParameterName(stackName, host.canaryName),
    dashboardName: host.dashboardName,
    target: host.plan.target,
    guardAlarmNames: Lazy.list({ produce: () => host.guards.allAlarmNames }),
    versionScopedAlarmNames: Lazy.list({ produce: () => host.guards.versionScopedAlarmNames }),
    postPromotionWatchSeconds: host.plan.postPromotionWatchSeconds,
  } satisfies Record<keyof CanaryDescriptor, unknown>;
  const descriptor = new ssm.StringParameter(host, 'OperatorDescriptor', {
    parameterName: descriptorParameterName(stackName, host.canaryName),
    stringValue: stack.toJsonString(value),
    description: `cdk-model-canary ${host.canaryName}: what the cdk-model-canary CLI and the stack's fast paths need to find this canary`,
    tier: ssm.ParameterTier.STANDARD,
  });
  descriptor.node.addValidation({
    validate: () => {
      // An alarm of this stack counts at its literal name; any other token at 255 characters, its largest size.
      const chars = renderedLength(host, value);
      return chars > STANDARD_PARAMETER_MAX_CHARS
        ? [`${host.node.scope?.node.path}: the canary's descriptor parameter would hold up to ${chars} characters, more than a Standard SSM parameter's ${STANDARD_PARAMETER_MAX_CHARS}: combine some Guard.fromAlarm alarms into one CloudWatch composite alarm, or give the canary a shorter name`]
        : [];
    },
  });
  return { commands, descriptor };
}

/** Stack outputs a person (or a pipeline) reads after `cdk deploy`. */
export function addOperatorOutputs(host: CanaryHost, channel: OperatorChannel, dashboardUrl?: string): void {
  new CfnOutput(host, 'WorkflowArn', { value: host.stateMachine!.stateMachineArn, description: `cdk-model-canary ${host.canaryName}: the rollout workflow` });
  new CfnOutput(host, 'AlertTopicArn', { value: host.topic.topicArn, description: `cdk-model-canary ${host.canaryName}: every alert` });
  new CfnOutput(host, 'OperatorParameter', { value: channel.descriptor.parameterName, description: `cdk-model-canary ${host.canaryName}: the CLI finds the canary here` });
  if (dashboardUrl) new CfnOutput(host, 'DashboardUrl', { value: dashboardUrl, description: `cdk-model-canary ${host.canaryName}: the rollout dashboard` });
}

/**
 * What the CLI needs, and no more: find canaries (the descriptors under /cdk-model-canary/), read
 * this canary's workflow, routing and guards, write its commands, start a retry.
 */
export function grantOperate(host: CanaryHost, channel: OperatorChannel, grantee: iam.IGrantable): iam.Grant {
  const stack = Stack.of(host);
  const sm = host.stateMachine!;
  const executions = host.shared.executionArns(host.stateMachineName);
  const root = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: PARAMETER_ROOT.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const grant = iamGrant.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParametersByPath'], resourceArns: [root] });
  grant.combine(iamGrant.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter'], resourceArns: [channel.descriptor.parameterArn] }));
  grant.combine(iamGrant.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter', 'ssm:PutParameter'], resourceArns: [channel.commands.parameterArn] }));
  grant.combine(iamGrant.Grant.addToPrincipal({ grantee, actions: ['states:DescribeStateMachine', 'states:ListExecutions', 'states:StartExecution'], resourceArns: [sm.stateMachineArn] }));
  grant.combine(iamGrant.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resourceArns: [executions] }));
  host.guards.grantRead(grantee);
  host.binding.grantReadRouting(grantee);
  return grant;
}
