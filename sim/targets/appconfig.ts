/**
 * The simulator's side of a config canary: the application's users make sessions of requests, each
 * request lands on one of several router processes, each process reads the routing document from
 * the simulated AppConfig every `propagationSeconds` at its own stagger (sim/targets/user-sessions.ts);
 * the user's variant is the runtime helper's own rule (runtime/routing.ts), and the router records
 * Requests, Errors and Latency under the variant's version, as ModelRouter.run does.
 *
 * The version is a literal of the template (the config's hash or the `version` prop): a deploy of
 * another version is another template (world.updateStack), as a deploy of a new config is.
 */
import { APPCONFIG, type AppConfigTargetConfig } from '../../lambda/targets/appconfig/contract';
import { type TargetConfig, targetMetricSpec } from '../../lambda/targets/contract';
import { choose, parseRouting, splitAt } from '../../runtime/routing';
import type { SynthesizedStack } from '../aws/cloudformation/template';
import type { MetricId } from '../aws/cloudwatch/metrics';
import { Random } from '../aws/core/random';
import type { ModelTarget, ShareChange, SimTarget, SimTargetContext, SimTargetKind } from './contract';
import { type ReadDocument, RouterProcesses, Sessions, shareOf, USER_TRAFFIC_DEFAULTS, UserExposure, type UserExposureCounts } from './user-sessions';

interface ConfigModelTarget extends ModelTarget {
  readonly config: AppConfigTargetConfig;
}

/** Users of the application by default: sessions are drawn from them. */
export const SIMULATED_USERS = USER_TRAFFIC_DEFAULTS.users;

/** The application's side that outlives a stack update: its processes, sessions and users. */
interface Fleet {
  readonly environmentId: string;
  readonly profileId: string;
  readonly processes: RouterProcesses;
  readonly sessions: Sessions;
  readonly exposure: UserExposure;
  /** Draws of the sessions and the load balancer, apart from the requests' outcomes. */
  readonly random: Random;
  readonly users: string[];
  /** The deployed revision last read, so a change is known the second it is deployed. */
  deployed?: ReadDocument;
  /** Deployments AppConfig rolled back (StopDeployment, or a monitor's alarm), told to `exposure`. */
  readonly rolledBack: Set<number>;
}

export class ConfigRouting implements SimTarget {
  private readonly ids = new Map<string, MetricId[]>();
  private readonly fleet: Fleet;
  /** The second last served: what the routers' shares are read at. */
  private lastSecond = 0;
  /** How the router writes its counts: at 1 second when a guard asked for them (Guard.fastErrorRate). */
  private readonly counts: { readonly highResolution: boolean };

  constructor(
    private readonly ctx: SimTargetContext<ConfigModelTarget>,
    previous?: ConfigRouting,
  ) {
    const same = previous && previous.fleet.environmentId === this.config.environmentId && previous.fleet.profileId === this.config.profileId;
    this.fleet = same ? previous.fleet : this.newFleet();
    this.counts = { highResolution: ctx.highResolutionCounts };
  }

  private get config(): AppConfigTargetConfig {
    return this.ctx.model.config;
  }

  private newFleet(): Fleet {
    const o = { ...USER_TRAFFIC_DEFAULTS, ...this.ctx.userTraffic };
    const random = new Random(Math.floor(this.ctx.random.next() * 2 ** 32));
    const every = Math.max(1, Number(this.config.propagationSeconds) || 90) * 1000;
    return {
      environmentId: this.config.environmentId,
      profileId: this.config.profileId,
      processes: new RouterProcesses(o.routerProcesses, every),
      sessions: new Sessions(o, random),
      exposure: new UserExposure(),
      random,
      users: [],
      rolledBack: new Set(),
    };
  }

  /** What AppConfig serves a client at `share` of a gradual deployment (0: the first clients). */
  private read(share = 0): ReadDocument | undefined {
    const v = this.ctx.appconfig.servedVersion(this.config.environmentId, this.config.profileId, share);
    if (!v) return undefined;
    const f = this.fleet;
    if (f.deployed?.revision === v.versionNumber) return f.deployed;
    for (const d of f.processes.docs) if (d?.revision === v.versionNumber) return d;
    return { doc: parseRouting(v.content, 'the routing document'), revision: v.versionNumber };
  }

  public serveSecond(now: number): void {
    this.lastSecond = now;
    const f = this.fleet;
    this.noteRollbacks();
    f.deployed = this.read();
    if (f.deployed) f.exposure.revision(f.deployed, now);
    // Process i is the client at share (i + ½) / N of an AppConfig gradual deployment.
    f.processes.refresh(now, (i) => {
      const read = this.read((i + 0.5) / f.processes.count);
      if (read) f.exposure.revision(read, now);
      return read;
    });
    const docs = f.processes.docs.filter((d): d is ReadDocument => d !== undefined);
    if (docs.length > 0) {
      // Each process takes an equal part of the requests: a version's share is the mean of theirs.
      const share = (v: string) => docs.reduce((a, d) => a + shareOf(splitAt(d.doc, now), v), 0) / docs.length;
      const newest = docs.reduce((a, d) => (d.revision > a.revision ? d : a));
      this.ctx.observe(share, now, newest.doc.stable.version);
    }
    const n = this.ctx.arrivals(now);
    if (docs.length === 0 || n === 0) return;
    for (const session of f.sessions.take(now, n)) {
      const p = f.processes.pick(f.random);
      const read = f.processes.docs[p];
      if (read) this.serve(session.user, read, now, (version) => f.exposure.request(session, version, read, now));
      f.sessions.after(session, now, read ? p : undefined);
    }
  }

  private serve(user: number, read: ReadDocument, now: number, record: (version: string) => void): void {
    const id = (this.fleet.users[user] ??= `user-${user}`);
    const { version } = choose(read.doc, id, undefined, now);
    record(version);
    const outcome = this.ctx.serveRequest(version, now);
    const [requests, errors, latency] = this.metricIds(version);
    // The helper's request document (the AI signals) counts the request already: one request, one document.
    if (!outcome.signals) this.ctx.metrics.put(requests, now, 1, this.counts);
    this.ctx.metrics.put(errors, now, outcome.error ? 1 : 0, this.counts);
    this.ctx.metrics.put(latency, now, outcome.durationMs);
  }

  /**
   * A deployment AppConfig rolled back gives its clients the previous revision again (no new
   * revision, unlike the workflow's rollback): users moved back by it are the rollback's, not stale.
   */
  private noteRollbacks(): void {
    const f = this.fleet;
    // A test double of AppConfig may keep no deployments.
    for (const d of this.ctx.appconfig.deployments ?? []) {
      if (d.stoppedState !== 'ROLLED_BACK' || d.environmentId !== f.environmentId || d.profileId !== f.profileId || f.rolledBack.has(d.number)) continue;
      f.rolledBack.add(d.number);
      f.exposure.rolledBack(d.versionNumber, d.stoppedAt!);
    }
  }

  /** Each router process's share for `version` now, in percent (undefined: the process has read nothing yet). */
  public routerPercents(version: string): (number | undefined)[] {
    return this.fleet.processes.docs.map((d) => (d ? shareOf(splitAt(d.doc, this.lastSecond), version) : undefined));
  }

  /** Users by what they met and why they moved (sim/targets/user-sessions.ts, UserExposureCounts). */
  public userExposure(): UserExposureCounts {
    return this.fleet.exposure.counts(this.fleet.sessions);
  }

  public canaryPercent(canary: string): number {
    const read = this.read();
    return read ? shareOf(read.doc, canary) : 0;
  }

  /** From the deployments that were not stopped, in order. */
  public shareChanges(canary: string): ShareChange[] {
    const sim = this.ctx.appconfig;
    return sim.deployments
      .filter((d) => d.environmentId === this.config.environmentId && d.profileId === this.config.profileId)
      .map((d) => {
        const v = sim.getHostedConfigurationVersion({ ApplicationId: d.applicationId, ConfigurationProfileId: d.profileId, VersionNumber: d.versionNumber });
        const doc = parseRouting(new TextDecoder().decode(v.Content), 'the routing document');
        return { at: d.startedAt, by: d.by, percent: shareOf(doc, canary), promoted: doc.stable.version === canary };
      });
  }

  public deploy(version: string): void {
    const release = this.ctx.stack.template.Resources[this.ctx.model.releaseLogicalId];
    const named = this.ctx.stack.resolver.resolve<unknown>(release?.Properties?.Version);
    if (named !== version) {
      throw new Error(`${this.ctx.model.canaryName}: the template releases version ${String(named)}, not ${version}: synthesize the stack with that config and deploy it with world.updateStack`);
    }
  }

  /**
   * Users who met a newer version and then an older one again where no rollback explains it: moved
   * back by a process that had not read a change yet, or by the routing rule itself (UserExposureCounts.switchedBack).
   */
  public usersSwitchedBack(): number {
    return this.userExposure().switchedBack;
  }

  /** Users who met more than one version, for any reason. */
  public usersOnBothVersions(): number {
    return this.userExposure().onBothVersions;
  }

  private metricIds(version: string): MetricId[] {
    let ids = this.ids.get(version);
    if (!ids) {
      ids = (['requests', 'errors', 'latency'] as const).map((signal) => targetMetricSpec(APPCONFIG, this.config, version, signal));
      this.ids.set(version, ids);
    }
    return ids;
  }
}

export const APPCONFIG_SIM: SimTargetKind<ConfigModelTarget> = {
  contract: APPCONFIG,
  modelTarget(release, stack) {
    if (!release.target.profileId) return undefined;
    const config = stack.resolver.resolve<TargetConfig>(release.target) as AppConfigTargetConfig;
    return { kind: APPCONFIG.kind, canaryName: release.canaryName, releaseLogicalId: release.logicalId, config };
  },
  bind: (ctx, previous) => new ConfigRouting(ctx, previous instanceof ConfigRouting ? previous : undefined),
  releaseTemplates(stack, canaryName, versions) {
    const found = Object.entries(stack.template.Resources).find(([, r]) => {
      const p = r.Properties ?? {};
      return (p.Target as { kind?: unknown } | undefined)?.kind === APPCONFIG.kind && p.CanaryName === canaryName;
    });
    const version = found?.[1].Properties?.Version;
    if (!found || typeof version !== 'string') throw new Error(`${canaryName}: no config canary release resource with a literal Version in the template`);
    // The version is a literal everywhere it appears (the release resource, the alarms' Version dimension).
    const release = (to: string): SynthesizedStack => {
      const template = JSON.parse(JSON.stringify(stack.template).split(JSON.stringify(version)).join(JSON.stringify(to))) as SynthesizedStack['template'];
      const props = template.Resources[found[0]].Properties!;
      props.VersionContent = JSON.stringify({ ...(JSON.parse(String(props.VersionContent)) as object), 'cdk-model-canary:simulatedRelease': to });
      return { stackName: stack.stackName, template };
    };
    return { stable: release(versions.stable), canary: release(versions.canary) };
  },
};
