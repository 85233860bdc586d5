import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type * as cr from 'aws-cdk-lib/custom-resources';

/**
 * cdk-nag's pack name. CDK reports plugin findings as `AwsSolutions::<rule id>`; acknowledging that
 * qualified id lets CDK match it, so validation-report.json lists each acknowledged finding with its
 * reason and where it was acknowledged (a bare id would make cdk-nag drop the finding silently).
 */
const NAG_NAMESPACE = 'AwsSolutions';

/** The stack's shared functions and roles (lib/private/stack-controller.ts). */
export interface SharedFunctions extends IConstruct {
  readonly steps: lambda.IFunction;
  readonly release: lambda.IFunction;
  readonly workflowRole: iam.IRole;
  readonly provider: cr.Provider;
}

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
export function acknowledgeSharedFindings(controller: SharedFunctions): void {
  const { steps, release, workflowRole, provider } = controller;
  acknowledge(steps.role!, 'AwsSolutions-IAM5[Resource::*]', 'cloudwatch:GetMetricData and cloudwatch:PutMetricData have no resource-level permissions (Service Authorization Reference: Resource types column is empty), so their only resource is "*"; PutMetricData is limited to the judge\'s namespace by the condition cloudwatch:namespace.');

  // The custom-resource provider's framework function invokes the release function (CDK's cr.Provider grant).
  const frameworkFn = (id: string) => provider.node.tryFindChild(id) as lambda.IFunction | undefined;
  for (const id of ['framework-onEvent', 'framework-isComplete']) {
    const fn = frameworkFn(id);
    if (fn?.role) acknowledge(fn.role, wildcard(controller, `${release.functionArn}:*`), 'Granted by aws-cdk-lib custom-resources Provider: lambda:InvokeFunction on the release function (it answers isComplete too) and its versions/aliases (":*"), one function only.');
  }
  // The framework's waiter (a state machine) calls its isComplete and timeout functions (CDK's grants).
  const waiterRole = provider.node.tryFindChild('waiter-state-machine')?.node.tryFindChild('Role');
  if (waiterRole) {
    for (const fn of [frameworkFn('framework-isComplete'), frameworkFn('framework-onTimeout')]) {
      if (fn) acknowledge(waiterRole, wildcard(controller, `${fn.functionArn}:*`), 'Granted by aws-cdk-lib custom-resources Provider: the waiter state machine invokes its own framework function and its versions/aliases (":*"), one function only.');
    }
    acknowledge(waiterRole, 'AwsSolutions-IAM5[Resource::*]', 'The provider framework\'s waiter state machine: log delivery (logs:*LogDelivery, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups, added by aws-cdk-lib) and X-Ray (xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets) have no resource-level permissions.');
  }

  // The workflows' shared role: task invocations, log delivery and X-Ray.
  acknowledge(workflowRole, 'AwsSolutions-IAM5[Resource::*]', 'Added by aws-cdk-lib StateMachine for logs (level ALL) and tracing: logs:*LogDelivery, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets have no resource-level permissions.');
  acknowledge(workflowRole, wildcard(controller, `${steps.functionArn}:*`), 'Granted by aws-cdk-lib LambdaInvoke: lambda:InvokeFunction on the stack\'s one steps function and its qualified ARNs (":*"), one function only.');
}

/** What a canary's own findings name: the shared functions, its target's wildcard grants, its workflow's executions. */
export interface CanaryFindings {
  readonly steps: lambda.IFunction;
  readonly release: lambda.IFunction;
  readonly wildcardGrants: readonly { readonly resource: string; readonly reason: string }[];
  /** The ARN pattern of the canary's workflow's executions. */
  readonly executions: string;
}

/** A canary's own wildcard grants on the shared roles: its executions, its target's, its topic key. */
export function acknowledgeCanaryFindings(canary: IConstruct, findings: CanaryFindings): void {
  const { steps, release, executions } = findings;
  for (const role of [steps.role!, release.role!]) {
    for (const grant of findings.wildcardGrants) {
      if (grantsResource(role, grant.resource)) acknowledge(role, wildcard(canary, grant.resource), grant.reason);
    }
  }
  acknowledge(release.role!, wildcard(canary, executions), 'states:StopExecution (and DescribeExecution with waitForVerdict) on executions of one canary\'s own workflow: execution names are generated per rollout, so they can only be named with a wildcard after "<state machine name>:".');
  if (grantsResource(steps.role!, executions)) {
    acknowledge(steps.role!, wildcard(canary, executions), 'states:DescribeExecution on executions of one canary\'s own workflow: the fast path reads the running rollout\'s release (its previous version) to send traffic back in the post-promotion watch; execution names are generated per rollout.');
  }
  // Publishing to a topic encrypted with the library's own key: aws-cdk-lib's Topic.grantPublish
  // adds kms:Decrypt and kms:GenerateDataKey* on that one key.
  for (const role of [steps.role!, release.role!]) {
    if (grantsAction(role, 'kms:GenerateDataKey*')) {
      acknowledge(role, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'Granted by aws-cdk-lib Topic.grantPublish on the alert topic\'s own KMS key (its ARN, not a wildcard): kms:GenerateDataKey* covers GenerateDataKey and GenerateDataKeyWithoutPlaintext, which SNS uses for the messages this function publishes.');
    }
  }
}

function wildcard(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenForNag(Stack.of(scope).resolve(resource))}]`;
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
