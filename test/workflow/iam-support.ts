/**
 * What the IAM coverage tests share (test/workflow/iam-coverage.test.ts, and each target kind's own,
 * e.g. test/workflow/parameter-router.test.ts): the calls a handler made, with what IAM evaluates
 * for each per AWS's Service Authorization Reference (sim/aws/iam/iam-authorization.ts), and the
 * Allow statements of the stack's two roles as synthesized, their tokens resolved by the
 * simulator's own resolver. IAM matching: actions case-insensitive with `*`/`?`, resources
 * case-sensitive with `*`/`?` (a wildcard spans `:` and `/`), as in
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html.
 */
import { STEP_NAMES } from '../../lambda/shared/steps';
import { type CfnTemplate, DeployError, type IntrinsicResolver, SimWorld, type SynthesizedStack } from '../../sim';
import type { FunctionRecord, LambdaErrorPayload } from '../../sim/aws/lambda/lambda';
import { authorizationFor, type RequestEnvironment } from '../../sim/aws/iam/iam-authorization';
import { CallRecorder, type RecordedCall } from '../../sim/world/recording';
import { ACCOUNT, PARTITION, REGION } from '../../sim/aws/core/account';

export const ENV: RequestEnvironment = { partition: PARTITION, region: REGION, account: ACCOUNT };

/** A recorded request with what IAM evaluates for it, per the Service Authorization Reference. */
export interface AuthorizedCall {
  readonly at: number;
  readonly caller: string;
  readonly action: string;
  readonly resources: readonly string[];
  /** The request's condition keys this test evaluates (cloudwatch:namespace of PutMetricData). */
  readonly conditionKeys: Readonly<Record<string, string>>;
}

export async function authorize(calls: readonly RecordedCall[]): Promise<AuthorizedCall[]> {
  return Promise.all(
    calls.map(async (c) => {
      const { action, resources } = await authorizationFor(c, ENV);
      const conditionKeys: Record<string, string> = c.operation === 'PutMetricData' ? { 'cloudwatch:namespace': String(c.input.Namespace ?? '') } : {};
      return { at: c.at, caller: c.caller, action, resources, conditionKeys };
    }),
  );
}

interface Statement {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly NotAction?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: unknown;
}

export interface Grant {
  readonly actions: string[];
  readonly resources: string[];
  /** StringEquals conditions: every key must equal its value in the request. */
  readonly stringEquals?: Readonly<Record<string, string>>;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM wildcard matching: `*` any run of characters, `?` one character. */
export function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseInsensitive ? 'i' : '');
  return re.test(value);
}

export function allows(grants: Grant[], action: string, resource: string, conditionKeys: Readonly<Record<string, string>> = {}): boolean {
  return grants.some(
    (g) =>
      g.actions.some((a) => wildcard(a, action, true)) &&
      g.resources.some((r) => wildcard(r, resource, false)) &&
      Object.entries(g.stringEquals ?? {}).every(([k, v]) => conditionKeys[k] === v),
  );
}

/** The simulator's resolver (SimWorld keeps it private: the physical ids are the world's). */
export function resolverOf(world: SimWorld): IntrinsicResolver {
  return (world as unknown as { resolver: IntrinsicResolver }).resolver;
}

/**
 * The stack's two functions (lib/private/stack-controller.ts): `steps` runs every workflow step and
 * fast path (the invocation names the step, which the recorder logs as the caller), `release` the
 * custom resources. A caller's grants are its function's role's.
 */
export const FUNCTION_OF: Record<string, 'steps' | 'release'> = {
  ...Object.fromEntries(STEP_NAMES.map((s) => [s, 'steps' as const])),
  release: 'release',
};

/** handler (step, or release) → the Allow statements of its function's role, tokens resolved. */
export function handlerGrants(world: SimWorld, template: CfnTemplate): Map<string, Grant[]> {
  const byRole = roleGrants(world, template);
  return new Map(Object.entries(FUNCTION_OF).map(([handler, fn]) => [handler, byRole.get(fn) ?? []]));
}

/** `steps` / `release` → the Allow statements of its role (inline and managed), tokens resolved. */
function roleGrants(world: SimWorld, template: CfnTemplate): Map<string, Grant[]> {
  const resolver = resolverOf(world);
  const roleOf = new Map<string, string>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const m = /^cdk-model-canary: ([a-z0-9-]+)( \(.*\))?$/.exec(String(r.Properties?.Description ?? ''));
    if (!m) continue;
    const role = (r.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
    if (!role) throw new Error(`${m[1]} has no role of its own`);
    roleOf.set(role, m[1]);
  }
  expect([...roleOf.values()].sort()).toEqual(['release', 'steps']);
  const out = new Map<string, Grant[]>([...roleOf.values()].map((h) => [h, []]));
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::IAM::Role' && roleOf.has(id)) {
      // No AWS managed policy and no inline policy on the role itself: every grant is one of ours.
      const managed = (r.Properties?.ManagedPolicyArns ?? []) as unknown[];
      expect({ role: id, managed: managed.filter((m) => !JSON.stringify(m).includes('OverflowPolicy')), inline: r.Properties?.Policies ?? [] }).toEqual({ role: id, managed: [], inline: [] });
    }
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = ((r.Properties?.Roles as { Ref?: string }[] | undefined) ?? []).map((x) => x.Ref ?? '');
    const handlers = roles.filter((x) => roleOf.has(x)).map((x) => roleOf.get(x)!);
    if (handlers.length === 0) continue;
    const raw = r.Properties?.PolicyDocument as { Statement: Statement[] };
    for (const rawStatement of raw.Statement) {
      // The resources of another canary of the stack that this world never deploys (its model
      // function's published version) do not resolve here: they are not this canary's to use.
      const resources = list(rawStatement.Resource as string | string[]).flatMap((res) => {
        try {
          return [resolver.resolve<string>(res)];
        } catch (err) {
          if (/has no published version yet/.test((err as Error).message)) return [];
          throw err;
        }
      });
      const s = { ...resolver.resolve<Statement>({ ...rawStatement, Resource: [] }), Resource: resources };
      // Only Allow statements, with at most a StringEquals condition: anything else would need a real policy evaluator.
      const condition = s.Condition as { StringEquals?: Record<string, string> } | undefined;
      expect({ policy: id, Effect: s.Effect, NotAction: s.NotAction, NotResource: s.NotResource, Condition: condition && Object.keys(condition) }).toEqual({
        policy: id,
        Effect: 'Allow',
        Condition: condition && ['StringEquals'],
      });
      for (const h of handlers) out.get(h)!.push({ actions: list(s.Action), resources: list(s.Resource), stringEquals: condition?.StringEquals });
    }
  }
  return out;
}

/** The role policies as one deploy left them, from the time that deploy started. */
export interface GrantSnapshot {
  readonly from: number;
  readonly grants: Map<string, Grant[]>;
}

/** The policies in force at a time: those of the latest deploy started by then. */
export function grantsAt(snapshots: GrantSnapshot[], at: number): Map<string, Grant[]> {
  const s = [...snapshots].reverse().find((x) => x.from <= at);
  if (!s) throw new Error(`no deploy before ${new Date(at).toISOString()}`);
  return s.grants;
}

/**
 * Runs one scenario with a recorder attached. Every deploy (and stack update) re-resolves the
 * policies of the template then in force (the canary version a pre-traffic check may invoke
 * changes with each deploy): calls are judged by the policies of the deploy in force when they
 * were made.
 */
export async function recorded(
  stack: SynthesizedStack,
  options: ConstructorParameters<typeof SimWorld>[1],
  run: (world: SimWorld) => Promise<void>,
  /** The run uses the CLI: its calls come from a person, not a handler, so they have no caller. */
  opts: { cli?: boolean } = {},
): Promise<{ calls: AuthorizedCall[]; snapshots: GrantSnapshot[]; unattributed: number }> {
  const world = SimWorld.fromStack(stack, { seed: 7, ...options });
  try {
    const recorder = new CallRecorder(world);
    const snapshots: GrantSnapshot[] = [];
    const snapshotAfter = async <T>(deploy: () => Promise<T>): Promise<T> => {
      const from = world.now();
      try {
        return await deploy();
      } finally {
        // A failed deploy made calls too (the release resource's wait deleting a Failed endpoint).
        snapshots.push({ from, grants: handlerGrants(world, world.template) });
      }
    };
    const deploy = world.deploy.bind(world);
    const updateStack = world.updateStack.bind(world);
    world.deploy = (version) => snapshotAfter(() => deploy(version));
    world.updateStack = (next, version) => snapshotAfter(() => updateStack(next, version));
    await run(world);
    const calls = await authorize(recorder.calls);
    return { calls: [...calls, ...kmsForEncryptedTopics(world, world.template, calls)], snapshots, unattributed: recorder.unattributed.filter((c) => !c.error && !(opts.cli && c.caller === undefined)).length };
  } finally {
    world.dispose();
  }
}

/**
 * Publishing to a topic encrypted with a KMS key also needs kms:GenerateDataKey* and kms:Decrypt on
 * that key ("publishers must have the kms:GenerateDataKey* and kms:Decrypt permissions for the KMS
 * key", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html): SNS makes those calls
 * with the publisher's credentials, so they count as the publisher's calls.
 */
function kmsForEncryptedTopics(world: SimWorld, template: CfnTemplate, calls: AuthorizedCall[]): AuthorizedCall[] {
  const resolver = resolverOf(world);
  const keyOf = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::SNS::Topic' || r.Properties?.KmsMasterKeyId === undefined) continue;
    keyOf.set(resolver.resolve<string>({ Ref: id }), resolver.resolve<string>(r.Properties.KmsMasterKeyId));
  }
  return calls.flatMap((c) => {
    const key = c.action === 'sns:Publish' ? keyOf.get(c.resources[0]) : undefined;
    if (!key) return [];
    return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ at: c.at, caller: c.caller, action, resources: [key], conditionKeys: {} }));
  });
}

/** CloudFormation deleting the release custom resource (SimWorld has no stack deletion: this sends Delete to the real handler). */
export async function deleteRelease(world: SimWorld): Promise<void> {
  const w = world as unknown as {
    customResources: Map<string, { physicalId: string; properties: Record<string, unknown> }>;
    model: { releaseLogicalId: string };
    invokeHandler(fn: FunctionRecord, event: unknown, async: boolean): Promise<{ error?: LambdaErrorPayload }>;
  };
  const logicalId = w.model.releaseLogicalId;
  const existing = w.customResources.get(logicalId);
  const fn = [...world.lambda.functions.values()].find((f) => f.handlerName === 'release');
  if (!existing || !fn) throw new Error('nothing to delete');
  const invocation = await world.drive(
    w.invokeHandler(
      fn,
      {
        RequestType: 'Delete',
        ServiceToken: existing.properties.ServiceToken,
        ResponseURL: 'https://cloudformation-custom-resource-response.sim/',
        StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${world.stackName}/sim`,
        RequestId: 'delete-1',
        LogicalResourceId: logicalId,
        ResourceType: world.template.Resources[logicalId].Type,
        PhysicalResourceId: existing.physicalId,
        ResourceProperties: existing.properties,
      },
      false,
    ),
  );
  if (invocation.error) throw new DeployError(`Delete failed: ${invocation.error.errorType}: ${invocation.error.errorMessage}`, invocation.error);
}

/** Whether a grant is the role's own logging (CDK's logGroup.grantWrite) or tracing: not the workflow's business. */
export const isLogging = (action: string) => /^(logs|xray):/i.test(action);
