import type { OwnerRecord } from './ownership';
import type { MetricSpec, TargetConfig } from '../targets/contract';
import type { Release } from './types';

/** How traffic is split right now, read from the target itself. */
export interface TrafficSplit {
  /** The version that serves whatever the canary does not. */
  readonly stable: string;
  /** The version that receives a share, if any. */
  readonly canary?: string;
  /** The canary's share, in percent. */
  readonly canaryPercent: number;
  /** Token for a conditional update (Lambda's RevisionId), so a stale writer cannot win. */
  readonly revision?: string;
}

/** How the target relates to one release. */
export type SplitRelation =
  /** stable serves everything, no canary: before the first step, or after a rollback */
  | 'idle'
  /** the canary of this release has a share */
  | 'ours'
  /** the canary of this release serves everything alone */
  | 'promoted'
  /** another release owns the target now */
  | 'superseded';

export function relate(split: TrafficSplit, release: Release): SplitRelation {
  if (split.stable === release.stableVersion) {
    if (split.canary === undefined || (split.canary === release.canaryVersion && split.canaryPercent === 0)) {
      return 'idle';
    }
    if (split.canary === release.canaryVersion) return 'ours';
  }
  // Promoted: alone, or with the previous version kept at a share as the judge's control.
  if (split.stable === release.canaryVersion && (split.canary === undefined || split.canary === release.stableVersion)) return 'promoted';
  return 'superseded';
}

export interface InvokeResult {
  readonly ok: boolean;
  readonly body: string;
  readonly error?: string;
}

export type { MetricSpec } from '../targets/contract';

/** The signals the workflow counts per version (the guards read latency too). */
export type Signal = 'requests' | 'errors';

/**
 * "Where traffic goes": everything the workflow needs from a target. The schedule, the guards,
 * the workflow and the alerts are written once against this; each target kind implements it.
 */
export interface TrafficTarget {
  /** Stable identity of the routing (the release custom resource's physical id). */
  readonly id: string;
  /** The name callers use (alias name, endpoint name); returned to CloudFormation so references wait for it. */
  readonly name: string;
  /** For alerts and logs, e.g. "alias live of function sentiment". */
  readonly description: string;
  /**
   * How long after a weight change was asked for traffic may still follow the old weights. The
   * judge leaves out every minute from the change to this long after it (one minute, one weight).
   */
  readonly weightChangeSeconds: number;
  read(): Promise<TrafficSplit>;
  /**
   * Gets the target ready to route to the canary at weight 0 (SageMaker: adds the canary variant).
   * Throws EndpointBusy while that is still under way; the workflow retries.
   */
  prepare(release: Release): Promise<void>;
  /** Gives the canary `percent` of the traffic, only if the target is still as `expected`. */
  shift(release: Release, percent: number, expected: TrafficSplit): Promise<void>;
  /**
   * The canary becomes the stable version and serves everything but `controlPercent`, which the
   * previous version keeps as the judged guards' concurrent control during the post-promotion
   * watch (0: the canary serves everything). Called again with 0 when the watch ends.
   */
  promote(release: Release, expected: TrafficSplit, controlPercent?: number): Promise<void>;
  /**
   * Canary weight 0: the stable version serves everything. Also undoes a promotion (the
   * post-promotion watch): the previous version is still routable then.
   */
  rollback(release: Release, expected: TrafficSplit): Promise<void>;
  /** Sends one request to the canary alone, before it gets any traffic. */
  invokeCanary(release: Release, payload: string): Promise<InvokeResult>;
  /**
   * Creates the routing (first deploy) with one version serving everything, if it is missing.
   * `content`: what the version is, for a kind that keeps its versions itself (a config canary's JSON).
   */
  ensureServing(version: string, content?: string): Promise<{ created: boolean; split: TrafficSplit }>;
  /**
   * Optional: a kind that keeps its versions itself (a config canary) records the new version's
   * content before its rollout starts (the routing names it at weight 0). Absent: the version
   * exists elsewhere (a published Lambda version, a SageMaker model).
   */
  stage?(release: Release, content: string, expected: TrafficSplit): Promise<void>;
  /** Removes the routing the library created (stack deletion). */
  remove(): Promise<void>;
  /**
   * Who owns the routing (see lambda/shared/ownership.ts): undefined when the routing does not
   * exist, `{}` when it exists and carries no record (someone else made it).
   */
  readOwner(): Promise<OwnerRecord | undefined>;
  /** Records the owner on the routing (Lambda: the alias Description; SageMaker: endpoint tags), keeping its traffic as it is. */
  writeOwner(record: OwnerRecord): Promise<void>;
  metric(version: string, signal: Signal): MetricSpec;
  /**
   * Optional: a routing that takes time to start serving (a SageMaker endpoint is Creating, then
   * InService). The release resource's isComplete asks it after a deploy that created the routing;
   * absent, the routing serves as soon as it exists (a Lambda alias).
   */
  checkServing?(createdByThisDeploy: boolean): Promise<boolean>;
  /**
   * Optional: the environment variables `version` was published with (a Lambda version's). Guards
   * that take a value per version from there (a Bedrock guardrail's version) need it.
   */
  versionEnvironment?(version: string): Promise<Record<string, string>>;
}

export type TargetFactory = (config: TargetConfig) => TrafficTarget;
