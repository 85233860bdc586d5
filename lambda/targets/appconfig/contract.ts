/**
 * An app-level config canary (`ConfigModelCanary`): the released thing is a JSON config the
 * application reads from AWS AppConfig, as a routing document (runtime/routing.ts) that names the
 * stable and the canary config and the canary's share; the application's router
 * (`ModelRouter` in both runtime helpers) picks a variant per user and records each request's
 * outcome, latency and AI signals in the model-signals namespace with Version = the variant's
 * version, so every judged guard works unchanged.
 */
import { CANARY_DIMENSION, SIGNAL_NAMESPACE, SIGNALS, STACK_DIMENSION, VERSION_DIMENSION } from '../../../runtime/signal-names';
import type { TargetConfig, TargetKindContract } from '../contract';

export const APPCONFIG_KIND = 'appconfig';

export interface AppConfigTargetConfig extends TargetConfig {
  readonly kind: typeof APPCONFIG_KIND;
  readonly applicationId: string;
  readonly environmentId: string;
  /** The hosted, freeform configuration profile that holds the routing document. */
  readonly profileId: string;
  /** The canary's own strategy: no duration, no bake (the workflow is the gradual part). */
  readonly deploymentStrategyId: string;
  /** The router's metrics: namespace and dimension values. */
  readonly metricsNamespace: string;
  readonly canaryName: string;
  readonly stackName: string;
  /** Seconds from a deployment to every router using it (the agent's poll interval plus the router's cache). */
  readonly propagationSeconds: string;
  /** 'true' when a guard asked the routers for 1-second Requests and Errors (Guard.fastErrorRate). */
  readonly highResolution: string;
}

/** The router's per-request metrics (runtime/emf-contract.json: Requests, Errors, Latency in ms). */
export const ROUTER_METRICS = { requests: SIGNALS.requests, errors: 'Errors', latency: 'Latency' } as const;

export const APPCONFIG: TargetKindContract = {
  kind: APPCONFIG_KIND,
  metrics: {
    namespace: SIGNAL_NAMESPACE,
    namespaceOf: (config) => config.metricsNamespace || SIGNAL_NAMESPACE,
    names: ROUTER_METRICS,
    latencyUnitsPerMillisecond: 1,
    versionDimension: VERSION_DIMENSION,
    dimensions: (config, version) => ({ [CANARY_DIMENSION]: config.canaryName, [STACK_DIMENSION]: config.stackName, [VERSION_DIMENSION]: version }),
  },
};
