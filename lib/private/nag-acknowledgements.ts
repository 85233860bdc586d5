import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { RolloutController } from './rollout-controller';

/**
 * cdk-nag's pack name. CDK reports plugin findings as `AwsSolutions::<rule id>`; acknowledging that
 * qualified id lets CDK match it, so validation-report.json lists each acknowledged finding with its
 * reason and where it was acknowledged (a bare id would make cdk-nag drop the finding silently).
 */
const NAG_NAMESPACE = 'AwsSolutions';

/** The workflow steps the state machine invokes (the release and on-alarm functions are not its tasks). */
const WORKFLOW_HANDLERS = ['start', 'pre-traffic', 'set-weight', 'check', 'promote', 'watch', 'rollback', 'rollback-failed'];

/**
 * cdk-nag (AwsSolutions) findings that are deliberate, acknowledged next to the resource with the
 * exact finding id and a reason a reviewer can check. Uses aws-cdk-lib's `Validations`, so the
 * library does not depend on cdk-nag at run time.
 *
 * Every id is exact, granular suffix included (`AwsSolutions-IAM5[Resource::...]`): a new wildcard
 * added later is a new finding and fails the review (test/nag.test.ts) until someone looks at it.
 * Resources in the suffixes are rendered the way cdk-nag renders them (`<LogicalId.Attr>`,
 * `<AWS::Region>`), from the same tokens the policies use.
 */
export function acknowledgeFindings(controller: RolloutController): void {
  const stack = Stack.of(controller);
  const wildcardResource = (resource: string) => `AwsSolutions-IAM5[Resource::${flattenForNag(stack.resolve(resource))}]`;

  // Wildcards of the target binding, on the roles that prepare and manage the routing (where granted).
  for (const name of ['start', 'release']) {
    const role = controller.handlers[name]?.role;
    for (const grant of role ? controller.binding.wildcardGrants.filter((g) => !g.roles || g.roles.includes(name)) : []) {
      if (grantsResource(role!, grant.resource)) acknowledge(role!, wildcardResource(grant.resource), grant.reason);
    }
  }

  // Publishing to the topic encrypted with the library's own key: aws-cdk-lib's Topic.grantPublish
  // adds kms:Decrypt and kms:GenerateDataKey* on that one key.
  if (controller.node.tryFindChild('AlertsKey')) {
    for (const fn of Object.values(controller.handlers)) {
      if (fn.role && grantsAction(fn.role, 'kms:GenerateDataKey*')) {
        acknowledge(fn.role, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'Granted by aws-cdk-lib Topic.grantPublish on the alert topic\'s own KMS key (its ARN, not a wildcard): kms:GenerateDataKey* covers GenerateDataKey and GenerateDataKeyWithoutPlaintext, which SNS uses for the messages this function publishes.');
      }
    }
  }

  // The check step and the post-promotion watch run the judge: they read per-minute aggregates and publish its evidence.
  for (const judge of ['check', 'watch']) {
    const role = controller.handlers[judge]?.role;
    if (!role) continue;
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', 'cloudwatch:GetMetricData and cloudwatch:PutMetricData have no resource-level permissions (Service Authorization Reference: Resource types column is empty), so their only resource is "*"; PutMetricData is limited to the judge\'s namespace by the condition cloudwatch:namespace.');
  }

  // The release step stops the running rollout of its own state machine when a newer release supersedes it.
  const release = controller.handlers['release'];
  if (release?.role) {
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${controller.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    acknowledge(release.role, wildcardResource(executions), 'states:StopExecution on executions of this one state machine: execution names are generated per rollout, so they can only be named with a wildcard after "<state machine name>:".');
    // In the post-promotion watch the fast path reads the running execution's release.
    const fastPath = controller.handlers['on-alarm'];
    if (fastPath?.role && grantsAction(fastPath.role, 'states:DescribeExecution')) {
      acknowledge(fastPath.role, wildcardResource(executions), 'states:DescribeExecution on executions of this one state machine: the fast path reads the running rollout\'s release (its previous version) to send traffic back in the post-promotion watch; execution names are generated per rollout.');
    }
  }

  // The custom-resource provider's framework function invokes the release step (CDK's cr.Provider grant).
  const providerFunction = controller.node.tryFindChild('ReleaseProvider')?.node.tryFindChild('framework-onEvent') as lambda.IFunction | undefined;
  if (release && providerFunction?.role) {
    acknowledge(providerFunction.role, wildcardResource(`${release.functionArn}:*`), 'Granted by aws-cdk-lib custom-resources Provider: lambda:InvokeFunction on the release step function and its versions/aliases (":*"), one function only.');
  }

  // With isCompleteHandler, the framework's waiter (a state machine) calls its isComplete and
  // timeout functions, and the isComplete function invokes the release step (CDK's grants).
  const provider = controller.node.tryFindChild('ReleaseProvider');
  const frameworkFn = (id: string) => provider?.node.tryFindChild(id) as lambda.IFunction | undefined;
  const isCompleteFn = frameworkFn('framework-isComplete');
  if (release && isCompleteFn?.role) {
    acknowledge(isCompleteFn.role, wildcardResource(`${release.functionArn}:*`), 'Granted by aws-cdk-lib custom-resources Provider: lambda:InvokeFunction on the release step function (it answers isComplete too) and its versions/aliases (":*"), one function only.');
  }
  const waiter = provider?.node.tryFindChild('waiter-state-machine');
  if (waiter) {
    const waiterRole = waiter.node.tryFindChild('Role');
    for (const fn of [isCompleteFn, frameworkFn('framework-onTimeout')]) {
      if (waiterRole && fn) {
        acknowledge(waiterRole, wildcardResource(`${fn.functionArn}:*`), 'Granted by aws-cdk-lib custom-resources Provider: the waiter state machine invokes its own framework function and its versions/aliases (":*"), one function only.');
      }
    }
    if (waiterRole) {
      acknowledge(waiterRole, 'AwsSolutions-IAM5[Resource::*]', 'The provider framework\'s waiter state machine: log delivery (logs:*LogDelivery, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups, added by aws-cdk-lib) and X-Ray (xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets) have no resource-level permissions.');
    }
  }

  // The state machine's role: task invocations, log delivery and X-Ray.
  const workflowRole = controller.stateMachine.role;
  acknowledge(workflowRole, 'AwsSolutions-IAM5[Resource::*]', 'Added by aws-cdk-lib StateMachine for logs (level ALL) and tracing: logs:*LogDelivery, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets have no resource-level permissions.');
  for (const name of WORKFLOW_HANDLERS) {
    const fn = controller.handlers[name];
    if (fn) {
      acknowledge(workflowRole, wildcardResource(`${fn.functionArn}:*`), `Granted by aws-cdk-lib LambdaInvoke: lambda:InvokeFunction on the workflow's own "${name}" step function and its qualified ARNs (":*"), one function only.`);
    }
  }
}

/** The role's resolved policy documents, as JSON. */
function policyJson(role: iam.IRole): string {
  const stack = Stack.of(role);
  return role.node
    .findAll()
    .filter((c): c is iam.Policy => c instanceof iam.Policy)
    .map((p) => JSON.stringify(stack.resolve(p.document)))
    .join('\n');
}

function grantsResource(role: iam.IRole, resource: string): boolean {
  return policyJson(role).includes(JSON.stringify(Stack.of(role).resolve(resource)));
}

function grantsAction(role: iam.IRole, action: string): boolean {
  return policyJson(role).includes(JSON.stringify(action));
}

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${NAG_NAMESPACE}::${id}`, reason });
}

/** Renders a resolved CloudFormation value the way cdk-nag writes it in a finding id. */
function flattenForNag(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flattenForNag).join(delimiter);
    }
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [logicalId, attribute] = o['Fn::GetAtt'] as [string, string];
      return `<${logicalId}.${attribute}>`;
    }
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
  }
  return JSON.stringify(value);
}
