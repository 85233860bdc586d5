/**
 * A CloudFormation stack update, as the resources of a canary meet it: the resources the new
 * template adds are created and the kept ones updated (the deploy of sim/world/deploy.ts, against
 * the new template), then, in the cleanup phase, the ones it removed are deleted, dependents first
 * ("CloudFormation ... deletes the old resources during the UPDATE_COMPLETE_CLEANUP_IN_PROGRESS
 * phase": https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).
 * A removed custom resource gets its Delete from the function of its own ServiceToken (the old
 * code, for a template of an earlier layout); a kept one whose ServiceToken changed fails the
 * update (sim/world/deploy.ts).
 */
import type { CfnResource, CfnTemplate } from '../aws/cloudformation/template';
import { assertNoCircularDependency, dependenciesOf } from '../aws/cloudformation/template-dependencies';
import type { CloudWatchSim } from '../aws/cloudwatch/cloudwatch';
import type { EventBridgeSim } from '../aws/eventbridge/eventbridge';
import type { LambdaSim } from '../aws/lambda/lambda';
import type { SnsSim } from '../aws/sns/sns';
import type { StepFunctionsSim } from '../aws/stepfunctions/stepfunctions';
import type { Deployer } from './deploy';
import { isCustomResource, type StackResources } from './stack-resources';

export interface StackState {
  readonly template: CfnTemplate;
  readonly resources: StackResources;
  readonly deployer: Deployer;
}

export interface StackUpdateDeps {
  readonly lambda: LambdaSim;
  readonly sfn: StepFunctionsSim;
  readonly events: EventBridgeSim;
  readonly cloudwatch: CloudWatchSim;
  readonly sns: SnsSim;
  /** The stack's resources for a template, with the state of the ones it keeps carried over. */
  build(template: CfnTemplate, previous: StackResources): StackState;
  /** The world runs on the new template from now on (its traffic, its deploys). */
  adopt(state: StackState): void;
  advance(ms: number): Promise<void>;
  /** Between the update's last resource and the cleanup phase. */
  readonly cleanupDelayMs: number;
}

/** The kept resources' state moves to the new template's resources (same logical id, same physical resource). */
export function carryOver(previous: StackResources, next: StackResources, previousTemplate: CfnTemplate, nextTemplate: CfnTemplate): void {
  const kept = (id: string) => previousTemplate.Resources[id] !== undefined && nextTemplate.Resources[id] !== undefined;
  for (const [id, fn] of previous.functionsByLogicalId) if (kept(id)) next.functionsByLogicalId.set(id, fn);
  for (const [id, v] of previous.versionsByLogicalId) if (kept(id)) next.versionsByLogicalId.set(id, v);
  for (const [id, v] of previous.modelNamesByLogicalId) if (kept(id)) next.modelNamesByLogicalId.set(id, v);
  for (const [id, v] of previous.customResources) if (kept(id)) next.customResources.set(id, v);
  for (const [id, v] of previous.appConfigIdsByLogicalId) if (kept(id)) next.appConfigIdsByLogicalId.set(id, v);
  next.previousParameterValue = (id) => {
    const r = previousTemplate.Resources[id];
    if (!r) return undefined;
    try {
      return previous.resolver.resolve<Record<string, unknown>>(r.Properties ?? {}).Value;
    } catch {
      return undefined;
    }
  };
}

/**
 * Updates the stack from `current` to `template` (the deploy the caller gives); the cleanup runs
 * `cleanupDelayMs` after the update's resources are done. Returns the deploy's result.
 */
export async function updateStack<T>(d: StackUpdateDeps & { deploy(state: StackState): Promise<T> }, current: StackState, template: CfnTemplate): Promise<T> {
  assertNoCircularDependency(template);
  const next = d.build(template, current.resources);
  d.adopt(next);
  const result = await d.deploy(next);
  await d.advance(d.cleanupDelayMs);
  const removed = Object.keys(current.template.Resources).filter((id) => template.Resources[id] === undefined || replaced(current, next, id));
  for (const id of deletionOrder(current.template, removed)) {
    await deleteResource(d, current, id, current.template.Resources[id]);
  }
  return result;
}

/**
 * A kept resource whose physical name changed was replaced (a name is a replacement property):
 * CloudFormation created the new one during the update and deletes the old one in the cleanup.
 * The simulator tells it by name for the resources it keys by name.
 */
function replaced(current: StackState, next: StackState, id: string): boolean {
  const before = current.template.Resources[id];
  const after = next.template.Resources[id];
  if (!before || !after || before.Type !== after.Type) return false;
  if (before.Type === 'AWS::StepFunctions::StateMachine') return current.resources.stateMachineName(id, before) !== next.resources.stateMachineName(id, after);
  return false;
}

/** Dependents before what they depend on (CloudFormation deletes in reverse dependency order). */
export function deletionOrder(template: CfnTemplate, ids: readonly string[]): string[] {
  const deps = dependenciesOf(template);
  const wanted = new Set(ids);
  const order: string[] = [];
  const done = new Set<string>();
  // A resource may go once every removed resource that depends on it is gone.
  const dependents = (id: string) => ids.filter((other) => deps.get(other)?.has(id));
  const visit = (id: string): void => {
    if (done.has(id)) return;
    done.add(id);
    for (const dep of dependents(id)) if (wanted.has(dep)) visit(dep);
    order.push(id);
  };
  for (const id of ids) visit(id);
  return order;
}

async function deleteResource(d: StackUpdateDeps, current: StackState, id: string, resource: CfnResource): Promise<void> {
  const r = current.resources;
  if (isCustomResource(resource)) {
    await current.deployer.deleteCustomResource(id, resource);
    return;
  }
  switch (resource.Type) {
    case 'AWS::Events::Rule':
      d.events.rules.delete(r.physicalName(id));
      return;
    case 'AWS::StepFunctions::StateMachine':
      d.sfn.deleteStateMachine(r.stateMachineName(id, resource));
      return;
    case 'AWS::Lambda::Function': {
      const fn = r.functionsByLogicalId.get(id);
      if (fn) d.lambda.deleteFunction(fn.name);
      return;
    }
    case 'AWS::SNS::Topic':
      d.sns.topics.delete(r.resolver.resolve<string>({ Ref: id }));
      return;
    case 'AWS::CloudWatch::Alarm': {
      const name = resource.Properties?.AlarmName;
      d.cloudwatch.alarms.delete(typeof name === 'string' ? name : r.physicalName(id));
      return;
    }
    default:
      // Roles, policies, log groups, permissions, keys: nothing the simulation runs reads them.
      return;
  }
}
