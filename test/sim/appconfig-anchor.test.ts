/**
 * The AppConfig anchor (sim/bench/appconfig-anchor.ts) on the simulated AppConfig alone: it deploys
 * the new config as a whole-config routing document with AppConfig.Canary10Percent20Minutes and the
 * guard alarms as monitors, then only watches: promoted when AppConfig completes, rolled back when
 * a monitor's alarm fires.
 */
import { parseRouting } from '../../runtime/routing';
import { AppConfigSim, type MonitoredAlarm } from '../../sim/aws/appconfig/appconfig';
import { APPCONFIG_ANCHOR_ASSUMPTIONS, APPCONFIG_ANCHOR_STRATEGY, type AppConfigAnchorContext, AppConfigGradualController, wholeConfigDocument } from '../../sim/bench/appconfig-anchor';

const GUARD = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ChatStack-Chat-ErrorRate';

function setup() {
  let now = 5_000_000;
  const alarms = new Map<string, MonitoredAlarm>([[GUARD, { state: 'OK', since: 0 }]]);
  const appconfig = new AppConfigSim(() => now, (arn) => alarms.get(arn));
  const applicationId = appconfig.createApplication('chat');
  const environmentId = appconfig.createEnvironment(applicationId, 'prod');
  const profileId = appconfig.createHostedProfile(applicationId, 'routing');
  const old = wholeConfigDocument({ version: 'v1', config: { promptVersion: '7' } });
  const v = appconfig.createHostedConfigurationVersion({ ApplicationId: applicationId, ConfigurationProfileId: profileId, Content: new TextEncoder().encode(JSON.stringify(old)), ContentType: 'application/json' });
  appconfig.startDeployment({ ApplicationId: applicationId, EnvironmentId: environmentId, ConfigurationProfileId: profileId, DeploymentStrategyId: 'AppConfig.AllAtOnce', ConfigurationVersion: String(v.VersionNumber) });
  now += 15 * 60_000; // the first deployment has baked
  const start = now;
  const notes: string[] = [];
  const ctx: AppConfigAnchorContext = {
    elapsed: () => (now - start) / 1000,
    appconfig,
    applicationId,
    environmentId,
    profileId,
    guardAlarmArns: [GUARD],
    newVersion: { version: 'v2', config: { promptVersion: '8' } },
    note: (t) => notes.push(t),
  };
  /** The routing a client at `share` reads. */
  const served = (share: number) => parseRouting(appconfig.servedVersion(environmentId, profileId, share)!.content, 'served');
  /** Runs the controller `seconds` virtual seconds; the percent each minute. */
  const run = (c: AppConfigGradualController, seconds: number) => {
    const percents: number[] = [];
    for (let s = 1; s <= seconds && !c.done; s++) {
      now += 1000;
      c.tick(ctx);
      if (s % 60 === 0) percents.push(c.clientPercent(ctx));
    }
    return percents;
  };
  return { appconfig, ctx, served, run, notes, alarms, now: () => now };
}

describe('AppConfigGradualController', () => {
  test('sets the guard alarms as monitors and deploys the new version as the whole config (no canary split) with Canary10Percent20Minutes', () => {
    const { appconfig, ctx, served, notes } = setup();
    const c = new AppConfigGradualController();
    c.start(ctx);
    expect(appconfig.getEnvironment({ ApplicationId: ctx.applicationId, EnvironmentId: ctx.environmentId }).Monitors).toEqual([{ AlarmArn: GUARD }]);
    const d = appconfig.getDeployment({ ApplicationId: ctx.applicationId, EnvironmentId: ctx.environmentId, DeploymentNumber: c.deploymentNumber });
    expect(d).toMatchObject({ DeploymentStrategyId: APPCONFIG_ANCHOR_STRATEGY, State: 'DEPLOYING', GrowthType: 'EXPONENTIAL', GrowthFactor: 10 });
    expect(notes[0]).toMatch(/Canary10Percent20Minutes/);
    const doc = wholeConfigDocument(ctx.newVersion);
    expect(doc).toEqual({ schema: 'cdk-model-canary/routing@1', salt: 'v2', stable: ctx.newVersion, canaryPercent: 0 });
    // Before the first step every client has the old document; after it, a client that has the deployment serves v2 to everyone.
    expect(served(0.05).stable.version).toBe('v1');
  });

  test('healthy: the clients grow 10 → 20 → 40 → 80 → 100 %, promoted when AppConfig completes after the 10-minute bake', () => {
    const { ctx, served, run } = setup();
    const c = new AppConfigGradualController();
    c.start(ctx);
    const percents = run(c, 40 * 60);
    expect(percents.slice(0, 21).filter((_, i) => i % 4 === 3)).toEqual([10, 20, 40, 80, 100]);
    expect(c).toMatchObject({ done: true, outcome: 'promoted' });
    expect(percents.length).toBe(30); // done at the end of the bake: 20 + 10 minutes
    expect(served(0.99)).toMatchObject({ stable: { version: 'v2' }, canaryPercent: 0 });
    expect(served(0.99).canary).toBeUndefined();
  });

  test('a guard alarm in ALARM at 10 minutes: rolled back by AppConfig, every client on v1, the alarm named', () => {
    const { ctx, served, run, alarms, now } = setup();
    const c = new AppConfigGradualController();
    c.start(ctx);
    run(c, 10 * 60);
    expect(c.clientPercent(ctx)).toBe(20);
    expect(served(0.05).stable.version).toBe('v2');
    alarms.set(GUARD, { state: 'ALARM', since: now() });
    run(c, 1);
    expect(c).toMatchObject({ done: true, outcome: 'rolled_back', reason: `Rollback initiated by ${GUARD}` });
    expect(c.clientPercent(ctx)).toBe(0);
    for (const share of [0.05, 0.5, 0.95]) expect(served(share).stable.version).toBe('v1');
  });

  test('more than 5 guard alarms: refused (AppConfig monitors at most 5)', () => {
    const { ctx } = setup();
    const c = new AppConfigGradualController();
    expect(() => c.start({ ...ctx, guardAlarmArns: Array.from({ length: 6 }, (_, i) => `${GUARD}${i}`) })).toThrow(/composite alarm/);
  });

  test('the assumptions say what is modelled: clients not users, the strategy, INSUFFICIENT_DATA', () => {
    expect(APPCONFIG_ANCHOR_ASSUMPTIONS).toMatch(/Canary10Percent20Minutes/);
    expect(APPCONFIG_ANCHOR_ASSUMPTIONS).toMatch(/CLIENTS/);
    expect(APPCONFIG_ANCHOR_ASSUMPTIONS).toMatch(/INSUFFICIENT_DATA/);
  });
});
