/**
 * Rollout strategies side by side on the same simulated traffic (issue 4, `npm run bench`).
 *
 * `model-canary` is this library: the synthesized workflow with the real handlers, as
 * `npm run simulate` runs it. The others are anchors, small controllers (sim/bench/anchor-controllers.ts,
 * sim/bench/kayenta.ts) that drive the SAME simulated alias (UpdateAlias on the simulated Lambda) on the
 * SAME SimWorld traffic, and read the same simulated CloudWatch: the example app's guard alarms
 * (CodeDeploy) or the alias's AWS/Lambda metrics per executed version (the seed tutorial's
 * controller, Flagger, Kayenta). For an anchor
 * the release custom resource does not start the workflow and the EventBridge fast path does
 * nothing (both handlers are replaced), so only the anchor moves traffic. Each anchor is a model of
 * the documented behaviour under stated assumptions (ANCHOR_ASSUMPTIONS), not the product itself.
 *
 * Every run is measured the same way, once a virtual second, from the alias: when the canary's
 * weight first returns to 0 (rollback), when it becomes the alias's version (promotion), and the
 * canary's requests and failures between the regression onset and that rollback (blast radius).
 * The onset is the first minute the canary is materially worse (sim/bench/practical-margin.ts).
 */
import type { CustomResourceEvent } from '../../lambda/handlers/release';
import { COMPLETE_MARKER, isCompleteEvent } from '../../lambda/shared/release-complete';
import { targetFor } from '../../lambda/targets';
import { HANDLERS, type Handler } from '../world/handlers';
import { CodeDeployController, type Controller, type ControllerContext, FlaggerController, SeedController } from './anchor-controllers';
import { KAYENTA_DEFAULTS, KAYENTA_JUDGE, KayentaController } from './kayenta';
import type { MetricId } from '../aws/cloudwatch/metrics';
import { materialRegression } from './practical-margin';
import { LAMBDA_VERSIONS, type ScenarioFile, ScenarioError, specAt, toSimScenario } from '../scenarios/scenario';
import { synthesizeExampleStack } from '../aws/cloudformation/template';
import { SimWorld } from '../world/world';

export const ANCHOR_STRATEGIES = ['codedeploy-canary10-5min', 'codedeploy-linear10-every1min', 'seed-controller', 'flagger', 'kayenta'] as const;
export type AnchorStrategy = (typeof ANCHOR_STRATEGIES)[number];
/** This library with the evidence-driven schedule (RolloutSchedule.EVIDENCE_10_50_100) on the example's Lambda canary. */
export const EVIDENCE_STRATEGY = 'model-canary-evidence';
/** Every strategy `simulate --strategy` and `bench` know; this library's first. */
export const ALL_STRATEGIES = ['model-canary', EVIDENCE_STRATEGY, ...ANCHOR_STRATEGIES] as const;
export type AnyStrategy = (typeof ALL_STRATEGIES)[number];

export function isAnchor(s: string): s is AnchorStrategy {
  return (ANCHOR_STRATEGIES as readonly string[]).includes(s);
}

/** Strategies that run through runStrategy() in `simulate` (the anchors, and this library with another schedule). */
export function runsAsStrategy(s: string): boolean {
  return isAnchor(s) || s === EVIDENCE_STRATEGY;
}

/** What each anchor is, as modelled here (BENCHMARKS.md prints these). */
export const ANCHOR_ASSUMPTIONS: Readonly<Record<AnchorStrategy, string>> = {
  'codedeploy-canary10-5min':
    'CodeDeploy Canary10Percent5Minutes: 10 % at the start, 100 % after 5 minutes, done. Rolls back (canary to 0 %) when any of the ' +
    "example app's guard alarms is in ALARM; CodeDeploy documents no polling interval, so the alarm states are assumed read once a " +
    'minute (and just before the shift to 100 %). No monitoring after the shift (the deployment has ended).',
  'codedeploy-linear10-every1min':
    'CodeDeploy Linear10PercentEvery1Minute: 10 % at the start, +10 % every minute, 100 % after 9 minutes, done. Same alarms and the ' +
    'same once-a-minute alarm poll (before each shift) as the canary preset.',
  'seed-controller':
    "The seed tutorial's controller: evaluates every 60 s the mean error rate and mean latency of canary and stable since the rollout " +
    'started (AWS/Lambda Invocations, Errors, Duration per executed version, complete minutes), decides only with at least 100 canary ' +
    'requests, rolls back when the canary is worse by more than 2 points of error rate or 50 ms of mean latency, otherwise moves ' +
    '10 → 25 → 50 → 75 → 100 % (one step per healthy evaluation), done at 100 %.',
  flagger:
    "Flagger's documented defaults and docs example: interval 1 m, stepWeight 10, maxWeight 50, threshold 5; the built-in checks on " +
    'the canary over the last minute: request-success-rate ≥ 99 % and request-duration (p99) ≤ 500 ms; no data fails a check; a ' +
    'passing check moves +10 % (10 → 50 %), a passing check at 50 % promotes (100 % at once, generous: real Flagger takes another ' +
    'interval or two to promote and finalise); failed checks count up over the rollout and the 5th rolls back.',
  kayenta:
    `Spinnaker's canary stage with Kayenta's default judge (NetflixACAJudge): ${KAYENTA_DEFAULTS.steps.join(' → ')} % then 100 %, ` +
    `one ${KAYENTA_DEFAULTS.intervalMinutes}-minute analysis interval per step (no warm-up, no lookback: each analysis covers every ` +
    'complete, published minute since the canary started). Two metrics, each its own group: error rate per minute (Errors / ' +
    'Invocations) and p95 Duration per minute, per executed version, direction "increase" (a better canary passes). Each is ' +
    `a Mann-Whitney U test on the canary's and stable's per-minute points with a ${KAYENTA_JUDGE.confidenceLevel * 100} % interval on the shift; ` +
    `High when its lower bound exceeds ${KAYENTA_JUDGE.tolerance} × |Hodges-Lehmann estimate| and the mean ratio is at least ${KAYENTA_JUDGE.allowedIncrease}. ` +
    'The test is the asymptotic one Kayenta computes (normal approximation with continuity and tie corrections, as R\'s ' +
    'wilcox.test), written in sim/bench/kayenta.ts; a minute without canary requests gives no point. ' +
    'Score = share of groups that pass (no data scores 0, as Kayenta\'s NODATA); a score below the marginal threshold ' +
    `(${KAYENTA_DEFAULTS.marginal}) rolls back at once, the last interval must reach the pass threshold (${KAYENTA_DEFAULTS.pass}), then 100 %. ` +
    'The thresholds 75 / 95 are an assumption (common example values; Kayenta has no default). No outlier removal (Kayenta\'s ' +
    'default), no correction for the repeated looks.',
};

export type { Controller, ControllerContext } from './anchor-controllers';

export type Outcome = 'promoted' | 'rolled_back' | 'insufficient_evidence' | 'held' | 'failed';

/** One strategy on one scenario and seed. Times are seconds from the canary's deploy. */
export interface StrategyRun {
  readonly scenario: string;
  readonly strategy: AnyStrategy;
  readonly seed: number;
  readonly outcome: Outcome;
  /** Why it ended as it did (the anchor's reason, or the execution's cause). */
  readonly reason: string | null;
  readonly regressionOnsetSeconds: number | null;
  readonly regression: string[];
  /** Differences from stable within the practical margin (sim/bench/practical-margin.ts): the run counts as healthy. */
  readonly negligible?: string[];
  /** Seconds after a minute ends before its metrics can be read (SimWorld's metricPublishDelaySeconds). */
  readonly metricPublishDelaySeconds?: number;
  /** When the canary's weight first went back to 0 after serving (rollback), if it did. */
  readonly weightZeroAtSeconds: number | null;
  /** When the canary first got 100 % of traffic (Lambda: became the alias's version), if it did; model-canary promotes after a bake at 100 %. */
  readonly promotedAtSeconds: number | null;
  /** Seconds from the regression onset to weight 0 (null: no regression, never rolled back, or rolled back before the onset). */
  readonly detectionSeconds: number | null;
  /** The pre-traffic check stopped the canary before any user request reached it (a catch with nothing served). */
  readonly refusedBeforeTraffic?: boolean;
  /** Failed requests the canary served from the regression onset until its weight reached 0 (or the scenario's end); 0 without a regression. */
  readonly blastRadiusFailed: number;
  /** Requests the canary served in the same window (exposure to a regression that does not fail requests). */
  readonly blastRadiusRequests: number;
  readonly canaryRequests: number;
  readonly canaryFailedRequests: number;
  readonly maxCanaryWeight: number;
  /** The canary's weight after each change, in percent. */
  readonly steps: { readonly atSeconds: number; readonly percent: number }[];
  readonly simulatedSeconds: number;
  /**
   * When a strategy was done with the canary at 100 % and a regression to count: from then to the
   * scenario's end the canary's requests and failures are the expected ones (rate × request rate),
   * not simulated; they are in the counts above.
   */
  readonly extrapolatedFromSeconds?: number;
  readonly realMs: number;
}

export interface StrategyOptions {
  readonly seed?: number;
  readonly strategy?: AnyStrategy;
  /**
   * Simulate a promoted canary request by request until the scenario ends. By default the run stops
   * once the strategy is done at 100 % and adds the expected rest (extrapolatedFromSeconds).
   */
  readonly simulateAfterPromotion?: boolean;
  /** Publication lag of every metric, for every strategy alike, where the scenario sets no metricPublishDelaySeconds. @default 0 */
  readonly metricPublishDelaySeconds?: number;
  /** Called once a virtual minute. */
  readonly onProgress?: (p: { atSeconds: number; canaryPercent: number; alarmsInAlarm: string[]; note: string }) => void;
}

const MINUTE = 60_000;
const WARM_UP_MINUTES = 3;
const STABLE = LAMBDA_VERSIONS.stable;
const CANARY = LAMBDA_VERSIONS.canary;

export function controllerFor(strategy: AnchorStrategy): Controller {
  switch (strategy) {
    case 'codedeploy-canary10-5min':
      return new CodeDeployController([
        { atSeconds: 0, percent: 10 },
        { atSeconds: 300, percent: 100 },
      ]);
    case 'codedeploy-linear10-every1min':
      return new CodeDeployController(Array.from({ length: 10 }, (_, i) => ({ atSeconds: i * 60, percent: (i + 1) * 10 })));
    case 'seed-controller':
      return new SeedController();
    case 'flagger':
      return new FlaggerController();
    case 'kayenta':
      return new KayentaController();
  }
}

/** For an anchor: the release resource records the deploy but starts no workflow; the alarm fast path does nothing. */
export function anchorHandlers(): Record<string, Handler> {
  const release = (async (event: CustomResourceEvent) => {
    if (event.RequestType !== 'Update' || isCompleteEvent(event as object)) return (HANDLERS.release as (e: CustomResourceEvent) => Promise<unknown>)(event);
    const target = await targetFor(event.ResourceProperties.Target);
    return {
      PhysicalResourceId: target.id,
      Data: { StableVersion: STABLE, TargetName: target.name, Action: 'anchor strategy: no workflow' },
      [COMPLETE_MARKER]: true,
    };
  }) as Handler;
  return { release, 'on-alarm': (async () => ({ skipped: 'anchor strategy' })) as Handler };
}

/** The canary's expected requests and failures at 100 % of traffic from `fromSeconds` to `toSeconds` after its deploy. */
export function expectedCanaryServed(file: ScenarioFile, fromSeconds: number, toSeconds: number): { requests: number; errors: number } {
  const traffic = [...(file.changes ?? [])].filter((c) => c.requestsPerSecond !== undefined).sort((a, b) => a.atMinute - b.atMinute);
  let requests = 0;
  let errors = 0;
  for (let t = Math.ceil(fromSeconds); t < toSeconds; t++) {
    const minute = t / 60;
    const rps = traffic.filter((c) => c.atMinute <= minute).pop()?.requestsPerSecond ?? file.requestsPerSecond;
    requests += rps;
    errors += rps * (specAt(file, 'canary', minute).errorRate ?? 0);
  }
  return { requests: Math.round(requests), errors: Math.round(errors) };
}

/** The largest control share the library allows (controlPercent). */
const MAX_CONTROL_PERCENT = 20;

function parseAlert(message: string | undefined): { event?: string; step?: { number: number; of: number }; weightPercent: number } | undefined {
  try {
    return JSON.parse(message ?? '') as { event?: string; step?: { number: number; of: number }; weightPercent: number };
  } catch {
    return undefined;
  }
}

/** The scenario's own publication lag, else the option's. */
const publishDelay = (file: ScenarioFile, options: StrategyOptions) => file.metricPublishDelaySeconds ?? options.metricPublishDelaySeconds ?? 0;

/** Runs one strategy on one Lambda scenario file. */
export async function runStrategy(file: ScenarioFile, options: StrategyOptions = {}): Promise<StrategyRun> {
  const strategy = options.strategy ?? 'model-canary';
  if (!(ALL_STRATEGIES as readonly string[]).includes(strategy)) throw new ScenarioError(`Unknown strategy "${strategy}" (valid: ${ALL_STRATEGIES.join(', ')})`);
  if (file.target !== 'lambda') throw new ScenarioError(`${file.name}: the strategies compare on the Lambda canary only (target "${file.target}")`);
  const seed = options.seed ?? 1;
  const realStart = performance.now();
  const world = SimWorld.fromStack(synthesizeExampleStack(strategy === EVIDENCE_STRATEGY ? 'evidence' : 'default'), {
    seed,
    canaryName: 'SentimentCanary',
    scenario: toSimScenario(file, WARM_UP_MINUTES, LAMBDA_VERSIONS, seed),
    metricPublishDelaySeconds: publishDelay(file, options),
    ...(isAnchor(strategy) ? { handlers: anchorHandlers() } : {}),
  });
  try {
    return await drive(world, file, seed, strategy, options, realStart);
  } finally {
    world.dispose();
  }
}

async function drive(world: SimWorld, file: ScenarioFile, seed: number, strategy: AnyStrategy, options: StrategyOptions, realStart: number): Promise<StrategyRun> {
  await world.deploy(STABLE);
  const deployAt = world.startMs + WARM_UP_MINUTES * MINUTE;
  await world.advance((deployAt - world.now()) / 1000);
  const end = deployAt + file.durationMinutes * MINUTE;
  const seconds = (ms: number) => Math.round((ms - deployAt) / 100) / 10;
  const { onset, negligible } = materialRegression(file);
  const onsetMs = onset ? deployAt + onset.minute * MINUTE : undefined;
  const servedCanary = () => ({ ...(world.served.get(CANARY) ?? { requests: 0, errors: 0 }) });
  let atOnset = onsetMs !== undefined && onsetMs <= world.now() ? servedCanary() : undefined;

  const fn = world.modelFunctionName;
  const percentNow = () => {
    const alias = world.alias();
    if (!alias) return 0;
    if (alias.functionVersion === CANARY) return 100;
    return Math.round((alias.weights[CANARY] ?? 0) * 1000) / 10;
  };
  let reason: string | null = null;
  let notes: string[] = [];
  let controllerStart = 0;
  const setAlias = (version: string, extra: Record<string, number>, by: string) =>
    world.lambda.updateAlias({ FunctionName: fn, Name: world.aliasName, FunctionVersion: version, RoutingConfig: { AdditionalVersionWeights: extra } }, by);
  const ctx: ControllerContext = {
    elapsed: () => (world.now() - controllerStart) / 1000,
    setCanaryPercent: (p) => setAlias(STABLE, p > 0 ? { [CANARY]: p / 100 } : {}, strategy),
    promote: (why) => {
      reason = why;
      setAlias(CANARY, {}, strategy);
    },
    rollback: (why) => {
      reason = why;
      setAlias(STABLE, {}, strategy);
    },
    alarmsInAlarm: () => [...world.cloudwatch.alarms.values()].filter((a) => a.state === 'ALARM').map((a) => a.definition.AlarmName ?? '?'),
    lambdaMetric: (version, metricName, stat, fromMs, toMs) => {
      const id: MetricId = { namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: fn, Resource: `${fn}:${world.aliasName}`, ExecutedVersion: version } };
      return world.metrics.series(id, stat, 60, fromMs, toMs, world.now()).map((d) => ({ value: d.value, samples: d.sampleCount, timestamp: d.timestamp }));
    },
    minuteStart: () => Math.floor(world.now() / MINUTE) * MINUTE,
    rolloutStartMs: deployAt,
    note: (text) => notes.push(text),
  };

  const deployed = await world.deploy(CANARY);
  const execution = deployed.executionArn ? world.sfn.executions.get(deployed.executionArn) : undefined;
  let controller: Controller | undefined;
  if (isAnchor(strategy)) {
    controller = controllerFor(strategy);
    controllerStart = world.now();
    controller.start(ctx);
  } else if (!execution) throw new Error(`The deploy of the canary started no rollout (release action: ${deployed.action})`);

  let everServed = false;
  let zeroAt: number | undefined;
  let extrapolatedFrom: number | undefined;
  let atZero: { requests: number; errors: number } | undefined;
  let promotedAt: number | undefined;
  let maxWeight = 0;
  const steps: { atSeconds: number; percent: number }[] = [];
  let lastPercent = -1;
  let lastProgress = world.now();
  const observe = () => {
    const p = percentNow();
    if (p !== lastPercent) {
      steps.push({ atSeconds: seconds(world.now()), percent: p });
      lastPercent = p;
    }
    maxWeight = Math.max(maxWeight, p);
    if (p > 0) everServed = true;
    if (promotedAt === undefined && (p === 100 || (!controller && lastStepReached()))) promotedAt = world.now();
    if (everServed && p === 0 && zeroAt === undefined) {
      zeroAt = world.now();
      atZero = servedCanary();
    }
    if (!atOnset && onsetMs !== undefined && world.now() >= onsetMs) atOnset = servedCanary();
  };
  const finished = () => (controller ? controller.done : execution!.status !== 'RUNNING');
  // This library keeps the previous version at its control share while the canary is at 100 %:
  // the canary has reached 100 % when its last step began (its STEP alert says so).
  let alertsSeen = 0;
  const lastStepReached = () => {
    const published = world.sns.published;
    for (; alertsSeen < published.length; alertsSeen++) {
      const body = parseAlert(published[alertsSeen].message);
      if (body?.event === 'STEP' && body.step !== undefined && body.step.number === body.step.of && body.weightPercent >= 100 - MAX_CONTROL_PERCENT) return true;
    }
    return false;
  };
  observe();
  while (world.now() < end) {
    await world.advance(1);
    controller?.tick(ctx);
    observe();
    if (options.onProgress && world.now() - lastProgress >= MINUTE) {
      lastProgress = world.now();
      options.onProgress({ atSeconds: seconds(world.now()), canaryPercent: percentNow(), alarmsInAlarm: ctx.alarmsInAlarm(), note: notes.join('; ') });
      notes = [];
    }
    // Done and nothing left to measure: rolled back, or no regression to count.
    if (finished() && (zeroAt !== undefined || onsetMs === undefined || percentNow() === 0)) break;
    // Done at 100 % with a regression: nothing watches any more, the rest is the canary serving everything.
    if (finished() && percentNow() === 100 && !options.simulateAfterPromotion) {
      extrapolatedFrom = world.now();
      break;
    }
  }
  const rest = extrapolatedFrom !== undefined ? expectedCanaryServed(file, (extrapolatedFrom - deployAt) / 1000, file.durationMinutes * 60) : { requests: 0, errors: 0 };
  const served = servedCanary();
  const endServed = { requests: served.requests + rest.requests, errors: served.errors + rest.errors };
  if (extrapolatedFrom !== undefined && !atOnset && onsetMs !== undefined) {
    // The regression starts after the run stopped: the counts at the onset are expected ones too.
    const before = expectedCanaryServed(file, (extrapolatedFrom - deployAt) / 1000, (onsetMs - deployAt) / 1000);
    atOnset = { requests: served.requests + before.requests, errors: served.errors + before.errors };
  }
  const outcome: Outcome = controller
    ? !controller.done
      ? 'held'
      : promotedAt !== undefined
        ? 'promoted'
        : 'rolled_back'
    : execution!.status === 'RUNNING'
      ? 'held'
      : execution!.status === 'SUCCEEDED' && promotedAt !== undefined
        ? 'promoted'
        : execution!.status === 'FAILED' && execution!.error === 'CanaryRolledBack'
          ? 'rolled_back'
          : execution!.status === 'FAILED' && execution!.error === 'InsufficientEvidence'
            ? 'insufficient_evidence'
            : 'failed';
  if (!controller) reason = execution!.cause ?? execution!.error ?? null;
  // The pre-traffic check refused a canary that is bad from its deploy: caught with no user request served.
  const refusedBeforeTraffic =
    !controller && maxWeight === 0 && onsetMs !== undefined && onsetMs <= execution!.startDate && execution!.status === 'FAILED' && /^PreTrafficCheckFailed/.test(execution!.cause ?? '');
  const windowEnd = atZero ?? endServed;
  const rolledBackBeforeOnset = zeroAt !== undefined && onsetMs !== undefined && zeroAt < onsetMs;
  const blast = onsetMs === undefined || rolledBackBeforeOnset || !atOnset
    ? { requests: 0, errors: 0 }
    : { requests: windowEnd.requests - atOnset.requests, errors: windowEnd.errors - atOnset.errors };
  return {
    scenario: file.name,
    strategy,
    seed,
    outcome,
    reason,
    regressionOnsetSeconds: onset ? onset.minute * 60 : null,
    regression: onset?.what ?? [],
    ...(negligible.length > 0 ? { negligible } : {}),
    metricPublishDelaySeconds: publishDelay(file, options),
    weightZeroAtSeconds: zeroAt !== undefined ? seconds(zeroAt) : null,
    promotedAtSeconds: promotedAt !== undefined ? seconds(promotedAt) : null,
    // Stopped for want of evidence is not a detection.
    detectionSeconds: refusedBeforeTraffic
      ? Math.round(((execution!.stopDate ?? world.now()) - onsetMs!) / 100) / 10
      : zeroAt !== undefined && onsetMs !== undefined && !rolledBackBeforeOnset && outcome !== 'insufficient_evidence'
        ? Math.round((zeroAt - onsetMs) / 100) / 10
        : null,
    ...(refusedBeforeTraffic ? { refusedBeforeTraffic: true } : {}),
    blastRadiusFailed: blast.errors,
    blastRadiusRequests: blast.requests,
    canaryRequests: endServed.requests,
    canaryFailedRequests: endServed.errors,
    maxCanaryWeight: maxWeight,
    steps,
    simulatedSeconds: seconds(world.now()),
    ...(extrapolatedFrom !== undefined ? { extrapolatedFromSeconds: seconds(extrapolatedFrom) } : {}),
    realMs: Math.round(performance.now() - realStart),
  };
}
