/**
 * A test target kind (issue 17, "targets as plugins"): an application-level router. The routing is
 * an SSM String parameter holding JSON `{ stable, canary, canaryPercent }` that the application
 * reads to pick a version per request (what issue 19 makes real with AppConfig); the application
 * publishes its own metrics per version. It lives in test/ only, to prove that a kind is new
 * files: its modules register themselves (index.ts), no file outside test/ names it.
 */
import type { TargetConfig, TargetKindContract } from '../../../lambda/targets/contract';

export const PARAMETER_ROUTER_KIND = 'parameter-router';

export interface ParameterRouterTargetConfig extends TargetConfig {
  readonly kind: typeof PARAMETER_ROUTER_KIND;
  /** The SSM String parameter that holds the routing. */
  readonly parameterName: string;
}

/** The routing the application reads, as the parameter's value holds it (JSON). */
export interface Routing {
  readonly stable: string;
  readonly canary?: string;
  /** The canary's share, in percent. */
  readonly canaryPercent: number;
  /** The release resource that owns the routing (lambda/shared/ownership.ts). */
  readonly owner?: string;
  readonly previousOwner?: string;
}

/** The namespace of the application's own metrics. */
export const ROUTER_NAMESPACE = 'Test/Router';

/**
 * The application's metrics, one data point per request under {Router: the parameter name,
 * Version}: Requests 1, Errors 0/1, Latency in milliseconds.
 */
export const PARAMETER_ROUTER: TargetKindContract = {
  kind: PARAMETER_ROUTER_KIND,
  metrics: {
    namespace: ROUTER_NAMESPACE,
    names: { requests: 'Requests', errors: 'Errors', latency: 'Latency' },
    latencyUnitsPerMillisecond: 1,
    versionDimension: 'Version',
    dimensions: (config, version) => ({ Router: config.parameterName, Version: version }),
  },
};

/** The routing a parameter value holds; throws a clear error for a value that is not one. */
export function parseRouting(value: string, parameterName: string): Routing {
  let routing: Partial<Routing>;
  try {
    routing = JSON.parse(value) as Partial<Routing>;
  } catch {
    throw new Error(`Parameter ${parameterName} does not hold JSON routing ({"stable": ..., "canary": ..., "canaryPercent": ...}): ${value.slice(0, 80)}`);
  }
  if (typeof routing.stable !== 'string' || typeof routing.canaryPercent !== 'number') {
    throw new Error(`Parameter ${parameterName} holds no routing: "stable" (a version) and "canaryPercent" (a number) are required`);
  }
  return routing as Routing;
}
