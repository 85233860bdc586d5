/**
 * The simulator's side of a config canary: the application's routers read the routing document
 * from the simulated AppConfig every `propagationSeconds` (the worst case of the AppConfig Agent's
 * poll plus the router's cache), and each request comes from a user of a fixed pool: the user's
 * variant is the runtime helper's own rule (runtime/routing.ts), and the router records Requests,
 * Errors and Latency under the variant's version, as ModelRouter.run does.
 *
 * The version is a literal of the template (the config's hash or the `version` prop): a deploy of
 * another version is another template (world.updateStack), as a deploy of a new config is.
 */
import { APPCONFIG, type AppConfigTargetConfig } from '../../lambda/targets/appconfig/contract';
import { type TargetConfig, targetMetricSpec } from '../../lambda/targets/contract';
import { choose, parseRouting, type RoutingDocument } from '../../runtime/routing';
import type { SynthesizedStack } from '../aws/cloudformation/template';
import type { MetricId } from '../aws/cloudwatch/metrics';
import type { ModelTarget, ShareChange, SimTarget, SimTargetContext, SimTargetKind } from './contract';

interface ConfigModelTarget extends ModelTarget {
  readonly config: AppConfigTargetConfig;
}

/** Users of the application: requests come from them uniformly. */
export const SIMULATED_USERS = 5000;

export class ConfigRouting implements SimTarget {
  private cached?: { doc: RoutingDocument | undefined; at: number };
  private readonly ids = new Map<string, MetricId[]>();
  /** Per user: the versions seen in order (a switch back is a user who met both versions). */
  private readonly seen = new Map<string, { last: string; switches: number }>();

  constructor(private readonly ctx: SimTargetContext<ConfigModelTarget>) {}

  private get config(): AppConfigTargetConfig {
    return this.ctx.model.config;
  }

  /** What AppConfig serves the environment now. */
  private deployedDoc(): RoutingDocument | undefined {
    const v = this.ctx.appconfig.servedVersion(this.config.environmentId, this.config.profileId);
    return v ? parseRouting(v.content, 'the routing document') : undefined;
  }

  /** What the routers use: refreshed every propagationSeconds. */
  private routerDoc(now: number): RoutingDocument | undefined {
    const every = Math.max(1, Number(this.config.propagationSeconds) || 60) * 1000;
    if (!this.cached || now - this.cached.at >= every || !this.cached.doc) this.cached = { doc: this.deployedDoc(), at: now };
    return this.cached.doc;
  }

  public serveSecond(now: number): void {
    const doc = this.routerDoc(now);
    if (doc) this.ctx.observe((v) => shareOf(doc, v), now, doc.stable.version);
    const n = this.ctx.arrivals(now);
    if (!doc || n === 0) return;
    for (let i = 0; i < n; i++) {
      const user = `user-${Math.floor(this.ctx.random.next() * SIMULATED_USERS)}`;
      const { version } = choose(doc, user);
      this.remember(user, version);
      const outcome = this.ctx.serveRequest(version, now);
      const [requests, errors, latency] = this.metricIds(version);
      // The helper's request document (the AI signals) counts the request already: one request, one document.
      if (!outcome.signals) this.ctx.metrics.put(requests, now, 1);
      this.ctx.metrics.put(errors, now, outcome.error ? 1 : 0);
      this.ctx.metrics.put(latency, now, outcome.durationMs);
    }
  }

  public canaryPercent(canary: string): number {
    const doc = this.deployedDoc();
    return doc ? shareOf(doc, canary) : 0;
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

  /** Users who met the canary and then stable again while the canary kept a share (a rollback moves everyone back: not counted). */
  public usersSwitchedBack(): number {
    let n = 0;
    for (const s of this.seen.values()) if (s.switches > 1) n++;
    return n;
  }

  /** Users who met more than one version. */
  public usersOnBothVersions(): number {
    let n = 0;
    for (const s of this.seen.values()) if (s.switches > 0) n++;
    return n;
  }

  private remember(user: string, version: string): void {
    const s = this.seen.get(user);
    if (!s) this.seen.set(user, { last: version, switches: 0 });
    else if (s.last !== version) this.seen.set(user, { last: version, switches: s.switches + 1 });
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

/** A version's share of the users under `doc`, in percent. */
function shareOf(doc: RoutingDocument, version: string): number {
  const canary = doc.canary ? doc.canaryPercent : 0;
  if (doc.canary?.version === version) return canary;
  return doc.stable.version === version ? 100 - canary : 0;
}

export const APPCONFIG_SIM: SimTargetKind<ConfigModelTarget> = {
  contract: APPCONFIG,
  modelTarget(release, stack) {
    if (!release.target.profileId) return undefined;
    const config = stack.resolver.resolve<TargetConfig>(release.target) as AppConfigTargetConfig;
    return { kind: APPCONFIG.kind, canaryName: release.canaryName, releaseLogicalId: release.logicalId, config };
  },
  bind: (ctx) => new ConfigRouting(ctx),
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
