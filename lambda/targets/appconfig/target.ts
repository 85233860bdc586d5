/**
 * The workflow's side of a config canary: the routing document (runtime/routing.ts) lives in an
 * AppConfig hosted configuration profile, and every change of the shares is a new hosted version
 * deployed to the environment with the canary's own strategy (no duration, no bake: the schedule
 * is the gradual part). AppConfig runs one deployment at a time per environment, so a change
 * first stops one still in progress: a rollback never waits behind a weight raise.
 *
 * What the application sees is the newest deployment that was not stopped; `revision` is its
 * deployment number, so a step that read the routing writes only if nobody deployed since.
 * @see https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-deploying.html
 */
import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  DeleteHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { ROUTING_SCHEMA, type RoutedVersion, type RoutingDocument, parseRouting, pendingSplit, splitAt } from '../../../runtime/routing';
import { awsCall, TargetStateError } from '../../shared/errors';
import { type OwnerRecord, UNRECORDED } from '../../shared/ownership';
import type { InvokeResult, MetricSpec, Signal, TrafficSplit, TrafficTarget } from '../../shared/traffic-target';
import type { Release } from '../../shared/types';
import { type TargetConfig, targetMetricSpec } from '../contract';
import { APPCONFIG, type AppConfigTargetConfig } from './contract';

const appconfig = new AppConfigClient({});
const CONTENT_TYPE = 'application/json';
const STOPPED = new Set(['ROLLED_BACK', 'REVERTED']);
const IN_PROGRESS = new Set(['DEPLOYING', 'BAKING', 'VALIDATING', 'ROLLING_BACK']);

interface Deployed {
  readonly doc: RoutingDocument;
  readonly deploymentNumber: number;
  /** Deployments of the environment still reaching clients (a write stops them first). */
  readonly inProgress: number[];
}

export class AppConfigTarget implements TrafficTarget {
  public readonly id: string;
  public readonly name: string;
  public readonly description: string;
  public readonly weightChangeSeconds: number;
  private readonly ids: { ApplicationId: string; EnvironmentId: string };

  constructor(private readonly config: AppConfigTargetConfig) {
    this.id = `${config.applicationId}/${config.environmentId}/${config.profileId}`;
    this.name = config.profileId;
    this.description = `config ${config.profileId} of AppConfig application ${config.applicationId}, environment ${config.environmentId}`;
    this.weightChangeSeconds = Math.max(1, Number(config.propagationSeconds) || 60);
    this.ids = { ApplicationId: config.applicationId, EnvironmentId: config.environmentId };
  }

  public async read(): Promise<TrafficSplit> {
    const deployed = await this.deployed();
    if (!deployed) throw new TargetStateError(`${this.description} has no deployment`);
    return splitOf(deployed);
  }

  /** The canary's config is in the routing already (staged by the release resource at weight 0). */
  public async prepare(release: Release): Promise<void> {
    const deployed = await this.deployed();
    if (!deployed || !entry(deployed.doc, release.canaryVersion)) {
      throw new TargetStateError(`${this.description} does not hold version ${release.canaryVersion}: deploy the stack again`);
    }
  }

  public async stage(release: Release, content: string, expected: TrafficSplit): Promise<void> {
    const current = await this.expect(expected, 'while the release staged its canary');
    const stable = this.entryOrFail(current.doc, release.stableVersion);
    await this.deploy({ ...base(current.doc), salt: release.canaryVersion, stable, canary: { version: release.canaryVersion, config: parseConfig(content, release.canaryVersion) }, canaryPercent: 0, canarySide: 'low' }, current);
  }

  public async shift(release: Release, percent: number, expected: TrafficSplit): Promise<void> {
    const current = await this.expect(expected);
    const stable = this.entryOrFail(current.doc, release.stableVersion);
    const canary = this.entryOrFail(current.doc, release.canaryVersion);
    const next: RoutingDocument = { ...base(current.doc), stable, canary, canaryPercent: percent, canarySide: 'low' };
    // A cut applies at once (a user leaving the canary early is safe); a raise switches every router at once.
    await this.deploy(percent < splitAt(current.doc).canaryPercent ? next : this.switchingFrom(current.doc, next), current);
  }

  /** The previous version keeps the high buckets as the control: the users that never left it. */
  public async promote(release: Release, expected: TrafficSplit, controlPercent = 0): Promise<void> {
    const current = await this.expect(expected);
    const next = this.entryOrFail(current.doc, release.canaryVersion);
    const previous = controlPercent > 0 ? { canary: this.entryOrFail(current.doc, release.stableVersion) } : {};
    await this.deploy(this.switchingFrom(current.doc, { ...base(current.doc), stable: next, ...previous, canaryPercent: controlPercent, canarySide: 'high' }), current);
  }

  public async rollback(release: Release, expected: TrafficSplit): Promise<void> {
    const current = await this.expect(expected);
    const stable = this.entryOrFail(current.doc, release.stableVersion);
    await this.deploy({ ...base(current.doc), stable, canaryPercent: 0 }, current);
  }

  /** The application alone picks a variant per user: no request reaches the canary on demand. */
  public async invokeCanary(): Promise<InvokeResult> {
    throw new TargetStateError(`${this.description}: the application's router picks the variant per user; a config canary has no pre-traffic checks`);
  }

  public async ensureServing(version: string, content?: string): Promise<{ created: boolean; split: TrafficSplit }> {
    const deployed = await this.deployed();
    if (deployed) return { created: false, split: splitOf(deployed) };
    if (content === undefined) throw new TargetStateError(`${this.description} has no deployment, and the release gave no config for version ${version}`);
    const doc: RoutingDocument = { schema: ROUTING_SCHEMA, salt: version, stable: { version, config: parseConfig(content, version) }, canaryPercent: 0, owner: UNRECORDED };
    const number = await this.deploy(doc);
    return { created: true, split: splitOf({ doc, deploymentNumber: number, inProgress: [] }) };
  }

  /**
   * Stack deletion: the hosted versions this canary wrote go, so CloudFormation can delete the
   * profile after it (the application, environment and profile are the stack's resources).
   */
  public async remove(): Promise<void> {
    let NextToken: string | undefined;
    const numbers: number[] = [];
    do {
      const page = await awsCall('ListHostedConfigurationVersions', () => appconfig.send(new ListHostedConfigurationVersionsCommand({ ApplicationId: this.config.applicationId, ConfigurationProfileId: this.config.profileId, NextToken })));
      for (const item of page.Items ?? []) if (item.VersionNumber !== undefined) numbers.push(item.VersionNumber);
      NextToken = page.NextToken;
    } while (NextToken);
    for (const VersionNumber of numbers) {
      await awsCall('DeleteHostedConfigurationVersion', () => appconfig.send(new DeleteHostedConfigurationVersionCommand({ ApplicationId: this.config.applicationId, ConfigurationProfileId: this.config.profileId, VersionNumber })));
    }
  }

  public async readOwner(): Promise<OwnerRecord | undefined> {
    const deployed = await this.deployed();
    if (!deployed) return undefined;
    const { owner, previousOwner } = deployed.doc;
    return { ...(owner ? { owner } : {}), ...(previousOwner ? { previousOwner } : {}) };
  }

  public async writeOwner(record: OwnerRecord): Promise<void> {
    const deployed = await this.deployed();
    if (!deployed) throw new TargetStateError(`${this.description} has no deployment`);
    const { owner: _o, previousOwner: _p, ...doc } = deployed.doc;
    const current = await this.expect(splitOf(deployed), 'while its owner was being recorded: deploy again');
    await this.deploy({ ...doc, ...record } as RoutingDocument, current);
  }

  public metric(version: string, signal: Signal): MetricSpec {
    return targetMetricSpec(APPCONFIG, this.config, version, signal);
  }

  /**
   * `next`, switching at the end of the documented propagation from the split in force now: routers
   * read it at different times within `propagationSeconds`, and every one of them moves its users at
   * `switchAt`, so no user served by two routers meets the new version and then the old one again.
   */
  private switchingFrom(current: RoutingDocument, next: RoutingDocument): RoutingDocument {
    // A switch of `current` still to come stays in `before`: a router that has not read `next` yet makes it.
    const now = Date.now();
    return { ...next, switchAt: now + Number(this.config.propagationSeconds) * 1000, before: pendingSplit(current, now) };
  }

  /** The newest deployment of the routing profile that was not stopped, and its document. */
  private async deployed(): Promise<Deployed | undefined> {
    const items = (await awsCall('ListDeployments', () => appconfig.send(new ListDeploymentsCommand({ ...this.ids, MaxResults: 50 })))).Items ?? [];
    const latest = items.filter((d) => !STOPPED.has(d.State ?? '')).sort((a, b) => (b.DeploymentNumber ?? 0) - (a.DeploymentNumber ?? 0))[0];
    if (!latest?.ConfigurationVersion) return undefined;
    const out = await awsCall('GetHostedConfigurationVersion', () =>
      appconfig.send(new GetHostedConfigurationVersionCommand({ ApplicationId: this.config.applicationId, ConfigurationProfileId: this.config.profileId, VersionNumber: Number(latest.ConfigurationVersion) })),
    );
    const doc = parseRouting(new TextDecoder().decode(out.Content ?? new Uint8Array()), this.description);
    const inProgress = items.filter((d) => IN_PROGRESS.has(d.State ?? '') && d.DeploymentNumber !== undefined).map((d) => d.DeploymentNumber!);
    return { doc, deploymentNumber: latest.DeploymentNumber ?? 0, inProgress };
  }

  private async expect(expected: Pick<TrafficSplit, 'revision'>, whileDoing = 'while this step was updating it'): Promise<Deployed> {
    const current = await this.deployed();
    if (!current || String(current.deploymentNumber) !== expected.revision) throw new TargetStateError(`${this.description} changed ${whileDoing}`);
    return current;
  }

  private entryOrFail(doc: RoutingDocument, version: string): RoutedVersion {
    const found = entry(doc, version);
    if (!found) throw new TargetStateError(`${this.description} no longer holds version ${version}`);
    return found;
  }

  /**
   * A new hosted version of the document, deployed: the deployments `current` saw in progress are
   * stopped first (a rollback replaces a raise). The caller carries the owner fields over (base()).
   */
  private async deploy(next: RoutingDocument, current?: Deployed): Promise<number> {
    const created = await awsCall('CreateHostedConfigurationVersion', () =>
      appconfig.send(
        new CreateHostedConfigurationVersionCommand({
          ApplicationId: this.config.applicationId,
          ConfigurationProfileId: this.config.profileId,
          Content: new TextEncoder().encode(JSON.stringify(next)),
          ContentType: CONTENT_TYPE,
          Description: `cdk-model-canary ${this.config.canaryName}: stable ${next.stable.version}${next.canary ? `, ${next.canary.version} at ${next.canaryPercent}%` : ''}`,
        }),
      ),
    );
    for (const DeploymentNumber of current?.inProgress ?? []) {
      await awsCall('StopDeployment', () => appconfig.send(new StopDeploymentCommand({ ...this.ids, DeploymentNumber, AllowRevert: true })));
    }
    const started = await awsCall('StartDeployment', () =>
      appconfig.send(
        new StartDeploymentCommand({
          ...this.ids,
          ConfigurationProfileId: this.config.profileId,
          ConfigurationVersion: String(created.VersionNumber),
          DeploymentStrategyId: this.config.deploymentStrategyId,
          Description: `cdk-model-canary ${this.config.canaryName}`,
        }),
      ),
    );
    return started.DeploymentNumber ?? 0;
  }
}

/** The document's fields that every change keeps (the salt changes only when a release stages its canary). */
function base(doc: RoutingDocument): Pick<RoutingDocument, 'schema' | 'salt' | 'owner' | 'previousOwner'> {
  return { schema: ROUTING_SCHEMA, salt: doc.salt, owner: doc.owner, previousOwner: doc.previousOwner };
}

function entry(doc: RoutingDocument, version: string): RoutedVersion | undefined {
  if (doc.stable.version === version) return doc.stable;
  return doc.canary?.version === version ? doc.canary : undefined;
}

function parseConfig(content: string, version: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    throw new TargetStateError(`The config of version ${version} is not JSON: ${content.slice(0, 80)}`);
  }
}

function splitOf({ doc, deploymentNumber }: Deployed): TrafficSplit {
  // After a promotion the previous version holds the high buckets: as a split it is the canary slot all the same.
  return { stable: doc.stable.version, canary: doc.canary?.version, canaryPercent: doc.canary ? doc.canaryPercent : 0, revision: String(deploymentNumber) };
}

/** The registry's factory (lambda/targets/index.ts). */
export const create = (config: TargetConfig): TrafficTarget => new AppConfigTarget(config as AppConfigTargetConfig);
