/**
 * Upgrade in place (issue 17): a stack deployed with the 0.1 layout (one set of functions, rules,
 * topic and key per canary) is updated to the shared layout while a rollout is in flight. The
 * release custom resource changes its ServiceToken (the stack's provider), which CloudFormation
 * does not allow in place, so it has a new logical id: the new resource takes the alias over
 * (lambda/shared/ownership.ts) and the old one, deleted in the cleanup phase by the 0.1 code,
 * leaves it. What must hold: the alias is never deleted, its owner record names the new resource,
 * the rollout in flight finishes or ends at 0 % with an alert, nothing is left at a share, and the
 * next release runs on the new layout.
 */
import { ownerOf } from '../../lambda/targets/lambda-alias/target';
import { ownerId } from '../../lambda/shared/ownership';
import { type RunResult, SimWorld } from '../../sim';
import { exampleStack, HEALTHY } from './helpers';
import { legacyHandlers, legacyStack } from './legacy-layout';

const STACK_ID = (stack: string) => `arn:aws:cloudformation:us-east-1:123456789012:stack/${stack}/sim`;
const scenario = { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY, '3': HEALTHY } };

/** The logical id of the Lambda canary's release resource in a template. */
function releaseId(template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }): string {
  return Object.entries(template.Resources).find(([, r]) => r.Type === 'Custom::ModelCanaryRelease' && r.Properties?.CanaryName === 'SentimentCanary')![0];
}

async function deployedOnTheOldLayout(): Promise<SimWorld> {
  const world = SimWorld.fromStack(legacyStack(), { seed: 11, scenario, legacyHandlers: legacyHandlers(), cfnDependentsDelaySeconds: 30 });
  await world.deploy('1');
  await world.advance(120);
  const second = await world.deploy('2');
  expect(second.executionArn).toMatch(/:stateMachine:|:execution:/);
  // The 0.1 workflow runs the 0.1 code (its functions' descriptions name a canary and a step).
  await world.runUntil(() => world.alias()?.weights['2'] === 0.25, { maxMinutes: 30 });
  return world;
}

/** Calls that would have deleted the alias, and moments it was missing. */
function aliasLosses(world: SimWorld): string[] {
  return world.apiCalls.filter((c) => c.operation === 'DeleteAlias' && !c.error).map((c) => `DeleteAlias by ${c.caller} at ${c.at}`);
}

describe('upgrading a stack of the 0.1 layout with a rollout in flight', () => {
  const legacy = legacyStack();
  const current = exampleStack();
  let world: SimWorld;
  let oldExecution: string;
  let upgrade: Awaited<ReturnType<SimWorld['updateStack']>>;
  let after: RunResult;

  beforeAll(async () => {
    world = await deployedOnTheOldLayout();
    oldExecution = world.latestExecution()!.executionArn;
    upgrade = await world.updateStack(current, '2');
    await world.advance(5 * 60);
    after = world.result(world.sfn.executions.get(oldExecution)!);
  }, 180_000);
  afterAll(() => world?.dispose());

  it('changes the release resource (its service token changed) and keeps the alias, owned by the new resource', () => {
    expect(releaseId(legacy.template)).not.toBe(releaseId(current.template));
    expect(upgrade.requestType).toBe('Create');
    expect(aliasLosses(world)).toEqual([]);
    const alias = world.alias()!;
    expect(alias).toBeDefined();
    expect(ownerOf(alias.description)).toEqual({ owner: ownerId(STACK_ID(world.stackName), releaseId(current.template)) });
  });

  it('ends the rollout in flight at 0 % with an alert (the old release resource stopped it), nothing left at a share', () => {
    // The rollout ran on the 0.1 code (a function per step and canary) until the upgrade.
    expect(world.invocations.some((i) => i.handler === 'check' && /SentimentCanaryRolloutCheckStep/.test(i.functionName))).toBe(true);
    expect(after.status).toBe('ABORTED');
    expect(after.error).toBe('Superseded');
    const alias = world.alias()!;
    expect(alias.functionVersion).toBe('1');
    expect(Object.values(alias.weights).every((w) => w === 0)).toBe(true);
    expect(world.alerts().some((a) => a.event === 'SUPERSEDED' && a.body?.canaryVersion === '2')).toBe(true);
    expect([...world.sfn.executions.values()].filter((e) => e.status === 'RUNNING')).toEqual([]);
  });

  it('removes the 0.1 resources in the cleanup: its workflow, its functions, its rules', () => {
    const oldMachine = world.sfn.executions.get(oldExecution)!.stateMachineArn;
    expect(world.sfn.machines.has(oldMachine)).toBe(false);
    expect([...world.lambda.functions.values()].filter((f) => f.legacy)).toEqual([]);
    // One rule of each kind for the stack, none of the canary's own.
    expect([...world.events.rules.keys()].filter((n) => n.includes('SentimentCanary'))).toEqual([]);
    expect([...world.sfn.machines.keys()].some((arn) => arn.endsWith(':stateMachine:ModelCanary-ModelCanaryExample-SentimentCanary'))).toBe(true);
  });

  it('releases the next version on the new layout, to its promotion', async () => {
    const third = await world.deploy('3');
    expect(third.executionArn).toContain(':execution:ModelCanary-ModelCanaryExample-SentimentCanary:');
    const r = await world.runUntilDone({ maxMinutes: 90 });
    expect(r.status).toBe('SUCCEEDED');
    expect(world.alias()).toMatchObject({ functionVersion: '3', weights: {} });
    expect(aliasLosses(world)).toEqual([]);
  }, 180_000);
});

describe('upgrading and releasing a new version in one deploy', () => {
  let world: SimWorld;
  afterAll(() => world?.dispose());

  it('sets the canary of the 0.1 rollout to 0, alerts, and releases the new version on the new layout', async () => {
    world = await deployedOnTheOldLayout();
    const old = world.latestExecution()!.executionArn;
    const deploy = await world.updateStack(exampleStack(), '3');
    expect(deploy.action).toMatch(/^rollout started/);
    expect(world.alerts().some((a) => a.event === 'SUPERSEDED' && a.body?.canaryVersion === '2')).toBe(true);
    expect(world.sfn.executions.get(old)!.status).not.toBe('RUNNING');
    const r = await world.runUntilDone({ maxMinutes: 90 });
    expect(r.status).toBe('SUCCEEDED');
    expect(world.alias()).toMatchObject({ functionVersion: '3', weights: {} });
    expect(aliasLosses(world)).toEqual([]);
  }, 240_000);
});

describe('a custom resource whose service token changes in place', () => {
  it('fails the update, as CloudFormation does', async () => {
    const legacy = legacyStack();
    const current = exampleStack();
    // The new template with the release resource under its 0.1 logical id: same resource, another service token.
    const from = releaseId(current.template);
    const to = releaseId(legacy.template);
    const moved = { stackName: current.stackName, template: JSON.parse(JSON.stringify(current.template).split(`"${from}"`).join(`"${to}"`)) as typeof current.template };
    const world = SimWorld.fromStack(legacy, { seed: 3, scenario, legacyHandlers: legacyHandlers() });
    try {
      await world.deploy('1');
      await expect(world.updateStack(moved, '1')).rejects.toThrow(/Modifying service token is not allowed/);
    } finally {
      world.dispose();
    }
  }, 120_000);
});
