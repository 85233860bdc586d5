/**
 * The simulator's side of the parameter router: each second the application reads the routing
 * parameter and sends each request to the canary with probability canaryPercent / 100, then
 * publishes its metrics (PutMetricData, one point per request); the share history is the
 * parameter's own version history.
 */
import type { TargetConfig } from '../../../lambda/targets/contract';
import { targetMetricSpec } from '../../../lambda/targets/contract';
import type { MetricId } from '../../../sim/aws/cloudwatch/metrics';
import type { ModelTarget, ShareChange, SimTarget, SimTargetContext, SimTargetKind } from '../../../sim/targets';
import { PARAMETER_ROUTER, type Routing, parseRouting } from './contract';

class ParameterRouting implements SimTarget {
  /** Requests, Errors and Latency ids of each version, the same objects every time. */
  private readonly ids = new Map<string, MetricId[]>();

  constructor(private readonly ctx: SimTargetContext) {}

  private get parameterName(): string {
    return this.ctx.model.config.parameterName;
  }

  private routing(): Routing | undefined {
    const value = this.ctx.ssm.value(this.parameterName);
    return value === undefined ? undefined : parseRouting(value, this.parameterName);
  }

  public serveSecond(now: number): void {
    const routing = this.routing();
    if (routing) this.ctx.observe((v) => shareOf(routing, v), now, routing.stable);
    const n = this.ctx.arrivals(now);
    if (!routing || n === 0) return;
    for (let i = 0; i < n; i++) {
      const toCanary = routing.canary !== undefined && this.ctx.random.next() * 100 < routing.canaryPercent;
      const version = toCanary ? routing.canary! : routing.stable;
      const outcome = this.ctx.serveRequest(version, now);
      const [requests, errors, latency] = this.metricIds(version);
      this.ctx.metrics.put(requests, now, 1);
      this.ctx.metrics.put(errors, now, outcome.error ? 1 : 0);
      this.ctx.metrics.put(latency, now, outcome.durationMs);
    }
  }

  public canaryPercent(canary: string): number {
    const routing = this.routing();
    return routing ? shareOf(routing, canary) : 0;
  }

  public shareChanges(canary: string): ShareChange[] {
    return (this.ctx.ssm.parameters.get(this.parameterName)?.versions ?? []).map((v) => {
      const routing = parseRouting(v.value, this.parameterName);
      return { at: v.lastModified, by: v.by, percent: shareOf(routing, canary), promoted: routing.stable === canary };
    });
  }

  /** The version is a literal of the template: a deploy of another version is another template (world.updateStack). */
  public deploy(version: string): void {
    const release = this.ctx.stack.template.Resources[this.ctx.model.releaseLogicalId];
    const named = this.ctx.stack.resolver.resolve<unknown>(release?.Properties?.Version);
    if (named !== version) {
      throw new Error(`${this.ctx.model.canaryName}: the template releases version ${String(named)}, not ${version}: synthesize the stack with version ${version} and deploy it with world.updateStack`);
    }
  }

  private metricIds(version: string): MetricId[] {
    let ids = this.ids.get(version);
    if (!ids) {
      ids = (['requests', 'errors', 'latency'] as const).map((signal) => targetMetricSpec(PARAMETER_ROUTER, this.ctx.model.config, version, signal));
      this.ids.set(version, ids);
    }
    return ids;
  }
}

/** A version's share of the requests under `routing`, in percent. */
function shareOf(routing: Routing, version: string): number {
  if (routing.canary !== undefined && version === routing.canary) return routing.canaryPercent;
  return version === routing.stable ? 100 - (routing.canary !== undefined ? routing.canaryPercent : 0) : 0;
}

export const PARAMETER_ROUTER_SIM: SimTargetKind = {
  contract: PARAMETER_ROUTER,
  modelTarget(release, stack): ModelTarget | undefined {
    if (!release.target.parameterName) return undefined;
    const config = stack.resolver.resolve<TargetConfig>(release.target);
    return { kind: PARAMETER_ROUTER.kind, canaryName: release.canaryName, releaseLogicalId: release.logicalId, config };
  },
  bind: (ctx) => new ParameterRouting(ctx),
};
