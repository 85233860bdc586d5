/**
 * The AppConfig anchor in the config bench (sim/bench/appconfig-anchor.ts AppConfigAnchor,
 * `appconfig-canary10-20min`): the library's workflow does not run, AppConfig's own gradual
 * deployment with the guard alarms (one composite) as monitors releases the config; one seed rolls
 * the gross failure back through the simulated CloudWatch, and one completes the healthy rollout
 * with users who met both versions through the router processes.
 */
import * as path from 'node:path';
import { APPCONFIG_ANCHOR, APPCONFIG_ANCHOR_STRATEGY, AppConfigAnchor, monitorAlarmName } from '../../sim/bench/appconfig-anchor';
import { alarmArn } from '../../sim/aws/cloudwatch/alarm-types';
import type { AppConfigTargetConfig } from '../../lambda/targets/appconfig/contract';
import { CONFIG_BENCH_CANARY, type ConfigBenchRun, configBenchGuards, configBenchStack, configControllerFor, type ConfigControllerContext, runConfigBench } from '../../sim/bench/config-bench';
import { loadScenario } from '../../sim/scenarios/scenario';
import { SimWorld } from '../../sim/world/world';

const scenario = (name: string) => loadScenario(path.join(__dirname, '..', '..', 'scenarios', `${name}.json`));
const anchorRun = (name: string) => runConfigBench(scenario(name), { seed: 1, metricPublishDelaySeconds: 60, controller: configControllerFor(APPCONFIG_ANCHOR) });

test('only the anchor acts: the deploy of the new config starts no workflow; AppConfig deploys it gradually, monitored by a composite of the guards', async () => {
  const anchor = new AppConfigAnchor();
  const world = SimWorld.fromStack(configBenchStack('1'), { seed: 1, canaryName: CONFIG_BENCH_CANARY, handlers: anchor.handlers() });
  try {
    await world.deploy('1');
    await world.advance(180);
    const before = world.appconfig.deployments.length;
    const deployed = await world.updateStack(configBenchStack('2'), '2');
    expect(deployed.executionArn).toBeUndefined();
    expect(world.sfn.executions.size).toBe(0);
    expect(world.appconfig.deployments.length).toBe(before);
    const target = world.targetConfig as AppConfigTargetConfig;
    const notes: string[] = [];
    const ctx: ConfigControllerContext = { world, target, elapsed: () => 0, note: (t) => notes.push(t) };
    anchor.start(ctx);
    const composite = monitorAlarmName('ConfigBench', 'Chat');
    expect(world.appconfig.getEnvironment({ ApplicationId: target.applicationId, EnvironmentId: target.environmentId }).Monitors).toEqual([{ AlarmArn: alarmArn(composite) }]);
    expect(world.compositeAlarms.alarms.get(composite)?.definition.AlarmRule.split(' OR ')).toHaveLength(configBenchGuards().length);
    expect(world.compositeAlarms.alarms.get(composite)?.state).toBe('OK');
    const added = world.appconfig.deployments.slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ by: APPCONFIG_ANCHOR, strategy: { id: APPCONFIG_ANCHOR_STRATEGY } });
    await world.advance(600);
    anchor.tick();
    // 10 minutes in: 20 % of clients (exponential 10 → 20 → 40 → 80 → 100, one step each 4 minutes).
    expect(anchor.status()).toMatchObject({ percent: 20 });
    expect(anchor.done).toBe(false);
  } finally {
    world.dispose();
  }
});

describe('one seed of the anchor on config-gross-failure', () => {
  let r: ConfigBenchRun;
  beforeAll(async () => {
    r = await anchorRun('config-gross-failure');
  }, 60_000);

  it('AppConfig rolls it back on the error-rate guard (through the composite), after the onset; the routers follow within a poll', () => {
    expect(r).toMatchObject({ strategy: APPCONFIG_ANCHOR, outcome: 'rolled_back', regressionOnsetSeconds: 180, promotedAtSeconds: null });
    expect(r.reason).toBe(`Rollback initiated by ${alarmArn(monitorAlarmName('ConfigBench', 'Chat'))}`);
    expect(r.rollbackAtSeconds!).toBeGreaterThan(180);
    expect(r.detectionSeconds).toBe(r.rollbackAtSeconds! - 180);
    expect(r.allRoutersAtZeroSeconds! - r.rollbackAtSeconds!).toBeGreaterThanOrEqual(0);
    expect(r.allRoutersAtZeroSeconds! - r.rollbackAtSeconds!).toBeLessThanOrEqual(r.propagationSeconds + 1);
    expect(r.maxCanaryPercent).toBeLessThan(100);
    expect(r.blastRadiusFailed).toBeGreaterThan(0);
    // Users moved back by AppConfig's rollback are the rollback's, not a stale process's.
    expect(r.users!.switchedBackInRollback).toBeGreaterThan(0);
  });
});

describe('one seed of the anchor on config-chat-healthy', () => {
  let r: ConfigBenchRun;
  beforeAll(async () => {
    r = await anchorRun('config-chat-healthy');
  }, 60_000);

  it('completes: 100 % of clients at 20 minutes, then the bake; no rollback', () => {
    expect(r).toMatchObject({ strategy: APPCONFIG_ANCHOR, outcome: 'promoted', rollbackAtSeconds: null, maxCanaryPercent: 100 });
    expect(r.reason).toMatch(/COMPLETE/);
    // The deployment starts when the deploy of the stack has finished, a few seconds after it began.
    expect(r.promotedAtSeconds!).toBeGreaterThanOrEqual(1200);
    expect(r.promotedAtSeconds!).toBeLessThan(1260);
  });

  it('users whose requests reached processes with different versions met both, and went back to the old one', () => {
    const u = r.users!;
    expect(u.onBothVersions).toBeGreaterThan(0);
    expect(u.switchedBack).toBeGreaterThan(0);
    expect(u.bothInSessionOutsideRollback).toBeGreaterThan(0);
    expect(u.switchedBackSticky).toBe(0);
    expect(u.switchedBackInRollback).toBe(0);
  });
});
