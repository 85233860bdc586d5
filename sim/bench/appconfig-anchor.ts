/**
 * An anchor for the config canary ("what you would do without us"): the team releases the new config
 * with AWS AppConfig's own gradual deployment, AppConfig.Canary10Percent20Minutes, with the canary's
 * guard alarms as the environment's monitors, and lets AppConfig roll back. The controller only
 * starts the deployment and watches it; the simulated AppConfig (sim/aws/appconfig/) grows it over
 * the clients and rolls it back on a monitor's alarm.
 *
 * Wiring: AppConfigAnchor (below) is the ConfigController the config bench runs under the name
 * APPCONFIG_ANCHOR (sim/bench/config-bench.ts configControllerFor): the release resource records the
 * deploy and starts no workflow and the alarm fast path does nothing (anchorHandlers, as for the
 * Lambda anchors), so only AppConfig moves the routers. The world's AppConfig reads its CloudWatch's
 * alarms (sim/world/service-glue.ts monitoredAlarm) and applies the monitors at every alarm
 * transition; router process i is AppConfig's client at share (i + ½) / N
 * (sim/targets/appconfig.ts). The run's canary share is clientPercent(): the share of clients
 * AppConfig has given the new version, 0 after a rollback.
 */
import { ROUTING_SCHEMA, type RoutedVersion, type RoutingDocument } from '../../runtime/routing';
import { type AppConfigSim, type DeploymentState, MAX_MONITORS } from '../aws/appconfig/appconfig';
import { alarmArn } from '../aws/cloudwatch/alarm-types';
import type { ConfigController, ConfigControllerContext, ConfigControllerStatus } from './config-controller';
import { anchorHandlers } from './strategies';

/** The bench's name for this anchor. */
export const APPCONFIG_ANCHOR = 'appconfig-canary10-20min';

/**
 * The predefined strategy the anchor deploys with. Canary10Percent20Minutes rather than
 * Linear20PercentEvery6Minutes: it is what aws-cdk-lib's appconfig HostedConfiguration deploys with
 * when the team names no strategy (the path of least resistance in a CDK app), AWS recommends both
 * for production, and like the CodeDeploy anchor's Canary10Percent5Minutes it exposes 10 % first.
 */
export const APPCONFIG_ANCHOR_STRATEGY = 'AppConfig.Canary10Percent20Minutes';

/** What the anchor is, as modelled here (for ANCHOR_ASSUMPTIONS; BENCHMARKS.md prints these). */
export const APPCONFIG_ANCHOR_ASSUMPTIONS =
  "AWS AppConfig's own gradual deployment with the predefined AppConfig.Canary10Percent20Minutes (what aws-cdk-lib's " +
  'HostedConfiguration uses when no strategy is named; AWS recommended for production): exponential growth G·2^N with ' +
  'G = 10 %, so 10 → 20 → 40 → 80 → 100 % of clients, the 20-minute duration split evenly over the five steps (0 % for the ' +
  'first 4 minutes and 100 % at 20 minutes, as the user guide\'s linear timeline; the spacing of exponential steps is not ' +
  'documented), then a 10-minute final bake. The new config is deployed as a routing document whose stable is the new ' +
  'version (no canary split), so a router process that has the deployment serves every request from it. The environment\'s ' +
  "monitors are the canary's guard alarms; AppConfig monitors at most 5, so the bench's seven are combined in one composite " +
  'alarm (ALARM(a) OR ALARM(b) …; a member in INSUFFICIENT_DATA does not fire it). The four guards against stable alarm on ' +
  "the evidence the library's check step publishes: without the workflow nobody publishes it and they stay OK (missing data " +
  'not breaching), so in effect the error-rate and p95-latency guards (5 of 5 one-minute points) and the 10-second ' +
  'fast error-rate guard watch the deployment (a failing new config is caught once a router process has it). ' +
  'AppConfig rolls back (ROLLED_BACK, every client back on the previous ' +
  'version) when one of them is in ALARM or INSUFFICIENT_DATA at any moment of the deployment or the bake, alarms with ' +
  'actions disabled excepted, as soon as the alarm changes state (AppConfig documents no polling interval of its own). An ' +
  'alarm still in INSUFFICIENT_DATA when the deployment starts rolls it back at once. After the bake nothing watches. The ' +
  'share grows over CLIENTS (router processes polling AppConfig), not users: a user whose requests reach several processes ' +
  "meets both versions during the rollout (the AppConfig Agent's entity-based gradual deployments, which keep a user on one " +
  'version, are not modelled); with the bench\'s 4 router processes at shares 12.5, 37.5, 62.5 and 87.5 %, the 10 % step ' +
  'reaches none of them, 20 % one, 40 % two, 80 % three. Promoted (the run\'s promotion time) when AppConfig reaches 100 % ' +
  'and its bake starts; done when the deployment is COMPLETE or ROLLED_BACK.';

/** What the controller may do and read: the simulated AppConfig and the release's ids. */
export interface AppConfigAnchorContext {
  /** Seconds since the controller started (the deploy of the new config finished). */
  elapsed(): number;
  readonly appconfig: AppConfigSim;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  /** The canary's guard alarms, by ARN: the environment's monitors. */
  readonly guardAlarmArns: readonly string[];
  /** The new config: its version (the metrics' Version dimension) and the JSON the application reads. */
  readonly newVersion: RoutedVersion;
  /** Recorded as the caller of AppConfig. @default APPCONFIG_ANCHOR */
  readonly by?: string;
  note(text: string): void;
}

export interface AppConfigGradualOptions {
  /** A deployment strategy id of the simulated AppConfig. @default APPCONFIG_ANCHOR_STRATEGY */
  readonly strategyId?: string;
  /** IAM role AppConfig reads the alarms with (recorded on the monitors, not checked). */
  readonly alarmRoleArn?: string;
}

/** The routing document that gives every request of a client to `version`. */
export function wholeConfigDocument(version: RoutedVersion): RoutingDocument {
  return { schema: ROUTING_SCHEMA, salt: version.version, stable: version, canaryPercent: 0 };
}

/** start() once, then tick() every virtual second until done. */
export class AppConfigGradualController {
  public done = false;
  public outcome?: 'promoted' | 'rolled_back';
  public reason?: string;
  public deploymentNumber?: number;
  private readonly strategyId: string;

  constructor(private readonly o: AppConfigGradualOptions = {}) {
    this.strategyId = o.strategyId ?? APPCONFIG_ANCHOR_STRATEGY;
  }

  /** Sets the monitors, uploads the new config as a hosted version and starts its deployment. */
  public start(ctx: AppConfigAnchorContext): void {
    if (ctx.guardAlarmArns.length > MAX_MONITORS) {
      throw new Error(`${APPCONFIG_ANCHOR}: ${ctx.guardAlarmArns.length} guard alarms, AppConfig monitors at most ${MAX_MONITORS}: combine them in a composite alarm`);
    }
    const ids = { ApplicationId: ctx.applicationId, EnvironmentId: ctx.environmentId };
    const Monitors = ctx.guardAlarmArns.map((AlarmArn) => ({ AlarmArn, ...(this.o.alarmRoleArn ? { AlarmRoleArn: this.o.alarmRoleArn } : {}) }));
    ctx.appconfig.updateEnvironment({ ...ids, Monitors });
    const by = ctx.by ?? APPCONFIG_ANCHOR;
    const content = new TextEncoder().encode(JSON.stringify(wholeConfigDocument(ctx.newVersion)));
    const { VersionNumber } = ctx.appconfig.createHostedConfigurationVersion({ ApplicationId: ctx.applicationId, ConfigurationProfileId: ctx.profileId, Content: content, ContentType: 'application/json' }, by);
    this.deploymentNumber = ctx.appconfig.startDeployment(
      { ...ids, ConfigurationProfileId: ctx.profileId, DeploymentStrategyId: this.strategyId, ConfigurationVersion: String(VersionNumber) },
      by,
    ).DeploymentNumber;
    ctx.note(`deployment ${this.deploymentNumber} of ${ctx.newVersion.version} with ${this.strategyId}, monitors: ${ctx.guardAlarmArns.join(', ') || 'none'}`);
  }

  /** Watches the deployment: AppConfig does the rest. */
  public tick(ctx: AppConfigAnchorContext): void {
    if (this.done || this.deploymentNumber === undefined) return;
    const d = this.deployment(ctx);
    if (d.State === 'ROLLED_BACK') {
      const rollback = d.EventLog.find((e) => e.EventType === 'ROLLBACK_STARTED');
      this.finish('rolled_back', rollback?.Description ?? 'deployment rolled back');
    } else if (d.State === 'COMPLETE') {
      this.finish('promoted', `deployment COMPLETE: 100 % of clients and a ${d.FinalBakeTimeInMinutes}-minute bake without an alarm`);
    }
  }

  /** The share of clients (percent) that serve the new version now: 0 before the start and after a rollback. */
  public clientPercent(ctx: AppConfigAnchorContext): number {
    if (this.deploymentNumber === undefined) return 0;
    const d = this.deployment(ctx);
    return isLive(d.State) ? d.PercentageComplete : 0;
  }

  private deployment(ctx: AppConfigAnchorContext) {
    return ctx.appconfig.getDeployment({ ApplicationId: ctx.applicationId, EnvironmentId: ctx.environmentId, DeploymentNumber: this.deploymentNumber });
  }

  private finish(outcome: 'promoted' | 'rolled_back', reason: string): void {
    this.done = true;
    this.outcome = outcome;
    this.reason = reason;
  }
}

function isLive(state: DeploymentState): boolean {
  return state === 'DEPLOYING' || state === 'BAKING' || state === 'COMPLETE';
}

/** The name of the composite alarm the anchor monitors when the canary has more guards than AppConfig monitors. */
export const monitorAlarmName = (stackName: string, canaryName: string) => `${stackName}-${canaryName}-AppConfigMonitors`;

/**
 * The anchor as the config bench runs it (ConfigController): the release resource starts no
 * workflow, the guard alarms become the environment's monitors (through one composite alarm when
 * there are more than AppConfig allows), the new config is deployed with AppConfig's gradual
 * strategy, and AppConfig alone decides.
 */
export class AppConfigAnchor implements ConfigController {
  public readonly name = APPCONFIG_ANCHOR;
  private readonly gradual: AppConfigGradualController;
  private anchor?: AppConfigAnchorContext;

  constructor(options: AppConfigGradualOptions = {}) {
    this.gradual = new AppConfigGradualController(options);
  }

  public get done(): boolean {
    return this.gradual.done;
  }

  public get outcome(): 'promoted' | 'rolled_back' | undefined {
    return this.gradual.outcome;
  }

  public get reason(): string | undefined {
    return this.gradual.reason;
  }

  public handlers() {
    return anchorHandlers();
  }

  public start(ctx: ConfigControllerContext): void {
    const { world, target } = ctx;
    const release = Object.values(world.template.Resources).find((r) => r.Properties?.CanaryName === target.canaryName && (r.Properties?.Target as { kind?: string } | undefined)?.kind === 'appconfig');
    const version = release?.Properties?.Version;
    const content = release?.Properties?.VersionContent;
    if (typeof version !== 'string' || typeof content !== 'string') throw new Error(`${APPCONFIG_ANCHOR}: no release resource of ${target.canaryName} with a literal Version and VersionContent`);
    const prefix = `${target.stackName}-${target.canaryName}-`;
    const guards = [...world.cloudwatch.alarms.values()]
      .map((a) => a.definition)
      .filter((d) => d.AlarmName.startsWith(prefix) && (d.AlarmDescription ?? '').startsWith('cdk-model-canary guard'))
      .map((d) => d.AlarmName);
    let monitored = guards;
    if (guards.length > MAX_MONITORS) {
      // What a team would declare next to its alarms: "combine them in a composite alarm" (the monitors' limit of 5).
      const name = monitorAlarmName(target.stackName, target.canaryName);
      world.compositeAlarms.put({ AlarmName: name, AlarmRule: guards.map((g) => `ALARM("${g}")`).join(' OR '), AlarmDescription: `${APPCONFIG_ANCHOR}: any guard of ${target.canaryName}` });
      monitored = [name];
      ctx.note(`${guards.length} guard alarms combined in ${name}`);
    }
    this.anchor = {
      elapsed: () => ctx.elapsed(),
      appconfig: world.appconfig,
      applicationId: target.applicationId,
      environmentId: target.environmentId,
      profileId: target.profileId,
      guardAlarmArns: monitored.map(alarmArn),
      newVersion: { version, config: JSON.parse(content) as unknown },
      note: (text) => ctx.note(text),
    };
    this.gradual.start(this.anchor);
  }

  public tick(): void {
    if (this.anchor) this.gradual.tick(this.anchor);
  }

  /** The share of clients AppConfig reached; the rollback and the 100 % step from the deployment's event log. */
  public status(): ConfigControllerStatus {
    const a = this.anchor;
    if (!a || this.gradual.deploymentNumber === undefined) return { percent: 0 };
    const d = a.appconfig.getDeployment({ ApplicationId: a.applicationId, EnvironmentId: a.environmentId, DeploymentNumber: this.gradual.deploymentNumber });
    const at = (type: string) => d.EventLog.find((e) => e.EventType === type)?.OccurredAt.getTime();
    return { percent: this.gradual.clientPercent(a), rolledBackAt: at('ROLLBACK_STARTED'), promotedAt: at('BAKE_TIME_STARTED') };
  }
}
