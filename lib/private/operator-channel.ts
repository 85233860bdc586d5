import { ArnFormat, CfnOutput, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { commandParameterName, descriptorParameterName, EMPTY_CHANNEL, PARAMETER_ROOT, type CanaryDescriptor } from '../../lambda/shared/operator';
import type { RolloutController } from './rollout-controller';

/** The operator's side of a canary: where the CLI finds it and where its commands arrive. */
export interface OperatorChannel {
  readonly commands: ssm.StringParameter;
  readonly descriptor: ssm.StringParameter;
}

/**
 * Two Standard (free) SSM parameters: the commands (the CLI writes, the check step reads) and the
 * descriptor the CLI's `list` and every command start from. CloudFormation writes the commands
 * parameter only when it is created: its value never changes in the template, so a deploy never
 * drops a command (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-parameter.html).
 */
export function addOperatorChannel(host: RolloutController): OperatorChannel {
  const stackName = Stack.of(host).stackName;
  const commands = new ssm.StringParameter(host, 'OperatorCommands', {
    parameterName: commandParameterName(stackName, host.canaryName),
    stringValue: JSON.stringify(EMPTY_CHANNEL),
    description: `cdk-model-canary ${host.canaryName}: operator commands (written by the cdk-model-canary CLI)`,
    tier: ssm.ParameterTier.STANDARD,
  });
  const descriptor = new ssm.StringParameter(host, 'OperatorDescriptor', {
    parameterName: descriptorParameterName(stackName, host.canaryName),
    stringValue: Stack.of(host).toJsonString({
      schema: 'cdk-model-canary/canary@1',
      canaryName: host.canaryName,
      stackName,
      stateMachineArn: host.stateMachine.stateMachineArn,
      topicArn: host.topic.topicArn,
      commandParameter: commands.parameterName,
      dashboardName: host.dashboardName,
    } satisfies Record<keyof CanaryDescriptor, unknown>),
    description: `cdk-model-canary ${host.canaryName}: what the cdk-model-canary CLI needs to find this canary`,
    tier: ssm.ParameterTier.STANDARD,
  });
  return { commands, descriptor };
}

/** The check step reads the commands; the fast path reads them for an abort. */
export function grantReadCommands(channel: OperatorChannel, fn: lambda.IFunction): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [channel.commands.parameterArn] }));
}

/**
 * `abort` within seconds: Parameter Store sends "Parameter Store Change" events to EventBridge
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-cwe.html); the
 * fast-path function reads the channel and sets the canary to 0 when the newest command is an abort.
 */
export function addAbortFastPath(host: RolloutController, channel: OperatorChannel, fastPath: lambda.IFunction, config: Record<string, unknown>): void {
  grantReadCommands(channel, fastPath);
  // Commands name the rollout they are for: the fast path finds the one in flight.
  fastPath.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [host.stateMachine.stateMachineArn] }));
  const rule = new events.Rule(host, 'OperatorCommandRule', {
    description: `cdk-model-canary ${host.canaryName}: an operator command arrived (abort acts at once)`,
    eventPattern: {
      source: ['aws.ssm'],
      detailType: ['Parameter Store Change'],
      detail: { name: [channel.commands.parameterName], operation: ['Update', 'Create'] },
    },
  });
  rule.addTarget(
    new eventsTargets.LambdaFunction(fastPath, {
      event: events.RuleTargetInput.fromObject({
        config: { ...config, commandParameter: channel.commands.parameterName, stateMachineArn: host.stateMachine.stateMachineArn },
        operator: { name: events.EventField.fromPath('$.detail.name'), operation: events.EventField.fromPath('$.detail.operation') },
      }),
      retryAttempts: 8,
    }),
  );
}

/** Stack outputs a person (or a pipeline) reads after `cdk deploy`. */
export function addOperatorOutputs(host: RolloutController, channel: OperatorChannel, dashboardUrl?: string): void {
  new CfnOutput(host, 'WorkflowArn', { value: host.stateMachine.stateMachineArn, description: `cdk-model-canary ${host.canaryName}: the rollout workflow` });
  new CfnOutput(host, 'AlertTopicArn', { value: host.topic.topicArn, description: `cdk-model-canary ${host.canaryName}: every alert` });
  new CfnOutput(host, 'OperatorParameter', { value: channel.descriptor.parameterName, description: `cdk-model-canary ${host.canaryName}: the CLI finds the canary here` });
  if (dashboardUrl) new CfnOutput(host, 'DashboardUrl', { value: dashboardUrl, description: `cdk-model-canary ${host.canaryName}: the rollout dashboard` });
}

/**
 * What the CLI needs, and no more: find canaries (the descriptors under /cdk-model-canary/), read
 * this canary's workflow, routing and guards, write its commands, start a retry.
 */
export function grantOperate(host: RolloutController, channel: OperatorChannel, grantee: iam.IGrantable): iam.Grant {
  const stack = Stack.of(host);
  const sm = host.stateMachine;
  const executions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${sm.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const root = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: PARAMETER_ROOT.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const grant = iam.Grant.addToPrincipal({
    grantee,
    actions: ['ssm:GetParametersByPath'],
    resourceArns: [root],
  });
  grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter'], resourceArns: [channel.descriptor.parameterArn] }));
  grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameter', 'ssm:PutParameter'], resourceArns: [channel.commands.parameterArn] }));
  grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeStateMachine', 'states:ListExecutions', 'states:StartExecution'], resourceArns: [sm.stateMachineArn] }));
  grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resourceArns: [executions] }));
  host.guards.grantRead(grantee);
  host.binding.grantReadRouting(grantee);
  return grant;
}
