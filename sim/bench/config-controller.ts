/**
 * The hook through which another controller of a config release (an anchor) runs in the config
 * bench (sim/bench/config-bench.ts) instead of the library's workflow.
 */
import type { AppConfigTargetConfig } from '../../lambda/targets/appconfig/contract';
import type { SynthesizedStack } from '../aws/cloudformation/template';
import type { Handler } from '../world/handlers';
import type { SimWorld } from '../world/world';

/** What a controller of the config release sees and moves. */
export interface ConfigControllerContext {
  readonly world: SimWorld;
  /** The canary's AppConfig application, environment, profile and strategy. */
  readonly target: AppConfigTargetConfig;
  /** Virtual seconds since the canary's deploy. */
  elapsed(): number;
  note(text: string): void;
}

/**
 * Another way to release the config than the library's workflow (an anchor). The runner deploys
 * `stacks()` (default: configBenchStack of each version) with `handlers()` replacing the world's
 * (e.g. a release resource that starts no workflow), calls start() after the canary's deploy and
 * tick() every virtual second until `done`, and measures the run as it measures the library's.
 */
export interface ConfigController {
  /** The strategy's name in the bench's tables. */
  readonly name: string;
  stacks?(): { readonly stable: SynthesizedStack; readonly canary: SynthesizedStack };
  handlers?(): Readonly<Record<string, Handler>>;
  start(ctx: ConfigControllerContext): void;
  tick(ctx: ConfigControllerContext): void;
  readonly done: boolean;
  /** Once done: whether it promoted the canary or rolled it back. */
  readonly outcome?: 'promoted' | 'rolled_back';
  /** Why it ended, for the run's `reason`. */
  readonly reason?: string;
  /**
   * The release as the controller sees it, when the routing's deployments do not show it: AppConfig's
   * own gradual deployment is one deployment, grown over the clients and rolled back by AppConfig.
   * Absent: read from the routing documents deployed (a rollback is a deployment at 0 %).
   */
  status?(ctx: ConfigControllerContext): ConfigControllerStatus;
}

export interface ConfigControllerStatus {
  /** The canary's share now (percent): for the run's maxCanaryPercent. */
  readonly percent: number;
  /** When the release was rolled back (ms), if it was. */
  readonly rolledBackAt?: number;
  /** When the canary reached every client (ms), if it did. */
  readonly promotedAt?: number;
}
