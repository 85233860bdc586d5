/**
 * AWS AppConfig, the parts a config canary uses: applications, environments, hosted configuration
 * profiles, deployment strategies, hosted configuration versions, deployments (start, stop, list,
 * get), and what a client polling the environment receives. A deployment's state follows from the
 * clock (no timers): DEPLOYING for the strategy's duration, BAKING for its final bake time, then
 * COMPLETE; a stopped one is ROLLED_BACK (or REVERTED when it had completed).
 *
 * API: https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_StartDeployment.html,
 * API_StopDeployment.html, API_CreateHostedConfigurationVersion.html, API_ListDeployments.html
 * Guide: https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying-reverting.html
 * Quotas: https://docs.aws.amazon.com/general/latest/gr/appconfig.html
 */
import { awsError } from '../core/aws-errors';

/** Hosted configuration store: 2 MB per configuration version (quotas page, default). */
export const MAX_HOSTED_CONTENT_BYTES = 2 * 1024 * 1024;
/** StopDeployment with AllowRevert: "AppConfig only allows a revert within 72 hours of deployment completion". */
export const REVERT_WINDOW_MS = 72 * 3600 * 1000;
/** Ids match [a-z0-9]{4,7} (every AppConfig API's ApplicationId, EnvironmentId, … pattern). */
const ID_LENGTH = 7;

export type DeploymentState = 'DEPLOYING' | 'BAKING' | 'COMPLETE' | 'ROLLED_BACK' | 'REVERTED';

export interface StrategyRecord {
  readonly id: string;
  readonly name: string;
  readonly durationMinutes: number;
  readonly bakeMinutes: number;
  readonly growthFactor: number;
}

export interface HostedVersion {
  readonly versionNumber: number;
  readonly content: string;
  readonly contentType: string;
  readonly versionLabel?: string;
  readonly createdAt: number;
  readonly by?: string;
}

export interface DeploymentRecord {
  readonly number: number;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly versionNumber: number;
  readonly strategy: StrategyRecord;
  readonly startedAt: number;
  readonly by?: string;
  stoppedAt?: number;
  stoppedState?: 'ROLLED_BACK' | 'REVERTED';
}

interface Profile {
  readonly id: string;
  readonly applicationId: string;
  readonly name: string;
  readonly versions: HostedVersion[];
}

/** The predefined strategies AppConfig documents (appconfig-creating-deployment-strategy.html, "Predefined deployment strategies"). */
const PREDEFINED: StrategyRecord[] = [
  { id: 'AppConfig.AllAtOnce', name: 'AppConfig.AllAtOnce', durationMinutes: 0, bakeMinutes: 10, growthFactor: 100 },
  { id: 'AppConfig.Linear50PercentEvery30Seconds', name: 'AppConfig.Linear50PercentEvery30Seconds', durationMinutes: 1, bakeMinutes: 1, growthFactor: 50 },
  { id: 'AppConfig.Canary10Percent20Minutes', name: 'AppConfig.Canary10Percent20Minutes', durationMinutes: 20, bakeMinutes: 10, growthFactor: 10 },
];

export class AppConfigSim {
  public readonly applications = new Map<string, { id: string; name: string }>();
  public readonly environments = new Map<string, { id: string; applicationId: string; name: string }>();
  public readonly profiles = new Map<string, Profile>();
  public readonly strategies = new Map<string, StrategyRecord>(PREDEFINED.map((s) => [s.id, s]));
  public readonly deployments: DeploymentRecord[] = [];
  private ids = 0;

  constructor(private readonly now: () => number) {}

  public createApplication(name: string): string {
    const id = this.newId();
    this.applications.set(id, { id, name });
    return id;
  }

  public createEnvironment(applicationId: string, name: string): string {
    this.requireApplication(applicationId);
    const id = this.newId();
    this.environments.set(id, { id, applicationId, name });
    return id;
  }

  public createHostedProfile(applicationId: string, name: string): string {
    this.requireApplication(applicationId);
    const id = this.newId();
    this.profiles.set(id, { id, applicationId, name, versions: [] });
    return id;
  }

  public createDeploymentStrategy(s: Omit<StrategyRecord, 'id'>): string {
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
    this.requireEnvironment(input.ApplicationId, input.EnvironmentId);
    const d = this.inEnvironment(input.EnvironmentId!).find((x) => x.number === input.DeploymentNumber);
    if (!d) throw notFound(`Deployment ${input.DeploymentNumber} does not exist`);
    const state = this.stateOf(d);
    if (state === 'DEPLOYING' || (state === 'BAKING' && input.AllowRevert)) {
      d.stoppedAt = this.now();
      d.stoppedState = 'ROLLED_BACK';
    } else if (state === 'COMPLETE' && input.AllowRevert && this.now() - this.completedAt(d) <= REVERT_WINDOW_MS) {
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

  public stateOf(d: DeploymentRecord): DeploymentState {
    if (d.stoppedState) return d.stoppedState;
    const elapsed = this.now() - d.startedAt;
    const deploying = d.strategy.durationMinutes * 60_000;
    if (elapsed < deploying) return 'DEPLOYING';
    if (elapsed < deploying + d.strategy.bakeMinutes * 60_000) return 'BAKING';
    return 'COMPLETE';
  }

  /**
   * The version a client polling the environment receives now, as `share` in [0, 1) places it
   * among the clients: a deployment reaches clients in growth steps over its duration (linear), a
   * stopped one gives back what the client had before it.
   */
  public servedVersion(environmentId: string, profileId: string, share = 0): HostedVersion | undefined {
    const profile = this.profiles.get(profileId);
    const ds = this.inEnvironment(environmentId).filter((d) => d.profileId === profileId);
    for (let i = ds.length - 1; i >= 0; i--) {
      const d = ds[i];
      if (d.stoppedState) continue;
      const state = this.stateOf(d);
      if (state === 'DEPLOYING') {
        const steps = Math.ceil(100 / d.strategy.growthFactor);
        const step = Math.floor(((this.now() - d.startedAt) / (d.strategy.durationMinutes * 60_000)) * steps) + 1;
        if (share * 100 >= Math.min(100, step * d.strategy.growthFactor)) continue;
      }
      return profile?.versions.find((v) => v.versionNumber === d.versionNumber);
    }
    return undefined;
  }

  private completedAt(d: DeploymentRecord): number {
    return d.startedAt + (d.strategy.durationMinutes + d.strategy.bakeMinutes) * 60_000;
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

  private requireEnvironment(applicationId: string | undefined, environmentId: string | undefined) {
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

function inProgress(state: DeploymentState): boolean {
  return state === 'DEPLOYING' || state === 'BAKING';
}

function invalid(message: string): Error {
  return awsError('appconfig', 'BadRequestException', 400, message);
}

function notFound(message: string): Error {
  return awsError('appconfig', 'ResourceNotFoundException', 404, message);
}
