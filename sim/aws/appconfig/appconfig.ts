/**
 * AWS AppConfig, the parts a config canary uses: applications, environments (with their monitors),
 * hosted configuration profiles, deployment strategies, hosted configuration versions, deployments
 * (start, stop, get, list), and what a client polling the environment receives. A deployment's
 * state follows from the clock (no timers): DEPLOYING for the strategy's duration, BAKING for its
 * final bake time, then COMPLETE; a stopped one is ROLLED_BACK (or REVERTED when it had completed),
 * and so is one an environment's monitor rolls back (sim/aws/appconfig/deployments.ts: growth,
 * monitors, event log). Monitors read alarm states through an injected reader (the world's
 * CloudWatch), checked at every read and by pollMonitors(), which the world calls once a second.
 *
 * API: https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StartDeployment.html,
 * API_StopDeployment.html, API_GetDeployment.html, API_CreateHostedConfigurationVersion.html,
 * API_ListDeployments.html, API_CreateEnvironment.html, API_UpdateEnvironment.html
 * Guide: https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying-reverting.html
 * Quotas: https://docs.aws.amazon.com/general/latest/gr/appconfig.html
 */
import { awsError } from '../core/aws-errors';
import {
  type AlarmStateReader,
  clockState,
  completedAt,
  type DeploymentEvent,
  type DeploymentRecord,
  type DeploymentState,
  eventLog,
  type GrowthType,
  inProgress,
  type Monitor,
  monitorRollback,
  percentAt,
  PREDEFINED_STRATEGIES,
  type StrategyRecord,
} from './deployments';

export type { AlarmStateReader, AlarmStateValue, DeploymentEvent, DeploymentRecord, DeploymentState, GrowthType, Monitor, MonitoredAlarm, StrategyRecord } from './deployments';
export { growthSteps, percentAt, PREDEFINED_STRATEGIES } from './deployments';

/** Hosted configuration store: 2 MB per configuration version (quotas page, default). */
export const MAX_HOSTED_CONTENT_BYTES = 2 * 1024 * 1024;
/** StopDeployment with AllowRevert: "AppConfig only allows a revert within 72 hours of deployment completion". */
export const REVERT_WINDOW_MS = 72 * 3600 * 1000;
/** Ids match [a-z0-9]{4,7} (every AppConfig API's ApplicationId, EnvironmentId, … pattern). */
const ID_LENGTH = 7;

/** CreateEnvironment / UpdateEnvironment: "Array Members: Minimum number of 0 items. Maximum number of 5 items." */
export const MAX_MONITORS = 5;

/** GetEnvironment's State: "READY_FOR_DEPLOYMENT, DEPLOYING, ROLLING_BACK, ROLLED_BACK, REVERTED" (a rollback is instant here). */
export type EnvironmentState = 'READY_FOR_DEPLOYMENT' | 'DEPLOYING' | 'ROLLED_BACK' | 'REVERTED';

export interface EnvironmentRecord {
  readonly id: string;
  readonly applicationId: string;
  name: string;
  /** "Amazon CloudWatch alarms to monitor during the deployment process." */
  monitors: Monitor[];
}

export interface HostedVersion {
  readonly versionNumber: number;
  readonly content: string;
  readonly contentType: string;
  readonly versionLabel?: string;
  readonly createdAt: number;
  readonly by?: string;
}

/** GetDeployment's answer, the members the simulator keeps. */
export interface DeploymentDetails {
  readonly DeploymentNumber: number;
  readonly State: DeploymentState;
  /** "The percentage of targets for which the deployment is available." */
  readonly PercentageComplete: number;
  readonly ConfigurationVersion: string;
  readonly DeploymentStrategyId: string;
  readonly GrowthType: GrowthType;
  readonly GrowthFactor: number;
  readonly DeploymentDurationInMinutes: number;
  readonly FinalBakeTimeInMinutes: number;
  readonly StartedAt: Date;
  readonly CompletedAt?: Date;
  /** Newest first. */
  readonly EventLog: DeploymentEvent[];
}

interface Profile {
  readonly id: string;
  readonly applicationId: string;
  readonly name: string;
  readonly versions: HostedVersion[];
}

export class AppConfigSim {
  public readonly applications = new Map<string, { id: string; name: string }>();
  public readonly environments = new Map<string, EnvironmentRecord>();
  public readonly profiles = new Map<string, Profile>();
  public readonly strategies = new Map<string, StrategyRecord>(PREDEFINED_STRATEGIES.map((s) => [s.id, s]));
  public readonly deployments: DeploymentRecord[] = [];
  private ids = 0;

  /** `alarms` reads a monitored alarm's state (the world's CloudWatch); needed once an environment has monitors. */
  constructor(
    private readonly now: () => number,
    private alarms?: AlarmStateReader,
  ) {}

  /** Sets (or clears) how monitors read alarm states, for a world that creates its CloudWatch after AppConfig. */
  public setAlarmStateReader(reader: AlarmStateReader | undefined): void {
    this.alarms = reader;
  }

  public createApplication(name: string): string {
    const id = this.newId();
    this.applications.set(id, { id, name });
    return id;
  }

  /** CreateEnvironment; `monitors` are its Monitors (at most 5). */
  public createEnvironment(applicationId: string, name: string, monitors: readonly Monitor[] = []): string {
    this.requireApplication(applicationId);
    const id = this.newId();
    this.environments.set(id, { id, applicationId, name, monitors: checkMonitors(monitors) });
    return id;
  }

  /** UpdateEnvironment: Name and Monitors (given Monitors replace the environment's). */
  public updateEnvironment(input: { ApplicationId?: string; EnvironmentId?: string; Name?: string; Monitors?: readonly Monitor[] }): ReturnType<AppConfigSim['getEnvironment']> {
    const env = this.requireEnvironment(input.ApplicationId, input.EnvironmentId);
    if (input.Monitors !== undefined) env.monitors = checkMonitors(input.Monitors);
    if (input.Name !== undefined) env.name = input.Name;
    return this.getEnvironment(input);
  }

  /** GetEnvironment: its monitors and its state, from its latest deployment. */
  public getEnvironment(input: { ApplicationId?: string; EnvironmentId?: string }): { Id: string; ApplicationId: string; Name: string; Monitors: Monitor[]; State: EnvironmentState } {
    const env = this.requireEnvironment(input.ApplicationId, input.EnvironmentId);
    const latest = this.inEnvironment(env.id).pop();
    const state = latest ? this.stateOf(latest) : undefined;
    const State: EnvironmentState = !state || state === 'COMPLETE' ? 'READY_FOR_DEPLOYMENT' : state === 'DEPLOYING' || state === 'BAKING' ? 'DEPLOYING' : state;
    return { Id: env.id, ApplicationId: env.applicationId, Name: env.name, Monitors: env.monitors.map((m) => ({ ...m })), State };
  }

  public createHostedProfile(applicationId: string, name: string): string {
    this.requireApplication(applicationId);
    const id = this.newId();
    this.profiles.set(id, { id, applicationId, name, versions: [] });
    return id;
  }

  public createDeploymentStrategy(s: Omit<StrategyRecord, 'id'>): string {
    if (s.growthType !== undefined && s.growthType !== 'LINEAR' && s.growthType !== 'EXPONENTIAL') throw invalid('GrowthType must be LINEAR or EXPONENTIAL');
    if (s.durationMinutes < 0 || s.durationMinutes > 1440) throw invalid('DeploymentDurationInMinutes must be from 0 to 1440');
    if (s.bakeMinutes < 0 || s.bakeMinutes > 1440) throw invalid('FinalBakeTimeInMinutes must be from 0 to 1440');
    if (s.growthFactor < 1 || s.growthFactor > 100) throw invalid('GrowthFactor must be from 1 to 100');
    const id = this.newId();
    this.strategies.set(id, { ...s, id });
    return id;
  }

  /**
   * A new immutable version. `latestVersionNumber`, when given, must be the profile's latest
   * version number: "a locking token used to prevent race conditions" (CreateHostedConfigurationVersion).
   */
  public createHostedConfigurationVersion(
    input: { ApplicationId?: string; ConfigurationProfileId?: string; Content?: Uint8Array; ContentType?: string; LatestVersionNumber?: number; VersionLabel?: string },
    by?: string,
  ): { VersionNumber: number; ApplicationId: string; ConfigurationProfileId: string; ContentType: string; VersionLabel?: string } {
    const profile = this.requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    const bytes = input.Content ?? new Uint8Array();
    if (bytes.byteLength > MAX_HOSTED_CONTENT_BYTES) throw awsError('appconfig', 'PayloadTooLargeException', 413, `Configuration size ${bytes.byteLength} exceeds the limit of ${MAX_HOSTED_CONTENT_BYTES} bytes`);
    if (!input.ContentType) throw invalid('ContentType is required');
    const latest = profile.versions[profile.versions.length - 1]?.versionNumber ?? 0;
    if (input.LatestVersionNumber !== undefined && input.LatestVersionNumber !== latest) {
      throw awsError('appconfig', 'ConflictException', 409, `LatestVersionNumber ${input.LatestVersionNumber} does not match the latest version ${latest}`);
    }
    if (input.VersionLabel !== undefined && profile.versions.some((v) => v.versionLabel === input.VersionLabel)) {
      throw awsError('appconfig', 'ConflictException', 409, `Version label ${input.VersionLabel} is already in use`);
    }
    const version: HostedVersion = {
      versionNumber: latest + 1,
      content: new TextDecoder().decode(bytes),
      contentType: input.ContentType,
      ...(input.VersionLabel !== undefined ? { versionLabel: input.VersionLabel } : {}),
      createdAt: this.now(),
      by,
    };
    profile.versions.push(version);
    return { VersionNumber: version.versionNumber, ApplicationId: profile.applicationId, ConfigurationProfileId: profile.id, ContentType: version.contentType, VersionLabel: version.versionLabel };
  }

  public getHostedConfigurationVersion(input: { ApplicationId?: string; ConfigurationProfileId?: string; VersionNumber?: number }): { Content: Uint8Array; ContentType: string; VersionNumber: number; VersionLabel?: string } {
    const profile = this.requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    const v = profile.versions.find((x) => x.versionNumber === input.VersionNumber);
    if (!v) throw notFound(`Hosted configuration version ${input.VersionNumber} of profile ${profile.id} does not exist`);
    return { Content: new TextEncoder().encode(v.content), ContentType: v.contentType, VersionNumber: v.versionNumber, VersionLabel: v.versionLabel };
  }

  /** Newest first (ListHostedConfigurationVersions), one page: a canary keeps a few dozen at most. */
  public listHostedConfigurationVersions(input: { ApplicationId?: string; ConfigurationProfileId?: string }): { Items: { VersionNumber: number; VersionLabel?: string; ContentType: string }[] } {
    const profile = this.requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    return { Items: profile.versions.slice().reverse().map((v) => ({ VersionNumber: v.versionNumber, VersionLabel: v.versionLabel, ContentType: v.contentType })) };
  }

  public deleteHostedConfigurationVersion(input: { ApplicationId?: string; ConfigurationProfileId?: string; VersionNumber?: number }): Record<string, never> {
    const profile = this.requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    const at = profile.versions.findIndex((v) => v.versionNumber === input.VersionNumber);
    if (at < 0) throw notFound(`Hosted configuration version ${input.VersionNumber} of profile ${profile.id} does not exist`);
    profile.versions.splice(at, 1);
    return {};
  }

  /** "You can only deploy one configuration at a time to an environment": another in progress is a ConflictException. */
  public startDeployment(
    input: { ApplicationId?: string; EnvironmentId?: string; DeploymentStrategyId?: string; ConfigurationProfileId?: string; ConfigurationVersion?: string },
    by?: string,
  ): { DeploymentNumber: number; State: DeploymentState } {
    const env = this.requireEnvironment(input.ApplicationId, input.EnvironmentId);
    const profile = this.requireProfile(input.ApplicationId, input.ConfigurationProfileId);
    const strategy = this.strategies.get(input.DeploymentStrategyId ?? '');
    if (!strategy) throw notFound(`Deployment strategy ${input.DeploymentStrategyId} does not exist`);
    const wanted = input.ConfigurationVersion ?? '';
    const version = profile.versions.find((v) => String(v.versionNumber) === wanted || v.versionLabel === wanted);
    if (!version) throw notFound(`Configuration version ${wanted} of profile ${profile.id} does not exist`);
    if (env.monitors.length > 0 && !this.alarms) throw new Error(`Environment ${env.id} has monitors but the simulated AppConfig reads no alarm states: give it an AlarmStateReader`);
    const busy = this.inEnvironment(env.id).find((d) => inProgress(this.stateOf(d)));
    if (busy) throw awsError('appconfig', 'ConflictException', 409, `Deployment ${busy.number} is in progress in environment ${env.id}`);
    const record: DeploymentRecord = {
      number: this.inEnvironment(env.id).length + 1,
      applicationId: env.applicationId,
      environmentId: env.id,
      profileId: profile.id,
      versionNumber: version.versionNumber,
      strategy,
      startedAt: this.now(),
      by,
    };
    this.deployments.push(record);
    return { DeploymentNumber: record.number, State: this.stateOf(record) };
  }

  /** DEPLOYING only, unless AllowRevert: then an in-progress one is ROLLED_BACK and a completed one (within 72 h) REVERTED. */
  public stopDeployment(input: { ApplicationId?: string; EnvironmentId?: string; DeploymentNumber?: number; AllowRevert?: boolean }): { DeploymentNumber: number; State: DeploymentState } {
    const d = this.requireDeployment(input);
    const state = this.stateOf(d);
    if (state === 'DEPLOYING' || (state === 'BAKING' && input.AllowRevert)) {
      d.stoppedAt = this.now();
      d.stoppedState = 'ROLLED_BACK';
    } else if (state === 'COMPLETE' && input.AllowRevert && this.now() - completedAt(d) <= REVERT_WINDOW_MS) {
      d.stoppedAt = this.now();
      d.stoppedState = 'REVERTED';
    } else {
      throw invalid(`Deployment ${d.number} is ${state}: only a DEPLOYING deployment can be stopped${input.AllowRevert ? ', or a BAKING or COMPLETE one (within 72 hours) reverted' : ' (or give AllowRevert)'}`);
    }
    return { DeploymentNumber: d.number, State: this.stateOf(d) };
  }

  /** Newest first, as ListDeployments returns them. */
  public listDeployments(input: { ApplicationId?: string; EnvironmentId?: string }): { Items: { DeploymentNumber: number; State: DeploymentState; ConfigurationVersion: string; StartedAt: Date }[] } {
    this.requireEnvironment(input.ApplicationId, input.EnvironmentId);
    const items = this.inEnvironment(input.EnvironmentId!)
      .slice()
      .reverse()
      .map((d) => ({ DeploymentNumber: d.number, State: this.stateOf(d), ConfigurationVersion: String(d.versionNumber), StartedAt: new Date(d.startedAt) }));
    return { Items: items };
  }

  /** GetDeployment: the state, the share of clients reached (PercentageComplete) and the event log. */
  public getDeployment(input: { ApplicationId?: string; EnvironmentId?: string; DeploymentNumber?: number }): DeploymentDetails {
    const d = this.requireDeployment(input);
    const State = this.stateOf(d);
    const s = d.strategy;
    return {
      DeploymentNumber: d.number,
      State,
      // Of a stopped one: the share it had reached when it stopped.
      PercentageComplete: percentAt(s, Math.min(this.now(), d.stoppedAt ?? Infinity) - d.startedAt),
      ConfigurationVersion: String(d.versionNumber),
      DeploymentStrategyId: s.id,
      GrowthType: s.growthType ?? 'LINEAR',
      GrowthFactor: s.growthFactor,
      DeploymentDurationInMinutes: s.durationMinutes,
      FinalBakeTimeInMinutes: s.bakeMinutes,
      StartedAt: new Date(d.startedAt),
      ...(State === 'COMPLETE' || State === 'REVERTED' ? { CompletedAt: new Date(completedAt(d)) } : {}),
      EventLog: eventLog(d, this.now()),
    };
  }

  /** The deployment's state now, after the environment's monitors had their say. */
  public stateOf(d: DeploymentRecord): DeploymentState {
    this.pollMonitors();
    return clockState(d, this.now());
  }

  /**
   * Applies the environments' monitors to every deployment still in its monitoring window (its
   * duration and final bake): one whose monitored alarm is in ALARM or INSUFFICIENT_DATA is
   * ROLLED_BACK (deployments.ts monitorRollback). Every read calls it; the world calls it once a
   * virtual second as well, so that an alarm state lasting a second or more is seen.
   */
  public pollMonitors(): void {
    const now = this.now();
    for (const d of this.deployments) {
      if (d.stoppedState || d.monitorsSettled) continue;
      const monitors = this.environments.get(d.environmentId)?.monitors ?? [];
      const hit = monitors.length > 0 && this.alarms ? monitorRollback(d, monitors, this.alarms, now) : undefined;
      if (hit) {
        d.stoppedAt = hit.at;
        d.stoppedState = 'ROLLED_BACK';
        d.rolledBackByAlarm = hit.alarmArn;
      } else if (now >= completedAt(d)) d.monitorsSettled = true;
    }
  }

  /**
   * The version a client polling the environment receives now, as `share` in [0, 1) places it
   * among the clients: a deployment reaches clients in growth steps over its duration (linear or
   * exponential, deployments.ts percentAt), a stopped or rolled-back one gives back what the client
   * had before it.
   */
  public servedVersion(environmentId: string, profileId: string, share = 0): HostedVersion | undefined {
    this.pollMonitors();
    const profile = this.profiles.get(profileId);
    const ds = this.inEnvironment(environmentId).filter((d) => d.profileId === profileId);
    for (let i = ds.length - 1; i >= 0; i--) {
      const d = ds[i];
      if (d.stoppedState) continue;
      if (clockState(d, this.now()) === 'DEPLOYING' && share * 100 >= percentAt(d.strategy, this.now() - d.startedAt)) continue;
      return profile?.versions.find((v) => v.versionNumber === d.versionNumber);
    }
    return undefined;
  }

  private requireDeployment(input: { ApplicationId?: string; EnvironmentId?: string; DeploymentNumber?: number }): DeploymentRecord {
    this.requireEnvironment(input.ApplicationId, input.EnvironmentId);
    const d = this.inEnvironment(input.EnvironmentId!).find((x) => x.number === input.DeploymentNumber);
    if (!d) throw notFound(`Deployment ${input.DeploymentNumber} does not exist`);
    return d;
  }

  private inEnvironment(environmentId: string): DeploymentRecord[] {
    return this.deployments.filter((d) => d.environmentId === environmentId);
  }

  private newId(): string {
    return (++this.ids).toString(36).padStart(ID_LENGTH, 'a');
  }

  private requireApplication(id: string | undefined): void {
    if (!this.applications.has(id ?? '')) throw notFound(`Application ${id} does not exist`);
  }

  private requireEnvironment(applicationId: string | undefined, environmentId: string | undefined): EnvironmentRecord {
    this.requireApplication(applicationId);
    const env = this.environments.get(environmentId ?? '');
    if (!env || env.applicationId !== applicationId) throw notFound(`Environment ${environmentId} of application ${applicationId} does not exist`);
    return env;
  }

  private requireProfile(applicationId: string | undefined, profileId: string | undefined): Profile {
    this.requireApplication(applicationId);
    const profile = this.profiles.get(profileId ?? '');
    if (!profile || profile.applicationId !== applicationId) throw notFound(`Configuration profile ${profileId} of application ${applicationId} does not exist`);
    return profile;
  }
}

function checkMonitors(monitors: readonly Monitor[]): Monitor[] {
  if (monitors.length > MAX_MONITORS) throw invalid(`Monitors: at most ${MAX_MONITORS} items (${monitors.length} given)`);
  for (const m of monitors) if (!m.AlarmArn || m.AlarmArn.length > 2048) throw invalid('Monitor AlarmArn must be 1 to 2048 characters');
  return monitors.map((m) => ({ ...m }));
}

function invalid(message: string): Error {
  return awsError('appconfig', 'BadRequestException', 400, message);
}

function notFound(message: string): Error {
  return awsError('appconfig', 'ResourceNotFoundException', 404, message);
}
