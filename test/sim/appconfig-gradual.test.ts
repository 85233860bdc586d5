/**
 * AppConfig's own gradual deployment in the simulator (sim/aws/appconfig/): linear and exponential
 * growth over the clients, the final bake, and the environment's monitors rolling a deployment back
 * when an alarm is in ALARM or INSUFFICIENT_DATA while it deploys or bakes, and not after.
 */
import { AppConfigSim, growthSteps, type MonitoredAlarm } from '../../sim/aws/appconfig/appconfig';
import { errorName } from './error-name';

const MINUTE = 60_000;
const ALARM_A = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Chat-ErrorRate';
const ALARM_B = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Chat-LatencyP95';
const OTHER = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Unrelated';

function setup(monitors: string[] = [ALARM_A, ALARM_B]) {
  let now = 1_000_000;
  const alarms = new Map<string, MonitoredAlarm>([ALARM_A, ALARM_B, OTHER].map((arn) => [arn, { state: 'OK', since: 0 }]));
  const sim = new AppConfigSim(() => now, (arn) => alarms.get(arn));
  const app = sim.createApplication('chat');
  const env = sim.createEnvironment(app, 'prod', monitors.map((AlarmArn) => ({ AlarmArn })));
  const profile = sim.createHostedProfile(app, 'routing');
  const instant = sim.createDeploymentStrategy({ name: 'instant', durationMinutes: 0, bakeMinutes: 0, growthFactor: 100 });
  const put = (text: string) =>
    sim.createHostedConfigurationVersion({ ApplicationId: app, ConfigurationProfileId: profile, Content: new TextEncoder().encode(text), ContentType: 'application/json' }).VersionNumber;
  const deploy = (version: number, strategy = instant) =>
    sim.startDeployment({ ApplicationId: app, EnvironmentId: env, ConfigurationProfileId: profile, DeploymentStrategyId: strategy, ConfigurationVersion: String(version) }).DeploymentNumber;
  const get = (n: number) => sim.getDeployment({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: n });
  const stop = (n: number, AllowRevert?: boolean) => sim.stopDeployment({ ApplicationId: app, EnvironmentId: env, DeploymentNumber: n, AllowRevert });
  /** Share (percent) of 1000 clients spread over [0, 1) that receive `content`. */
  const clientsOn = (content: string) => {
    let n = 0;
    for (let i = 0; i < 1000; i++) if (sim.servedVersion(env, profile, (i + 0.5) / 1000)?.content === content) n++;
    return n / 10;
  };
  const setAlarm = (arn: string, state: MonitoredAlarm['state'], actionsEnabled?: boolean) => alarms.set(arn, { state, since: now, actionsEnabled });
  /** v1 served to everyone, then v2 deployed with `strategy`. */
  const v1ThenV2 = (strategy: string) => {
    deploy(put('{"v":1}'));
    return deploy(put('{"v":2}'), strategy);
  };
  return { sim, app, env, profile, put, deploy, get, stop, clientsOn, setAlarm, v1ThenV2, advance: (ms: number) => (now += ms), now: () => now };
}

describe('growth over the clients', () => {
  test('linear (AppConfig.Linear20PercentEvery6Minutes): 20 % every 6 minutes, 0 % at the start, 100 % at the 30-minute duration, then a 30-minute bake', () => {
    const { get, clientsOn, v1ThenV2, advance } = setup([]);
    const n = v1ThenV2('AppConfig.Linear20PercentEvery6Minutes');
    const seen: [number, number, string][] = [];
    for (let minute = 0; minute <= 30; minute += 6) {
      seen.push([clientsOn('{"v":2}'), get(n).PercentageComplete, get(n).State]);
      advance(6 * MINUTE);
    }
    expect(seen).toEqual([
      [0, 0, 'DEPLOYING'],
      [20, 20, 'DEPLOYING'],
      [40, 40, 'DEPLOYING'],
      [60, 60, 'DEPLOYING'],
      [80, 80, 'DEPLOYING'],
      [100, 100, 'BAKING'],
    ]);
  });

  test('linear: just before the duration one step is still missing; the bake ends at duration + bake', () => {
    const { get, clientsOn, v1ThenV2, advance } = setup([]);
    const n = v1ThenV2('AppConfig.Linear20PercentEvery6Minutes');
    advance(30 * MINUTE - 1);
    expect(clientsOn('{"v":2}')).toBe(80);
    advance(1);
    expect(clientsOn('{"v":2}')).toBe(100);
    advance(30 * MINUTE - 1);
    expect(get(n).State).toBe('BAKING');
    advance(1);
    expect(get(n).State).toBe('COMPLETE');
  });

  test('exponential (AppConfig.Canary10Percent20Minutes): G·2^N, 10 → 20 → 40 → 80 → 100 %, one step every 4 minutes', () => {
    const { get, clientsOn, v1ThenV2, advance } = setup([]);
    const n = v1ThenV2('AppConfig.Canary10Percent20Minutes');
    expect(get(n).GrowthType).toBe('EXPONENTIAL');
    const seen: number[] = [];
    for (let minute = 0; minute <= 20; minute += 4) {
      seen.push(clientsOn('{"v":2}'));
      advance(4 * MINUTE);
    }
    expect(seen).toEqual([0, 10, 20, 40, 80, 100]);
    const updates = get(n).EventLog.filter((e) => e.EventType === 'PERCENTAGE_UPDATED').map((e) => e.Description);
    expect(updates).toEqual(['100.00', '80.00', '40.00', '20.00', '10.00'].map((p) => `Configuration available to ${p}% of clients`));
  });

  test('the steps of a growth factor: exponential doubles and caps at 100, linear adds; LINEAR by default', () => {
    expect(growthSteps({ growthFactor: 2, growthType: 'EXPONENTIAL' })).toEqual([2, 4, 8, 16, 32, 64, 100]);
    expect(growthSteps({ growthFactor: 30, growthType: 'LINEAR' })).toEqual([30, 60, 90, 100]);
    expect(growthSteps({ growthFactor: 25 })).toEqual([25, 50, 75, 100]);
    const { sim } = setup([]);
    expect(errorName(() => sim.createDeploymentStrategy({ name: 'x', durationMinutes: 1, bakeMinutes: 0, growthFactor: 10, growthType: 'STEP' as never }))).toBe('BadRequestException');
  });
});

describe('monitors: an alarm rolls the deployment back', () => {
  test('ALARM while DEPLOYING: ROLLED_BACK at once, every client back on the previous version, the alarm named in the event log', () => {
    const { app, env, sim, get, clientsOn, setAlarm, v1ThenV2, advance } = setup();
    const n = v1ThenV2('AppConfig.Canary10Percent20Minutes');
    advance(9 * MINUTE);
    expect(clientsOn('{"v":2}')).toBe(20);
    setAlarm(ALARM_B, 'ALARM');
    expect(get(n).State).toBe('ROLLED_BACK');
    expect(clientsOn('{"v":1}')).toBe(100);
    expect(sim.getEnvironment({ ApplicationId: app, EnvironmentId: env }).State).toBe('ROLLED_BACK');
    const rollback = get(n).EventLog.find((e) => e.EventType === 'ROLLBACK_STARTED');
    expect(rollback).toMatchObject({ TriggeredBy: 'CLOUDWATCH_ALARM', Description: `Rollback initiated by ${ALARM_B}` });
    // It stays rolled back when the alarm recovers; the next deployment may start.
    setAlarm(ALARM_B, 'OK');
    advance(60 * MINUTE);
    expect(get(n).State).toBe('ROLLED_BACK');
    expect(clientsOn('{"v":1}')).toBe(100);
  });

  test('only the monitored alarms count, and not one whose actions are disabled', () => {
    const { get, clientsOn, setAlarm, v1ThenV2, advance } = setup([ALARM_A]);
    const n = v1ThenV2('AppConfig.Canary10Percent20Minutes');
    advance(9 * MINUTE);
    setAlarm(OTHER, 'ALARM');
    setAlarm(ALARM_B, 'ALARM');
    setAlarm(ALARM_A, 'ALARM', false);
    advance(MINUTE);
    expect(get(n).State).toBe('DEPLOYING');
    expect(clientsOn('{"v":2}')).toBe(20);
    setAlarm(ALARM_A, 'ALARM', true);
    expect(get(n).State).toBe('ROLLED_BACK');
  });

  test('INSUFFICIENT_DATA rolls back too, also during the final bake', () => {
    const { get, clientsOn, setAlarm, v1ThenV2, advance } = setup();
    const n = v1ThenV2('AppConfig.Canary10Percent20Minutes');
    advance(25 * MINUTE);
    expect(get(n).State).toBe('BAKING');
    expect(clientsOn('{"v":2}')).toBe(100);
    setAlarm(ALARM_A, 'INSUFFICIENT_DATA');
    expect(get(n).State).toBe('ROLLED_BACK');
    expect(clientsOn('{"v":1}')).toBe(100);
  });

  test('an alarm already in ALARM when the deployment starts rolls it back before any client has it', () => {
    const { get, clientsOn, setAlarm, v1ThenV2, advance } = setup();
    setAlarm(ALARM_A, 'ALARM');
    advance(MINUTE);
    const n = v1ThenV2('AppConfig.Linear20PercentEvery6Minutes');
    expect(get(n).State).toBe('ROLLED_BACK');
    advance(6 * MINUTE);
    expect(clientsOn('{"v":1}')).toBe(100);
  });

  test('an alarm during the bake seen only later (no read in between) still rolls back, at the moment it fired', () => {
    const { sim, get, setAlarm, v1ThenV2, advance, now } = setup();
    const n = v1ThenV2('AppConfig.Canary10Percent20Minutes');
    advance(25 * MINUTE);
    const firedAt = now();
    setAlarm(ALARM_A, 'ALARM');
    advance(20 * MINUTE); // past the end of the bake before anyone reads
    expect(get(n).State).toBe('ROLLED_BACK');
    expect(sim.deployments.find((d) => d.number === n)?.stoppedAt).toBe(firedAt);
  });

  test('after the bake ends, an alarm no longer rolls back: the deployment stays COMPLETE and served', () => {
    const { get, clientsOn, setAlarm, v1ThenV2, advance } = setup();
    const n = v1ThenV2('AppConfig.Canary10Percent20Minutes');
    advance(30 * MINUTE); // no read at the end of the bake: the window itself must exclude later alarms
    setAlarm(ALARM_A, 'ALARM');
    setAlarm(ALARM_B, 'INSUFFICIENT_DATA');
    advance(MINUTE);
    expect(get(n).State).toBe('COMPLETE');
    expect(clientsOn('{"v":2}')).toBe(100);
  });

  test('monitors: at most 5; an environment with monitors needs an alarm reader; UpdateEnvironment replaces them', () => {
    const { sim, app, env, put, deploy } = setup([]);
    const six = Array.from({ length: 6 }, (_, i) => ({ AlarmArn: `${ALARM_A}${i}` }));
    expect(errorName(() => sim.createEnvironment(app, 'too-many', six))).toBe('BadRequestException');
    expect(sim.updateEnvironment({ ApplicationId: app, EnvironmentId: env, Monitors: [{ AlarmArn: ALARM_A }] }).Monitors).toEqual([{ AlarmArn: ALARM_A }]);
    sim.setAlarmStateReader(undefined);
    expect(() => deploy(put('{"v":1}'))).toThrow(/reads no alarm states/);
  });
});

describe('StopDeployment is unchanged by the monitors', () => {
  test('DEPLOYING: ROLLED_BACK by the user; BAKING only with AllowRevert; COMPLETE reverted with AllowRevert; a rolled-back one cannot be stopped', () => {
    const { get, stop, clientsOn, setAlarm, v1ThenV2, deploy, put, advance } = setup();
    const a = v1ThenV2('AppConfig.Canary10Percent20Minutes');
    advance(5 * MINUTE);
    expect(stop(a).State).toBe('ROLLED_BACK');
    expect(get(a).EventLog.find((e) => e.EventType === 'ROLLBACK_STARTED')?.TriggeredBy).toBe('USER');
    expect(clientsOn('{"v":1}')).toBe(100);

    const b = deploy(put('{"v":3}'), 'AppConfig.Canary10Percent20Minutes');
    advance(25 * MINUTE);
    expect(errorName(() => stop(b))).toBe('BadRequestException');
    expect(stop(b, true).State).toBe('ROLLED_BACK');

    const c = deploy(put('{"v":4}'), 'AppConfig.Canary10Percent20Minutes');
    advance(31 * MINUTE);
    expect(stop(c, true).State).toBe('REVERTED');
    expect(clientsOn('{"v":1}')).toBe(100);

    const d = deploy(put('{"v":5}'), 'AppConfig.Canary10Percent20Minutes');
    setAlarm(ALARM_A, 'ALARM');
    expect(get(d).State).toBe('ROLLED_BACK');
    expect(errorName(() => stop(d, true))).toBe('BadRequestException');
  });
});
