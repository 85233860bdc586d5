/**
 * The bench for config canaries (`npm run bench -- --targets config`): each `"target": "config"`
 * scenario of scenarios/ on a small stack with one ConfigModelCanary, released 1 → 2 with the
 * library's workflow as test/workflow/config-canary.test.ts does (a deploy of a new config is a new
 * template: world.updateStack), on the simulator's users, sessions and router processes
 * (sim/targets/user-sessions.ts). Measured once a virtual second: the routing AppConfig serves,
 * each router process's cached share, what the canary served, and which users met which version.
 *
 * Another controller of the release plugs in through ConfigController: the anchor APPCONFIG_ANCHOR,
 * AppConfig's own gradual deployment with alarm rollback (sim/bench/appconfig-anchor.ts).
 */
import type { Guard } from '../../lib';
import type { AppConfigTargetConfig } from '../../lambda/targets/appconfig/contract';
import { synthesizeStack, type SynthesizedStack } from '../aws/cloudformation/template';
import type { ExecutionRecord } from '../aws/stepfunctions/execution-types';
import { LAMBDA_VERSIONS, type ScenarioFile, ScenarioError, specAt, toSimScenario } from '../scenarios/scenario';
import type { Outcome } from '../scenarios/scenario-run';
import type { ShareChange, SimTarget } from '../targets/contract';
import type { UserExposureCounts } from '../targets/user-sessions';
import type { ConfigController, ConfigControllerContext } from './config-controller';
import { SimWorld } from '../world/world';
import { APPCONFIG_ANCHOR, AppConfigAnchor } from './appconfig-anchor';
import { materialRegression } from './practical-margin';

export const CONFIG_BENCH_STACK = 'ConfigBench';
export const CONFIG_BENCH_CANARY = 'Chat';
/** The versions the bench releases: the scenario's `stable` is 1, its `canary` 2 (as `simulate --app` names them). */
export const CONFIG_VERSIONS = LAMBDA_VERSIONS;
/** Stable-only traffic before the canary's deploy, as `simulate` gives a config canary. */
const WARM_UP_MINUTES = 3;
const MINUTE = 60_000;
/** After the rollout ends, how long the run goes on beyond the propagation (users meeting the last change). */
const SETTLE_SECONDS = 30;
/** The library's name in the bench's tables. */
export const CONFIG_STRATEGY = 'model-canary';
/** What the config bench runs: the library, and AppConfig's own gradual deployment as the anchor. */
export const CONFIG_STRATEGIES = [CONFIG_STRATEGY, APPCONFIG_ANCHOR] as const;
export type ConfigStrategy = (typeof CONFIG_STRATEGIES)[number];

export function isConfigStrategy(s: string): s is ConfigStrategy {
  return (CONFIG_STRATEGIES as readonly string[]).includes(s);
}

/** The controller of a config strategy: none for the library (its workflow), a new one for an anchor. */
export function configControllerFor(strategy: string): ConfigController | undefined {
  if (strategy === CONFIG_STRATEGY) return undefined;
  if (strategy === APPCONFIG_ANCHOR) return new AppConfigAnchor();
  throw new ScenarioError(`Unknown config strategy "${strategy}" (valid: ${CONFIG_STRATEGIES.join(', ')})`);
}

/**
 * The guards of the bench's config canary: the defaults (errors and latency, absolute and against
 * stable) and the two a model or prompt swap needs (tokens and guardrail blocks against stable).
 */
export function configBenchGuards(): Guard[] {
  // Loaded lazily: `bench --targets lambda` does not pay for the library's constructs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Guard: G } = require('../../lib') as typeof import('../../lib');
  // fastErrorRate: the 10-second path for gross failures (issue 19's goal: at 0 % within 60 s + propagation).
  return [...G.defaults(), G.tokensPerRequestVsStable(), G.guardrailBlockRateVsStable(), G.fastErrorRate()];
}

const stacks = new Map<string, SynthesizedStack>();

/**
 * The bench's stack releasing config `version` (a new template per version, as a deploy of a new
 * config is), with configBenchGuards() and the default propagation (90 s). Synthesized once per version.
 */
export function configBenchStack(version: string): SynthesizedStack {
  const cached = stacks.get(version);
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ConfigModelCanary } = require('../../lib') as typeof import('../../lib');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Stack } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const synthesized = synthesizeStack((app) => {
    const stack = new Stack(app, CONFIG_BENCH_STACK);
    new ConfigModelCanary(stack, CONFIG_BENCH_CANARY, {
      config: { modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', promptVersion: version, temperature: 0.2 },
      version,
      guards: configBenchGuards(),
    });
    return stack;
  });
  stacks.set(version, synthesized);
  return synthesized;
}

export type { ConfigController, ConfigControllerContext, ConfigControllerStatus } from './config-controller';

export interface ConfigBenchOptions {
  readonly seed?: number;
  /** Publication lag of every metric where the scenario sets none. @default 0 */
  readonly metricPublishDelaySeconds?: number;
  /** Releases the config instead of the library's workflow. */
  readonly controller?: ConfigController;
}

/** One run of one config scenario. Seconds are from the canary's deploy; null: did not happen. */
export interface ConfigBenchRun {
  readonly scenario: string;
  readonly strategy: string;
  readonly seed: number;
  readonly outcome: Outcome;
  readonly reason: string | null;
  readonly regressionOnsetSeconds: number | null;
  readonly regression: string[];
  readonly metricPublishDelaySeconds: number;
  /** The router processes' poll interval (the canary's propagation). */
  readonly propagationSeconds: number;
  /** The first routing deployment with the canary at 0 % after it served (the rollback); for an anchor with a status(), its rollback. */
  readonly rollbackAtSeconds: number | null;
  /** When the last router process served the canary 0 % after that. */
  readonly allRoutersAtZeroSeconds: number | null;
  /** Onset → the rollback's deployment, and → the last router process at 0 % (null: no regression, no rollback, or a rollback before the onset). */
  readonly detectionSeconds: number | null;
  readonly detectionAllRoutersSeconds: number | null;
  /** When the canary became the routing's stable version (the AppConfig anchor: when AppConfig reached 100 % of clients). */
  readonly promotedAtSeconds: number | null;
  readonly maxCanaryPercent: number;
  /** Requests (and failed ones) the canary served from the onset to the end of the run: the blast radius (0 without a regression). */
  readonly blastRadiusRequests: number;
  readonly blastRadiusFailed: number;
  readonly canaryRequests: number;
  /** Users by what they met (UserExposureCounts): `switchedBack` is "met the canary, then stable again, outside a rollback". */
  readonly users: UserExposureCounts | null;
  readonly simulatedSeconds: number;
  readonly realMs: number;
}

/** The simulator's config routing, as the runner reads it (absent methods: another routing). */
interface ConfigRoutingView extends SimTarget {
  routerPercents?(version: string): (number | undefined)[];
  userExposure?(): UserExposureCounts;
}

/** Runs one config scenario with the library's workflow (or `options.controller`). */
export async function runConfigBench(file: ScenarioFile, options: ConfigBenchOptions = {}): Promise<ConfigBenchRun> {
  if (file.target !== 'config') throw new ScenarioError(`${file.name}: the config bench runs "target": "config" scenarios only (target "${file.target}")`);
  const seed = options.seed ?? 1;
  const realStart = performance.now();
  const controller = options.controller;
  const { stable, canary } = controller?.stacks?.() ?? { stable: configBenchStack(CONFIG_VERSIONS.stable), canary: configBenchStack(CONFIG_VERSIONS.canary) };
  const delay = file.metricPublishDelaySeconds ?? options.metricPublishDelaySeconds ?? 0;
  const world = SimWorld.fromStack(stable, {
    seed,
    canaryName: CONFIG_BENCH_CANARY,
    scenario: toSimScenario(file, WARM_UP_MINUTES, CONFIG_VERSIONS, seed),
    metricPublishDelaySeconds: delay,
    ...(controller?.handlers ? { handlers: controller.handlers() } : {}),
  });
  try {
    return await drive(world, file, seed, canary, delay, controller, realStart);
  } finally {
    world.dispose();
  }
}

async function drive(world: SimWorld, file: ScenarioFile, seed: number, canaryStack: SynthesizedStack, delay: number, controller: ConfigController | undefined, realStart: number): Promise<ConfigBenchRun> {
  const CANARY = CONFIG_VERSIONS.canary;
  await world.deploy(CONFIG_VERSIONS.stable);
  const deployAt = world.startMs + WARM_UP_MINUTES * MINUTE;
  await world.advance((deployAt - world.now()) / 1000);
  const end = deployAt + file.durationMinutes * MINUTE;
  const seconds = (ms: number) => Math.round((ms - deployAt) / 100) / 10;
  const { onset } = materialRegression(file);
  const onsetMs = onset ? deployAt + onset.minute * MINUTE : undefined;
  const served = () => ({ ...(world.served.get(CANARY) ?? { requests: 0, errors: 0 }) });
  const target = world.targetConfig as AppConfigTargetConfig;
  const propagationSeconds = Number(target.propagationSeconds) || 90;
  const notes: string[] = [];
  const ctx: ConfigControllerContext = { world, target, elapsed: () => (world.now() - deployAt) / 1000, note: (t) => notes.push(t) };

  const deployed = await world.updateStack(canaryStack, CANARY);
  const execution: ExecutionRecord | undefined = deployed.executionArn ? world.sfn.executions.get(deployed.executionArn) : undefined;
  if (controller) controller.start(ctx);
  else if (!execution) throw new Error(`The deploy of the canary started no rollout (release action: ${deployed.action})`);
  const routing = () => world.target as ConfigRoutingView;
  const routersPercent = () => {
    const each = routing().routerPercents?.(CANARY);
    return each ? Math.max(0, ...each.map((p) => p ?? 0)) : routing().canaryPercent(CANARY);
  };
  const finished = () => (controller ? controller.done : execution!.status !== 'RUNNING');

  let atOnset = onsetMs !== undefined && onsetMs <= world.now() ? served() : undefined;
  let maxPercent = 0;
  let allZeroAt: number | undefined;
  let rollbackAt: number | undefined;
  let promotedAt: number | undefined;
  let doneAt: number | undefined;
  let deployments = -1;
  while (world.now() < end) {
    await world.advance(1);
    controller?.tick(ctx);
    if (!atOnset && onsetMs !== undefined && world.now() >= onsetMs) atOnset = served();
    const own = controller?.status?.(ctx);
    maxPercent = Math.max(maxPercent, own ? own.percent : routersPercent());
    if (own) {
      rollbackAt ??= own.rolledBackAt;
      promotedAt ??= own.promotedAt;
    } else if (rollbackAt === undefined && world.appconfig.deployments.length !== deployments) {
      // The routing's history changes only with a deployment: read it then.
      deployments = world.appconfig.deployments.length;
      rollbackAt = rollbackOf(routing().shareChanges(CANARY), deployAt)?.at;
    }
    if (rollbackAt !== undefined && allZeroAt === undefined && routersPercent() === 0) allZeroAt = world.now();
    if (finished()) doneAt ??= world.now();
    if (doneAt === undefined) continue;
    // Promoted with a regression: it serves on to the end. Otherwise until every process has read
    // the last change (the rollback, or the end of the promotion's control share) and its users met it.
    const promotedBad = rollbackAt === undefined && onsetMs !== undefined && maxPercent > 0;
    if (!promotedBad && world.now() >= doneAt + (propagationSeconds + SETTLE_SECONDS) * 1000) break;
  }
  if (!controller?.status) promotedAt = routing().shareChanges(CANARY).find((c) => c.at >= deployAt && c.promoted)?.at;
  const now = served();
  const rolledBackBeforeOnset = rollbackAt !== undefined && onsetMs !== undefined && rollbackAt < onsetMs;
  const blast = atOnset && !rolledBackBeforeOnset ? { requests: now.requests - atOnset.requests, errors: now.errors - atOnset.errors } : { requests: 0, errors: 0 };
  const afterOnset = (t: number | undefined) => (t !== undefined && onsetMs !== undefined && !rolledBackBeforeOnset ? Math.round((t - onsetMs) / 100) / 10 : null);
  return {
    scenario: file.name,
    strategy: controller?.name ?? CONFIG_STRATEGY,
    seed,
    outcome: outcomeOf(controller, execution, promotedAt !== undefined),
    reason: controller ? (controller.reason ?? null) : (execution!.cause ?? execution!.error ?? null),
    regressionOnsetSeconds: onset ? onset.minute * 60 : null,
    regression: onset?.what ?? [],
    metricPublishDelaySeconds: delay,
    propagationSeconds,
    rollbackAtSeconds: rollbackAt !== undefined ? seconds(rollbackAt) : null,
    allRoutersAtZeroSeconds: allZeroAt !== undefined ? seconds(allZeroAt) : null,
    detectionSeconds: afterOnset(rollbackAt),
    detectionAllRoutersSeconds: afterOnset(allZeroAt),
    promotedAtSeconds: promotedAt !== undefined ? seconds(promotedAt) : null,
    maxCanaryPercent: maxPercent,
    blastRadiusRequests: blast.requests,
    blastRadiusFailed: blast.errors,
    canaryRequests: now.requests,
    users: routing().userExposure?.() ?? null,
    simulatedSeconds: seconds(world.now()),
    realMs: Math.round(performance.now() - realStart),
  };
}

/** The first routing change to 0 % after the canary had a share, unless a promotion came first. */
function rollbackOf(changes: readonly ShareChange[], from: number): ShareChange | undefined {
  let served = false;
  for (const c of changes) {
    if (c.at < from) continue;
    if (c.promoted) return undefined;
    if (c.percent > 0) served = true;
    else if (served) return c;
  }
  return undefined;
}

function outcomeOf(controller: ConfigController | undefined, execution: ExecutionRecord | undefined, promoted: boolean): Outcome {
  if (controller) return !controller.done ? 'held' : (controller.outcome ?? 'failed');
  const e = execution!;
  if (e.status === 'RUNNING') return 'held';
  if (e.status === 'SUCCEEDED' && promoted) return 'promoted';
  if (e.status === 'FAILED' && e.error === 'CanaryRolledBack') return 'rolled_back';
  if (e.status === 'FAILED' && e.error === 'InsufficientEvidence') return 'insufficient_evidence';
  return 'failed';
}

/**
 * Issue 19's time goal for a gross failure (the canary failing half its requests or more): every
 * router process at 0 % within `withinSeconds` of the onset plus the propagation, through
 * Guard.fastErrorRate (in configBenchGuards).
 */
export const GROSS_FAILURE_GOAL = { withinSeconds: 60 } as const;

/** Whether a scenario's canary fails at least half its requests from the onset (the gross-failure time goal). */
export function isGrossFailure(file: ScenarioFile): boolean {
  const { onset } = materialRegression(file);
  return onset !== undefined && onset.what.includes('errorRate') && (specAt(file, 'canary', onset.minute).errorRate ?? 0) >= 0.5;
}
