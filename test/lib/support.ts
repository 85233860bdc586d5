import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { LambdaModelCanary, type LambdaModelCanaryProps } from '../../lib';
import type { CanaryRollout } from '../../lib/private/canary-rollout';
import { STACK_CONTROLLER_ID, type StackController } from '../../lib/private/stack-controller';
import type { StepName } from '../../lambda/shared/steps';

export const STACK_NAME = 'CanaryTestStack';

/** The model function every test canary releases. */
export function modelFunction(stack: Stack, id = 'Model', props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
    ...props,
  });
}

export function newStack(): Stack {
  // No asset bundling in tests (the handlers are prebuilt bundles anyway).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, STACK_NAME);
}

export interface SynthesizedCanary {
  readonly stack: Stack;
  readonly fn: lambda.Function;
  readonly canary: LambdaModelCanary;
  readonly template: Template;
  /** The template as plain JSON. */
  readonly json: TemplateJson;
  /** Logical id of any construct's default CloudFormation resource (or of the construct itself). */
  logicalId(construct: { node: { defaultChild?: unknown } } | CfnElement): string;
  /** Logical id of the stack's one steps function (every workflow step and fast path runs in it). */
  stepsId(): string;
  /** Logical id of the stack's one release function (the release and verdict custom resources). */
  releaseId(): string;
}

export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] }>;
}

/** One stack with one model function and one LambdaModelCanary "Canary" on it, synthesized. */
export function synthCanary(props: Partial<LambdaModelCanaryProps> = {}): SynthesizedCanary {
  const stack = newStack();
  const fn = modelFunction(stack);
  const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, ...props });
  return describeSynth(stack, fn, canary);
}

export function describeSynth(stack: Stack, fn: lambda.Function, canary: LambdaModelCanary): SynthesizedCanary {
  const template = Template.fromStack(stack);
  const logicalId = (c: { node: { defaultChild?: unknown } } | CfnElement): string => {
    const element = ((c as { node: { defaultChild?: unknown } }).node.defaultChild ?? c) as CfnElement;
    return stack.resolve(element.logicalId);
  };
  return {
    stack,
    fn,
    canary,
    template,
    json: template.toJSON() as TemplateJson,
    logicalId,
    stepsId: () => logicalId(controllerOf(stack).steps),
    releaseId: () => logicalId(controllerOf(stack).release),
  };
}

/** The controller every canary of `scope`'s stack shares (its functions, provider, rules, topic). */
export function controllerOf(scope: IConstruct): StackController {
  return Stack.of(scope).node.findChild(STACK_CONTROLLER_ID) as StackController;
}

/** What a canary has of its own: its workflow, guards, release resource, operator channel, dashboard. */
export function rolloutOf(canary: IConstruct): CanaryRollout {
  return canary.node.findChild('Rollout') as CanaryRollout;
}

/** The step a workflow task runs: every task invokes the steps function with `{ step, input }`. */
export function stepOfTask(state: { Parameters?: { step?: StepName } }): StepName | undefined {
  return state.Parameters?.step;
}

/** How many CloudFormation resources a template declares. */
export function resourceCount(json: TemplateJson): number {
  return Object.keys(json.Resources).length;
}

/**
 * Flattens a CloudFormation value to a string: Fn::Join is joined, `{Ref: X}` becomes `${X}` and
 * `{Fn::GetAtt: [X, Y]}` becomes `${X.Y}`. Enough for the values these constructs produce.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(delimiter);
    }
    if (typeof o.Ref === 'string') return `\${${o.Ref}}`;
    if (Array.isArray(o['Fn::GetAtt'])) return `\${${(o['Fn::GetAtt'] as string[]).join('.')}}`;
  }
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

export function resourcesOfType(json: TemplateJson, type: string): Record<string, any> {
  return Object.fromEntries(Object.entries(json.Resources).filter(([, r]) => r.Type === type));
}

/** The release provider's waiter state machine (cr.Provider with isCompleteHandler): not a rollout workflow. */
export function isProviderWaiter(resource: any): boolean {
  return resource?.Type === 'AWS::StepFunctions::StateMachine' && JSON.stringify(resource.Properties?.DefinitionString ?? '').includes('framework-isComplete-task');
}

/** The rollout workflows' state machines, by logical id (the release provider's waiter left out). */
export function workflowMachines(json: TemplateJson): Record<string, any> {
  return Object.fromEntries(Object.entries(resourcesOfType(json, 'AWS::StepFunctions::StateMachine')).filter(([, r]) => !isProviderWaiter(r)));
}

/** The one resource of a type; for state machines, the one rollout workflow. */
export function onlyResourceOfType(json: TemplateJson, type: string): { id: string; resource: any } {
  const entries = Object.entries(resourcesOfType(json, type)).filter(([, r]) => !isProviderWaiter(r));
  if (entries.length !== 1) throw new Error(`expected one ${type}, found ${entries.length}`);
  return { id: entries[0][0], resource: entries[0][1] };
}

/** The state machine's definition (the only state machine in the template), parsed. */
export function definitionOf(json: TemplateJson, canaryName?: string): AslDefinition {
  const machines = Object.values(resourcesOfType(json, 'AWS::StepFunctions::StateMachine')).map(
    (sm) => JSON.parse(flatten(sm.Properties.DefinitionString)) as AslDefinition,
  );
  // The rollout workflows only: the release provider's waiter (isComplete retries) has no Plan.
  const workflows = machines.filter((d) => d.States.Plan !== undefined);
  const found = canaryName === undefined ? workflows : workflows.filter((d) => d.States.Plan?.Result?.canaryName === canaryName);
  if (found.length !== 1) throw new Error(`expected one state machine${canaryName ? ` for ${canaryName}` : ''}, found ${found.length}`);
  return found[0];
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, any>;
}

/** Every IAM statement attached to a role, from the role's inline policies and every AWS::IAM::Policy naming it. */
export function statementsOfRole(json: TemplateJson, roleId: string): IamStatement[] {
  const statements: IamStatement[] = [];
  const role = json.Resources[roleId];
  for (const p of role?.Properties?.Policies ?? []) statements.push(...p.PolicyDocument.Statement);
  for (const policy of Object.values(resourcesOfType(json, 'AWS::IAM::Policy'))) {
    if ((policy.Properties.Roles ?? []).some((r: unknown) => flatten(r) === `\${${roleId}}`)) {
      statements.push(...policy.Properties.PolicyDocument.Statement);
    }
  }
  return statements;
}

export interface IamStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** The role a function runs with (its Role property must be a GetAtt of a role in the template). */
export function roleOfFunction(json: TemplateJson, functionId: string): string {
  const role = json.Resources[functionId].Properties.Role;
  const m = /^\$\{(.+)\.Arn\}$/.exec(flatten(role));
  if (!m) throw new Error(`function ${functionId} has no role in this template`);
  return m[1];
}

/** For each action of a role, the flattened resources it is allowed on. */
export function grantsOfRole(json: TemplateJson, roleId: string): Map<string, string[]> {
  const grants = new Map<string, string[]>();
  for (const s of statementsOfRole(json, roleId)) {
    if (s.Effect !== 'Allow') continue;
    for (const action of asArray(s.Action)) {
      grants.set(action, [...(grants.get(action) ?? []), ...asArray(s.Resource).map(flatten)]);
    }
  }
  return grants;
}

export const sorted = (xs: readonly string[]): string[] => [...xs].sort();

/**
 * A canary's descriptor parameter (`/cdk-model-canary/<stack>/<canary>/config`), parsed: what the
 * CLI and the stack's fast paths read to find the canary. References stay `${LogicalId}` strings.
 */
export function descriptorOf(json: TemplateJson, canaryName: string): Record<string, any> {
  const found = Object.values(resourcesOfType(json, 'AWS::SSM::Parameter')).filter((p) => p.Properties.Name === `/cdk-model-canary/${STACK_NAME}/${canaryName}/config`);
  if (found.length !== 1) throw new Error(`expected one descriptor parameter for ${canaryName}, found ${found.length}`);
  return JSON.parse(flatten(found[0].Properties.Value));
}
