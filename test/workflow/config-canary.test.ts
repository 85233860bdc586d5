/**
 * The config canary (ConfigModelCanary) end to end with the real handlers on the simulated AWS: the
 * first deploy creates the routing in AppConfig (a hosted version, deployed), a deploy of a new
 * config stages it at 0 % and starts the rollout, the steps are deployments of new routing
 * documents, the application's routers keep each user on one variant (runtime/routing.ts) and
 * record per version; a healthy canary is promoted, a failing one rolled back to 0 %; and every
 * AppConfig call the two roles make is allowed by them, every grant used.
 */
import { Stack } from 'aws-cdk-lib';
import { APPCONFIG_KIND } from '../../lambda/targets/appconfig/contract';
import { ConfigModelCanary } from '../../lib';
import { parseRouting, type RoutingDocument } from '../../runtime/routing';
import { type RunResult, type Scenario, SimWorld, type SynthesizedStack, synthesizeStack } from '../../sim';
import type { ConfigRouting } from '../../sim/targets/appconfig';
import type { UserExposureCounts } from '../../sim/targets/user-sessions';
import { alertEvents, HEALTHY } from './helpers';
import { allows, type AuthorizedCall, deleteRelease, FUNCTION_OF, grantsAt, type GrantSnapshot, recorded, wildcard } from './iam-support';

const STACK = 'ChatStack';

/** A deploy of a new config is a new template: the version is named here (by default it is the config's hash). */
function chatStack(version: string, promptVersion: string): SynthesizedStack {
  return synthesizeStack((app) => {
    const stack = new Stack(app, STACK);
    new ConfigModelCanary(stack, 'Chat', { config: { modelId: 'anthropic.claude-3-5-haiku', temperature: 0.2, promptVersion }, version });
    return stack;
  });
}

const STACK_V1 = chatStack('v1', '7');
const STACK_V2 = chatStack('v2', '8');
const scenario = (canary: Scenario['defaultBehaviour']): Scenario => ({ requestsPerSecond: 10, versions: { v1: HEALTHY, v2: canary! } });

/** The routing document AppConfig serves now. */
function routing(world: SimWorld): RoutingDocument {
  const cfg = world.targetConfig as Record<string, string>;
  const v = world.appconfig.servedVersion(cfg.environmentId, cfg.profileId)!;
  return parseRouting(v.content, 'routing');
}

/** The canary's strategy made slow (as if a person edited it): a deployment reaches clients over 5 minutes. */
function slowDeployments(world: SimWorld): void {
  const id = (world.targetConfig as Record<string, string>).deploymentStrategyId;
  const s = world.appconfig.strategies.get(id)!;
  world.appconfig.strategies.set(id, { ...s, durationMinutes: 5, growthFactor: 20 });
}

async function release(world: SimWorld): Promise<RunResult> {
  expect((await world.deploy('v1')).action).toBe('created');
  await world.advance(120);
  const second = await world.updateStack(STACK_V2, 'v2');
  if (!second.executionArn) throw new Error(`the deploy of v2 started no rollout: ${second.action}`);
  return world.runUntilDone({ maxMinutes: 120 });
}

describe('a config canary: the routing in AppConfig, users kept on one variant', () => {
  let healthy: { world: SimWorld; result: RunResult; switchedBack: number; onBoth: number; exposure: UserExposureCounts };
  let failing: { world: SimWorld; result: RunResult };

  beforeAll(async () => {
    let world = SimWorld.fromStack(STACK_V1, { seed: 5, scenario: scenario(HEALTHY) });
    try {
      const result = await release(world);
      const r = world.target as unknown as ConfigRouting;
      healthy = { world, result, switchedBack: r.usersSwitchedBack(), onBoth: r.usersOnBothVersions(), exposure: r.userExposure() };
    } finally {
      world.dispose();
    }
    world = SimWorld.fromStack(STACK_V1, { seed: 5, scenario: scenario({ errorRate: 0.2, latencyMs: HEALTHY.latencyMs }) });
    try {
      failing = { world, result: await release(world) };
    } finally {
      world.dispose();
    }
  }, 180_000);

  it('is the kind the simulator runs; the first deploy created the routing (v1 alone, owned by the release resource)', () => {
    expect(healthy.world.targetKind).toBe(APPCONFIG_KIND);
    const first = healthy.world.appconfig.deployments[0];
    expect(first.by).toBe('release');
    const doc = parseRouting(new TextDecoder().decode(healthy.world.appconfig.getHostedConfigurationVersion({ ApplicationId: first.applicationId, ConfigurationProfileId: first.profileId, VersionNumber: first.versionNumber }).Content), 'first');
    expect(doc).toMatchObject({ stable: { version: 'v1', config: { modelId: 'anthropic.claude-3-5-haiku' } }, canaryPercent: 0, owner: 'unrecorded' });
  });

  it('promotes a healthy canary step by step, the previous config kept for the watch as the high buckets', () => {
    expect(healthy.result.status).toBe('SUCCEEDED');
    expect(alertEvents(healthy.result)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    const changes = healthy.world.target.shareChanges('v2');
    expect(changes.filter((c) => c.by === 'set-weight').map((c) => c.percent)).toEqual([5, 25, 50, 95]);
    expect(changes.at(-1)).toMatchObject({ by: 'watch', percent: 100, promoted: true });
    expect(routing(healthy.world)).toMatchObject({ stable: { version: 'v2', config: { promptVersion: '8' } }, canaryPercent: 0 });
    // The router's metrics, as the guards read them: every request of v2 counted under Version v2.
    const end = healthy.world.now() + 2 * 60_000;
    const requests = healthy.world.metrics.series({ namespace: 'ModelCanary', metricName: 'Requests', dimensions: { Canary: 'Chat', Stack: STACK, Version: 'v2' } }, 'Sum', 60, healthy.world.startMs, end, end);
    expect(requests.reduce((a, d) => a + d.value, 0)).toBe(healthy.world.served.get('v2')!.requests);
  });

  // Four router processes read the routing at staggered times (sim/targets/user-sessions.ts), but a
  // raise and a promotion switch at `switchAt`, when every process has read them: a user whose
  // requests reach several processes still meets the canary once and stays there.
  it('keeps every user on one variant: no user went back to an older version outside a rollback, across four router processes', () => {
    expect(healthy.onBoth).toBeGreaterThan(500);
    expect(healthy.exposure.sessionsSpanningProcesses).toBeGreaterThan(1000);
    expect(healthy.switchedBack).toBe(0);
    expect(healthy.exposure.switchedBackStale).toBe(0);
    expect(healthy.exposure.switchedBackSticky).toBe(0);
    expect(healthy.exposure.switchedBackInRollback).toBe(0);
  });

  it('rolls a failing canary back to 0 %: the stable config serves every user again, with an alert naming the guard', () => {
    expect(failing.result.error).toBe('CanaryRolledBack');
    const decided = (failing.result.alerts.find((a) => a.event === 'ROLLED_BACK')?.body?.alarm as { name?: string } | undefined)?.name;
    expect(decided).toMatch(new RegExp(`^${STACK}-Chat-(ErrorRate|ErrorRateVsStable)$`));
    expect(routing(failing.world)).toMatchObject({ stable: { version: 'v1' }, canaryPercent: 0 });
    expect(routing(failing.world).canary).toBeUndefined();
    const changes = failing.world.target.shareChanges('v2');
    expect(changes.some((c) => c.promoted)).toBe(false);
    expect(Math.max(...changes.map((c) => c.percent))).toBeLessThanOrEqual(25);
  });
});

describe('IAM of the config canary: every AppConfig call allowed, every grant used', () => {
  const runs: { name: string; calls: AuthorizedCall[]; snapshots: GrantSnapshot[] }[] = [];

  beforeAll(async () => {
    runs.push({
      name: 'healthy rollout, then the release resource deleted',
      ...(await recorded(STACK_V1, { scenario: scenario(HEALTHY) }, async (w) => {
        expect((await release(w)).status).toBe('SUCCEEDED');
        await deleteRelease(w);
      })),
    });
    runs.push({
      name: "guard rollback while the step's deployment is still reaching clients",
      ...(await recorded(STACK_V1, { scenario: scenario({ errorRate: 0.3, latencyMs: HEALTHY.latencyMs }) }, async (w) => {
        expect((await w.deploy('v1')).action).toBe('created');
        slowDeployments(w);
        await w.advance(120);
        await w.updateStack(STACK_V2, 'v2');
        expect((await w.runUntilDone({ maxMinutes: 120 })).error).toBe('CanaryRolledBack');
        // The rollback did not queue behind the 5 % step: that deployment was stopped.
        expect(w.appconfig.deployments.some((d) => d.stoppedState === 'ROLLED_BACK')).toBe(true);
        // The slowed strategy hands a deployment to its first clients one growth interval in (1 minute here).
        await w.advance(60);
        expect(routing(w)).toMatchObject({ stable: { version: 'v1' }, canaryPercent: 0 });
      })),
    });
    runs.push({
      name: "a deploy back to v1 while the 5 % step's deployment is still reaching clients",
      ...(await recorded(STACK_V1, { scenario: scenario(HEALTHY) }, async (w) => {
        expect((await w.deploy('v1')).action).toBe('created');
        slowDeployments(w);
        await w.advance(120);
        await w.updateStack(STACK_V2, 'v2');
        await w.advance(60);
        expect(w.target.canaryPercent('v2')).toBe(5);
        await w.updateStack(STACK_V1, 'v1');
        expect(routing(w)).toMatchObject({ stable: { version: 'v1' }, canaryPercent: 0 });
      })),
    });
  }, 300_000);

  it('every AppConfig call a handler made is allowed by its role', () => {
    const denied = new Set<string>();
    let routingCalls = 0;
    for (const run of runs) {
      for (const c of run.calls) {
        if (c.action.startsWith('appconfig:')) routingCalls++;
        for (const resource of c.resources) {
          if (!allows(grantsAt(run.snapshots, c.at).get(c.caller) ?? [], c.action, resource, c.conditionKeys)) denied.add(`${c.caller}: ${c.action} on ${resource} (${run.name})`);
        }
      }
    }
    expect(routingCalls).toBeGreaterThan(20);
    expect([...denied].sort()).toEqual([]);
  });

  it('uses every AppConfig action it grants', () => {
    const granted = new Set<string>();
    const used = new Set<string>();
    for (const run of runs) {
      for (const snapshot of run.snapshots) {
        for (const role of ['steps', 'release'] as const) {
          const grants = snapshot.grants.get(role === 'steps' ? 'check' : 'release') ?? [];
          for (const action of grants.flatMap((g) => g.actions).filter((a) => a.startsWith('appconfig:'))) {
            granted.add(`${role} ${action}`);
            if (run.calls.some((c) => FUNCTION_OF[c.caller] === role && wildcard(action, c.action, true))) used.add(`${role} ${action}`);
          }
        }
      }
    }
    expect(granted.size).toBeGreaterThan(5);
    expect([...granted].filter((g) => !used.has(g)).sort()).toEqual([]);
  });
});
