/**
 * A third target kind, kept in test/ (test/plugins/parameter-router): an application routes by an
 * SSM parameter. It is new files only, registered by its own module with the contract, workflow
 * and simulator registries; the shared controller, the guards, the workflow and the simulator run
 * it unchanged. End to end with the real handlers: deploy v1 (the release resource creates the
 * routing), deploy v2 (a stack update: the version is a prop) and the rollout promotes a healthy
 * canary, or the guards roll a failing one back to 0 %; and every call the two roles make for it
 * is allowed by them, every grant of its binding used.
 */
import { Stack } from 'aws-cdk-lib';
import { PARAMETER_ROUTER_KIND, ParameterRouterCanary, ROUTER_NAMESPACE, type Routing } from '../plugins/parameter-router';
import { ParameterRouterTarget } from '../plugins/parameter-router/target';
import { type RunResult, type Scenario, SimWorld, type SynthesizedStack, synthesizeStack } from '../../sim';
import { alertEvents, HEALTHY } from './helpers';
import { allows, type AuthorizedCall, deleteRelease, FUNCTION_OF, grantsAt, type GrantSnapshot, recorded, wildcard } from './iam-support';

const STACK = 'RouterStack';
const PARAMETER = '/shop/model-routing';
const ALARM = (guard: string) => `${STACK}-Router-${guard}`;

function routerStack(version: string): SynthesizedStack {
  return synthesizeStack((app) => {
    const stack = new Stack(app, STACK);
    new ParameterRouterCanary(stack, 'Canary', { canaryName: 'Router', parameterName: PARAMETER, version });
    return stack;
  });
}

const V1 = routerStack('v1');
const V2 = routerStack('v2');
const scenario = (canary: Scenario['defaultBehaviour']): Scenario => ({ requestsPerSecond: 10, versions: { v1: HEALTHY, v2: canary! } });

/** The routing as the application reads it now. */
function routing(world: SimWorld): Routing {
  return JSON.parse(world.ssm.value(PARAMETER)!) as Routing;
}

/** deploy v1; two minutes of traffic; the stack update to v2 starts the rollout, which runs to its end. */
async function release(world: SimWorld): Promise<RunResult> {
  expect((await world.deploy('v1')).action).toBe('created');
  await world.advance(120);
  const second = await world.updateStack(V2, 'v2');
  if (!second.executionArn) throw new Error(`the deploy of v2 started no rollout: ${second.action}`);
  return world.runUntilDone({ maxMinutes: 120 });
}

describe('the parameter router, a target kind added by files under test/ only', () => {
  let healthy: { world: SimWorld; result: RunResult };
  let failing: { world: SimWorld; result: RunResult };

  beforeAll(async () => {
    for (const [canary, set] of [
      [HEALTHY, (r: typeof healthy) => (healthy = r)],
      [{ errorRate: 0.2, latencyMs: HEALTHY.latencyMs }, (r: typeof failing) => (failing = r)],
    ] as const) {
      const world = SimWorld.fromStack(V1, { seed: 5, scenario: scenario(canary) });
      try {
        set({ world, result: await release(world) });
      } finally {
        world.dispose();
      }
    }
  }, 120_000);

  it('is the kind the simulator runs, its routing the parameter the release resource created', () => {
    expect(healthy.world.targetKind).toBe(PARAMETER_ROUTER_KIND);
    expect(healthy.world.targetConfig).toEqual({ kind: PARAMETER_ROUTER_KIND, parameterName: PARAMETER });
    const created = healthy.world.ssm.parameters.get(PARAMETER)!.versions[0];
    expect({ by: created.by, routing: JSON.parse(created.value) as Routing }).toEqual({ by: 'release', routing: { stable: 'v1', canaryPercent: 0, owner: 'unrecorded' } });
  });

  it('promotes a healthy canary step by step: v2 becomes the stable version, serving everything', () => {
    expect(healthy.result.status).toBe('SUCCEEDED');
    expect(alertEvents(healthy.result)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    const changes = healthy.world.target.shareChanges('v2');
    // 100 % is 95 + the 5 % control share v1 keeps through the post-promotion watch (promote), then 100 alone (watch).
    expect(changes.filter((c) => c.by === 'set-weight').map((c) => c.percent)).toEqual([5, 25, 50, 95]);
    const promote = healthy.world.ssm.parameters.get(PARAMETER)!.versions.find((v) => v.by === 'promote')!;
    expect(JSON.parse(promote.value) as Routing).toMatchObject({ stable: 'v2', canary: 'v1', canaryPercent: 5 });
    expect(changes.at(-1)).toMatchObject({ by: 'watch', percent: 100, promoted: true });
    expect(routing(healthy.world)).toMatchObject({ stable: 'v2', canaryPercent: 0 });
    expect(routing(healthy.world).canary).toBeUndefined();
    expect(healthy.world.target.canaryPercent('v2')).toBe(100);
    // The application's own metrics, as the guards read them (the kind's metric table); every minute, the current one too.
    const end = healthy.world.now() + 2 * 60_000;
    const requests = healthy.world.metrics.series({ namespace: ROUTER_NAMESPACE, metricName: 'Requests', dimensions: { Router: PARAMETER, Version: 'v2' } }, 'Sum', 60, healthy.world.startMs, end, end);
    expect(requests.reduce((a, d) => a + d.value, 0)).toBe(healthy.world.served.get('v2')!.requests);
    expect(healthy.world.served.get('v2')!.requests).toBeGreaterThan(1000);
  });

  it('guards the canary with alarms on the application metrics', () => {
    const def = healthy.world.alarm(ALARM('ErrorRate'))!.definition;
    const metrics = (def.Metrics ?? []).flatMap((q) => (q.MetricStat ? [q.MetricStat.Metric] : []));
    expect(metrics.map((m) => m.Namespace)).toEqual(expect.arrayContaining([ROUTER_NAMESPACE]));
    expect(metrics.flatMap((m) => m.Dimensions ?? [])).toEqual(expect.arrayContaining([{ Name: 'Router', Value: PARAMETER }, { Name: 'Version', Value: 'v2' }]));
  });

  it('rolls a failing canary back to 0 %: v1 serves everything again, with an alert naming the guard', () => {
    expect(failing.result.error).toBe('CanaryRolledBack');
    expect(alertEvents(failing.result)).toContain('ROLLED_BACK');
    const decided = (failing.result.alerts.find((a) => a.event === 'ROLLED_BACK')?.body?.alarm as { name?: string } | undefined)?.name;
    expect(decided).toMatch(new RegExp(`^${STACK}-Router-(ErrorRate|ErrorRateVsStable)$`));
    expect(routing(failing.world)).toMatchObject({ stable: 'v1', canaryPercent: 0 });
    expect(routing(failing.world).canary).toBeUndefined();
    expect(failing.world.target.canaryPercent('v2')).toBe(0);
    // Never promoted, and at most the first two steps' share before the guard acted.
    const changes = failing.world.target.shareChanges('v2');
    expect(changes.some((c) => c.promoted)).toBe(false);
    expect(Math.max(...changes.map((c) => c.percent))).toBeLessThanOrEqual(25);
    expect(changes.at(-1)!.percent).toBe(0);
  });
});

describe('the parameter router canary, given bad input', () => {
  it('refuses a parameter name that is not one, naming the canary and what to use', () => {
    expect(() =>
      synthesizeStack((app) => {
        const stack = new Stack(app, STACK);
        new ParameterRouterCanary(stack, 'Canary', { parameterName: 'shop routing', version: 'v1' });
        return stack;
      }),
    ).toThrow(/ParameterRouterCanary at RouterStack\/Canary.*parameterName "shop routing" is not a parameter name: use letters, digits and _\.-/);
  });
});

describe('the routing parameter, written conditionally', () => {
  it('refuses a write from a stale read (TargetStateMismatch, as a stale Lambda RevisionId), and writes from a fresh one', async () => {
    const world = SimWorld.fromStack(V1, { seed: 5, scenario: scenario(HEALTHY) });
    try {
      await world.deploy('v1');
      const target = new ParameterRouterTarget({ kind: PARAMETER_ROUTER_KIND, parameterName: PARAMETER });
      const release = { stableVersion: 'v1', canaryVersion: 'v2' };
      const stale = await world.drive(target.read());
      // Someone else writes the routing between the step's read and its write.
      world.ssm.putParameter({ Name: PARAMETER, Value: JSON.stringify({ ...routing(world), canary: 'v9', canaryPercent: 50 }), Overwrite: true });
      await expect(world.drive(target.shift(release, 5, stale))).rejects.toMatchObject({ name: 'TargetStateMismatch' });
      expect(routing(world)).toMatchObject({ canary: 'v9', canaryPercent: 50 });
      await world.drive(target.shift(release, 5, await world.drive(target.read())));
      expect(routing(world)).toMatchObject({ stable: 'v1', canary: 'v2', canaryPercent: 5 });
      // The owner record survives a traffic write.
      expect(routing(world).owner).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      world.dispose();
    }
  });
});

describe('IAM of the parameter router: every call allowed, every grant used', () => {
  const runs: { name: string; calls: AuthorizedCall[]; snapshots: GrantSnapshot[] }[] = [];

  beforeAll(async () => {
    runs.push({
      name: 'healthy rollout, then the release resource deleted',
      ...(await recorded(V1, { scenario: scenario(HEALTHY) }, async (w) => {
        expect((await release(w)).status).toBe('SUCCEEDED');
        await deleteRelease(w);
        // The application keeps a routing: v2 serving everything, no owner recorded.
        expect(routing(w)).toEqual({ stable: 'v2', canaryPercent: 0, owner: 'unrecorded' });
      })),
    });
    runs.push({
      name: 'guard rollback',
      ...(await recorded(V1, { scenario: scenario({ errorRate: 0.2, latencyMs: HEALTHY.latencyMs }) }, async (w) => {
        expect((await release(w)).error).toBe('CanaryRolledBack');
      })),
    });
  }, 120_000);

  it('every call a handler made for the router is allowed by its role', () => {
    const denied = new Set<string>();
    let routingCalls = 0;
    for (const run of runs) {
      for (const c of run.calls) {
        if (c.action.startsWith('ssm:') && c.resources.some((r) => r.endsWith(`parameter${PARAMETER}`))) routingCalls++;
        for (const resource of c.resources) {
          if (!allows(grantsAt(run.snapshots, c.at).get(c.caller) ?? [], c.action, resource, c.conditionKeys)) denied.add(`${c.caller}: ${c.action} on ${resource} (${run.name})`);
        }
      }
    }
    expect(routingCalls).toBeGreaterThan(20);
    expect([...denied].sort()).toEqual([]);
  });

  it('uses every grant on the routing parameter: each action a role is granted on it, some handler of that role calls', () => {
    const arn = `arn:aws:ssm:us-east-1:123456789012:parameter${PARAMETER}`;
    const granted = new Set<string>();
    const used = new Set<string>();
    for (const run of runs) {
      for (const snapshot of run.snapshots) {
        for (const role of ['steps', 'release'] as const) {
          // Every handler of a role holds its role's grants: read them through one of them.
          const grants = snapshot.grants.get(role === 'steps' ? 'check' : 'release') ?? [];
          for (const action of grants.filter((g) => g.resources.includes(arn)).flatMap((g) => g.actions)) {
            granted.add(`${role} ${action}`);
            if (run.calls.some((c) => FUNCTION_OF[c.caller] === role && wildcard(action, c.action, true) && c.resources.includes(arn))) used.add(`${role} ${action}`);
          }
        }
      }
    }
    expect([...granted].sort()).toEqual(['release ssm:GetParameter', 'release ssm:PutParameter', 'steps ssm:GetParameter', 'steps ssm:PutParameter']);
    expect([...granted].filter((k) => !used.has(k))).toEqual([]);
  });
});
