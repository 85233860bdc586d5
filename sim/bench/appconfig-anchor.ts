/**
 * An anchor for the config canary ("what you would do without us"): the team releases the new config
 * with AWS AppConfig's own gradual deployment, AppConfig.Canary10Percent20Minutes, with the canary's
 * guard alarms as the environment's monitors, and lets AppConfig roll back. The controller only
 * starts the deployment and watches it; the simulated AppConfig (sim/aws/appconfig/) grows it over
 * the clients and rolls it back on a monitor's alarm.
 *
 * How it is meant to be wired (nothing here is wired yet; sim/bench/strategies.ts is not edited):
 * - strategies.ts: add APPCONFIG_ANCHOR to ANCHOR_STRATEGIES and APPCONFIG_ANCHOR_ASSUMPTIONS to
 *   ANCHOR_ASSUMPTIONS; run it on an AppConfig scenario (runStrategy runs the Lambda canary only
 *   today) with the ConfigModelCanary example stack and anchorHandlers() (the release resource
 *   records the deploy and starts no workflow), then call start(ctx) after the deploy of the new
 *   config and tick(ctx) once a virtual second until `done`.
 * - The canary's weight for the measurements (steps, weightZeroAtSeconds, promotedAtSeconds) is
 *   clientPercent(ctx): the share of clients (router processes) AppConfig has given the new
 *   version, 0 after a rollback. Its requests are those served under newVersion.version.
 * - The world (sim/world/world.ts) gives its AppConfigSim an AlarmStateReader over its CloudWatch:
 *   `new AppConfigSim(now, (arn) => …)` or `appconfig.setAlarmStateReader(…)`, finding the alarm
 *   whose alarmArn(AlarmName) is `arn` (composite alarms too) and returning { state, since:
 *   transitionedAt, actionsEnabled: definition.ActionsEnabled !== false }; and it calls
 *   appconfig.pollMonitors() once a virtual second, after the alarms' evaluation.
 * - The routers (sim/targets/appconfig.ts) read servedVersion(environment, profile, share) with a
 *   share per router process and send each request to a random process (today every router reads
 *   share 0, so all would switch together at the first step).
 * - guardAlarmArns: the canary's guard alarms, at most 5 (AppConfig's limit on monitors); more must
 *   be combined in one composite alarm first.
 */
import { ROUTING_SCHEMA, type RoutedVersion, type RoutingDocument } from '../../runtime/routing';
import { type AppConfigSim, type DeploymentState, MAX_MONITORS } from '../aws/appconfig/appconfig';

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
  "monitors are the canary's guard alarms (at most 5); AppConfig rolls back (ROLLED_BACK, every client back on the previous " +
  'version) when one of them is in ALARM or INSUFFICIENT_DATA at any moment of the deployment or the bake, alarms with ' +
  'actions disabled excepted, as soon as the alarm changes state (AppConfig documents no polling interval of its own). An ' +
  'alarm still in INSUFFICIENT_DATA when the deployment starts rolls it back at once. After the bake nothing watches. The ' +
  'share grows over CLIENTS (router processes polling AppConfig), not users: a user whose requests reach several processes ' +
  "meets both versions during the rollout (the AppConfig Agent's entity-based gradual deployments, which keep a user on one " +
  'version, are not modelled). Done when the deployment is COMPLETE (promoted) or ROLLED_BACK.';

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
