/**
 * The world's AppConfig reads the world's CloudWatch (sim/world/service-glue.ts monitoredAlarm): an
 * environment whose Monitors the template names rolls a gradual deployment back when the stack's
 * guard alarm goes to ALARM on its own metrics, at the alarm's transition; a composite alarm
 * monitors the same way, at once (SetAlarmState, no time passing). The template's GrowthType reaches the sim.
 */
import type { AppConfigTargetConfig } from '../../lambda/targets/appconfig/contract';
import { alarmArn } from '../../sim/aws/cloudwatch/alarm-types';
import type { CfnTemplate } from '../../sim/aws/cloudformation/template';
import { CONFIG_BENCH_CANARY, configBenchStack } from '../../sim/bench/config-bench';
import { SimWorld } from '../../sim/world/world';

const ERROR_RATE = 'ConfigBench-Chat-ErrorRate';
const ROLE = 'arn:aws:iam::123456789012:role/AppConfigMonitors';

/** The bench's stable stack with the ErrorRate guard as the environment's monitor and a gradual (exponential) strategy. */
function monitoredStack() {
  const base = configBenchStack('1');
  const template = JSON.parse(JSON.stringify(base.template)) as CfnTemplate;
  const byType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
  const [, environment] = byType('AWS::AppConfig::Environment')[0];
  const [guardId] = byType('AWS::CloudWatch::Alarm').find(([, r]) => r.Properties?.AlarmName === ERROR_RATE)!;
  environment.Properties!.Monitors = [{ AlarmArn: { 'Fn::GetAtt': [guardId, 'Arn'] }, AlarmRoleArn: ROLE }];
  template.Resources.GradualStrategy = {
    Type: 'AWS::AppConfig::DeploymentStrategy',
    Properties: { Name: 'gradual', DeploymentDurationInMinutes: 20, FinalBakeTimeInMinutes: 10, GrowthFactor: 10, GrowthType: 'EXPONENTIAL', ReplicateTo: 'NONE' },
  };
  return { stackName: base.stackName, template };
}

async function setup() {
  const world = SimWorld.fromStack(monitoredStack(), { seed: 1, canaryName: CONFIG_BENCH_CANARY });
  await world.deploy('1');
  const { applicationId: ApplicationId, environmentId: EnvironmentId, profileId: ConfigurationProfileId } = world.targetConfig as AppConfigTargetConfig;
  const strategy = [...world.appconfig.strategies.values()].find((s) => s.name === 'gradual')!;
  const served = (share: number) => JSON.parse(world.appconfig.servedVersion(EnvironmentId, ConfigurationProfileId, share)!.content) as { stable: { version: string } };
  /** Starts a gradual deployment of a whole-config document of version `v`: returns its record, read without any API (no poll). */
  const deployGradually = (v: string) => {
    const doc = { schema: 'cdk-model-canary/routing@1', salt: v, stable: { version: v, config: {} }, canaryPercent: 0 };
    const { VersionNumber } = world.appconfig.createHostedConfigurationVersion({ ApplicationId, ConfigurationProfileId, Content: new TextEncoder().encode(JSON.stringify(doc)), ContentType: 'application/json' });
    const { DeploymentNumber } = world.appconfig.startDeployment({ ApplicationId, EnvironmentId, ConfigurationProfileId, DeploymentStrategyId: strategy.id, ConfigurationVersion: String(VersionNumber) });
    return world.appconfig.deployments.find((d) => d.environmentId === EnvironmentId && d.number === DeploymentNumber)!;
  };
  /** One minute of the guard's metrics (Version 1, as the alarm of the stable stack reads): `errors` of 100 requests. */
  const publish = (errors: number) => {
    const Dimensions = [{ Name: 'Canary', Value: 'Chat' }, { Name: 'Stack', Value: 'ConfigBench' }, { Name: 'Version', Value: '1' }];
    const Timestamp = new Date(world.now());
    world.cloudwatch.putMetricData({ Namespace: 'ModelCanary', MetricData: [{ MetricName: 'Requests', Dimensions, Value: 100, Timestamp }, { MetricName: 'Errors', Dimensions, Value: errors, Timestamp }] });
  };
  return { world, ids: { ApplicationId, EnvironmentId }, strategy, served, deployGradually, publish };
}

describe("the world's AppConfig monitors the stack's CloudWatch alarms", () => {
  let s: Awaited<ReturnType<typeof setup>>;
  afterEach(() => s?.world.dispose());

  test("the template's Monitors and GrowthType reach the simulated AppConfig", async () => {
    s = await setup();
    expect(s.world.appconfig.getEnvironment(s.ids).Monitors).toEqual([{ AlarmArn: alarmArn(ERROR_RATE), AlarmRoleArn: ROLE }]);
    expect(s.strategy).toMatchObject({ growthType: 'EXPONENTIAL', growthFactor: 10, durationMinutes: 20, bakeMinutes: 10 });
  });

  test('the guard alarm going to ALARM on its metrics rolls the gradual deployment back at the transition (its record, read without any API)', async () => {
    s = await setup();
    const { world } = s;
    // A new alarm is in INSUFFICIENT_DATA until its first evaluation, which would roll back at once.
    await world.advance(120);
    expect(world.alarm(ERROR_RATE)!.state).toBe('OK');
    const d = s.deployGradually('2');
    // Healthy for 8 minutes: the deployment grows (20 % of clients at 8 of 20 minutes).
    for (let m = 0; m < 8; m++) {
      s.publish(0);
      await world.advance(60);
    }
    expect(d.stoppedState).toBeUndefined();
    expect(s.served(0.15).stable.version).toBe('2');
    // Then half the requests fail: the guard needs 5 of 5 minutes above 5 %.
    for (let m = 0; m < 8 && world.alarm(ERROR_RATE)!.state !== 'ALARM'; m++) {
      s.publish(50);
      await world.advance(60);
    }
    const fired = world.cloudwatch.transitions.find((t) => t.alarmName === ERROR_RATE && t.to === 'ALARM');
    expect(fired).toBeDefined();
    // The record, read directly (no GetDeployment, no client poll): rolled back by the alarm at its transition.
    expect(d).toMatchObject({ stoppedState: 'ROLLED_BACK', stoppedAt: fired!.at, rolledBackByAlarm: alarmArn(ERROR_RATE) });
    for (const share of [0.05, 0.5, 0.95]) expect(s.served(share).stable.version).toBe('1');
  });

  test('a composite alarm over the guard monitors the same way; an alarm that is no monitor does nothing', async () => {
    s = await setup();
    const { world } = s;
    world.compositeAlarms.put({ AlarmName: 'ConfigBench-Chat-AnyGuard', AlarmRule: `ALARM("${ERROR_RATE}")` });
    world.appconfig.updateEnvironment({ ...s.ids, Monitors: [{ AlarmArn: alarmArn('ConfigBench-Chat-AnyGuard') }] });
    const d = s.deployGradually('2');
    await world.advance(30);
    world.setAlarmState('ConfigBench-Chat-LatencyP95', 'ALARM');
    await world.advance(30);
    expect(d.stoppedState).toBeUndefined();
    world.setAlarmState(ERROR_RATE, 'ALARM');
    expect(d).toMatchObject({ stoppedState: 'ROLLED_BACK', stoppedAt: world.now(), rolledBackByAlarm: alarmArn('ConfigBench-Chat-AnyGuard') });
  });
});
