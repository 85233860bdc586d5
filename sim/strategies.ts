/**
 * Rollout strategies side by side on the same simulated traffic (issue 4, `npm run bench`).
 *
 * `model-canary` is this library: the synthesized workflow with the real handlers, as
 * `npm run simulate` runs it. The others are anchors, small controllers written here that drive the
 * SAME simulated alias (UpdateAlias on the simulated Lambda) on the SAME SimWorld traffic, and read
 * the same simulated CloudWatch: the example app's guard alarms (CodeDeploy) or the alias's
 * AWS/Lambda metrics per executed version (the seed tutorial's controller, Flagger). For an anchor
 * the release custom resource does not start the workflow and the EventBridge fast path does
 * nothing (both handlers are replaced), so only the anchor moves traffic. Each anchor is a model of
 * the documented behaviour under stated assumptions (ANCHOR_ASSUMPTIONS), not the product itself.
 *
 * Every run is measured the same way, once a virtual second, from the alias: when the canary's
 * weight first returns to 0 (rollback), when it becomes the alias's version (promotion), and the
 * canary's requests and failures between the regression onset and that rollback (blast radius).
 */
import type { CustomResourceEvent } from '../lambda/handlers/release';
import { COMPLETE_MARKER, isCompleteEvent } from '../lambda/shared/release-complete';
import { targetFor } from '../lambda/shared/targets';
import { HANDLERS, type Handler } from './handlers';
import type { MetricId } from './metrics';
import { LAMBDA_VERSIONS, regressionOnsetMinute, type ScenarioFile, ScenarioError, toSimScenario } from './scenario';
import { synthesizeExampleStack } from './template';
import { SimWorld } from './world';

export const ANCHOR_STRATEGIES = ['codedeploy-canary10-5min', 'codedeploy-linear10-every1min', 'seed-controller', 'flagger'] as const;
export type AnchorStrategy = (typeof ANCHOR_STRATEGIES)[number];
/** Every strategy `simulate --strategy` and `bench` know; this library's first. */
export const ALL_STRATEGIES = ['model-canary', ...ANCHOR_STRATEGIES] as const;
export type AnyStrategy = (typeof ALL_STRATEGIES)[number];

export function isAnchor(s: string): s is AnchorStrategy {
  return (ANCHOR_STRATEGIES as readonly string[]).includes(s);
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
};

export type Outcome = 'promoted' | 'rolled_back' | 'held' | 'failed';

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
  /** When the canary's weight first went back to 0 after serving (rollback), if it did. */
  readonly weightZeroAtSeconds: number | null;
  /** When the canary first got 100 % of traffic (Lambda: became the alias's version), if it did; model-canary promotes after a bake at 100 %. */
  readonly promotedAtSeconds: number | null;
  /** Seconds from the regression onset to weight 0 (null: no regression, never rolled back, or rolled back before the onset). */
  readonly detectionSeconds: number | null;
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
  readonly realMs: number;
}

export interface StrategyOptions {
  readonly seed?: number;
  readonly strategy?: AnyStrategy;
  /** Called once a virtual minute. */
  readonly onProgress?: (p: { atSeconds: number; canaryPercent: number; alarmsInAlarm: string[]; note: string }) => void;
}

const MINUTE = 60_000;
const WARM_UP_MINUTES = 3;
const STABLE = LAMBDA_VERSIONS.stable;
const CANARY = LAMBDA_VERSIONS.canary;

/** What a controller may do and read: the alias, the alarms, the alias's per-version metrics. */
export interface ControllerContext {
  /** Seconds since the controller started (the canary's deploy finished). */
  elapsed(): number;
  setCanaryPercent(percent: number): void;
  promote(reason: string): void;
  rollback(reason: string): void;
  alarmsInAlarm(): string[];
  /** One statistic of an AWS/Lambda metric of a version over complete, visible minutes in [from, to) (ms). */
  lambdaMetric(version: string, metricName: 'Invocations' | 'Errors' | 'Duration', stat: string, fromMs: number, toMs: number): { value: number; samples: number }[];
  /** The current minute boundary (ms). */
  minuteStart(): number;
  /** The canary's deploy (ms): the start of the rollout. */
  readonly rolloutStartMs: number;
  note(text: string): void;
}

/** A controller: start() once, then tick() every virtual second until done. */
export interface Controller {
  start(ctx: ControllerContext): void;
  tick(ctx: ControllerContext): void;
  readonly done: boolean;
}

abstract class Periodic implements Controller {
  public done = false;
  private next = 60;
  constructor(private readonly periodSeconds = 60) {
    this.next = periodSeconds;
  }
  public abstract start(ctx: ControllerContext): void;
  protected abstract evaluate(ctx: ControllerContext): void;
  public tick(ctx: ControllerContext): void {
    if (this.done || ctx.elapsed() < this.next) return;
    this.next += this.periodSeconds;
    this.evaluate(ctx);
  }
}

/** CodeDeploy's traffic shifting: a list of (seconds, percent) shifts; alarms polled once a minute. */
export class CodeDeployController extends Periodic {
  constructor(private readonly shifts: readonly { readonly atSeconds: number; readonly percent: number }[]) {
    super(60);
  }
  public start(ctx: ControllerContext): void {
    ctx.setCanaryPercent(this.shifts[0].percent);
  }
  protected evaluate(ctx: ControllerContext): void {
    const firing = ctx.alarmsInAlarm();
    if (firing.length > 0) {
      ctx.rollback(`alarm in ALARM: ${firing.join(', ')}`);
      this.done = true;
      return;
    }
    const due = this.shifts.filter((s) => s.atSeconds <= ctx.elapsed() + 1e-6).pop();
    if (!due) return;
    if (due.percent >= 100) {
      ctx.promote('all traffic shifted');
      this.done = true;
    } else ctx.setCanaryPercent(due.percent);
  }
}

export class SeedController extends Periodic {
  private static readonly STEPS = [10, 25, 50, 75, 100];
  private step = 0;
  public start(ctx: ControllerContext): void {
    ctx.setCanaryPercent(SeedController.STEPS[0]);
  }
  protected evaluate(ctx: ControllerContext): void {
    const to = ctx.minuteStart();
    const sum = (version: string, metric: 'Invocations' | 'Errors' | 'Duration') =>
      ctx.lambdaMetric(version, metric, 'Sum', ctx.rolloutStartMs, to).reduce((a, d) => a + d.value, 0);
    const read = (version: string) => {
      const n = sum(version, 'Invocations');
      return { n, errorRate: n > 0 ? sum(version, 'Errors') / n : 0, meanMs: n > 0 ? sum(version, 'Duration') / n : 0 };
    };
    const c = read(CANARY);
    const s = read(STABLE);
    if (c.n < 100) {
      ctx.note(`waiting: ${c.n} canary requests`);
      return;
    }
    if (c.errorRate - s.errorRate > 0.02 || c.meanMs - s.meanMs > 50) {
      ctx.rollback(`canary error rate ${(c.errorRate * 100).toFixed(2)} % vs ${(s.errorRate * 100).toFixed(2)} %, mean latency ${c.meanMs.toFixed(0)} vs ${s.meanMs.toFixed(0)} ms`);
      this.done = true;
      return;
    }
    this.step++;
    const percent = SeedController.STEPS[this.step];
    if (percent >= 100) {
      ctx.promote('healthy at every step');
      this.done = true;
    } else ctx.setCanaryPercent(percent);
  }
}

export class FlaggerController extends Periodic {
  private weight: number;
  private failedChecks = 0;
  constructor(private readonly o = { stepWeight: 10, maxWeight: 50, threshold: 5, minSuccessRate: 0.99, maxP99Ms: 500 }) {
    super(60);
    this.weight = o.stepWeight;
  }
  public start(ctx: ControllerContext): void {
    ctx.setCanaryPercent(this.weight);
  }
  protected evaluate(ctx: ControllerContext): void {
    const to = ctx.minuteStart();
    const from = to - MINUTE;
    const invocations = ctx.lambdaMetric(CANARY, 'Invocations', 'Sum', from, to).reduce((a, d) => a + d.value, 0);
    const errors = ctx.lambdaMetric(CANARY, 'Errors', 'Sum', from, to).reduce((a, d) => a + d.value, 0);
    const p99 = ctx.lambdaMetric(CANARY, 'Duration', 'p99', from, to)[0]?.value;
    const problems: string[] = [];
    if (invocations === 0 || p99 === undefined) problems.push('no values found');
    else {
      const success = 1 - errors / invocations;
      if (success < this.o.minSuccessRate) problems.push(`request-success-rate ${(success * 100).toFixed(2)} % < ${this.o.minSuccessRate * 100} %`);
      if (p99 > this.o.maxP99Ms) problems.push(`request-duration ${p99.toFixed(0)} ms > ${this.o.maxP99Ms} ms`);
    }
    if (problems.length > 0) {
      this.failedChecks++;
      ctx.note(`failed check ${this.failedChecks}/${this.o.threshold}: ${problems.join('; ')}`);
      if (this.failedChecks >= this.o.threshold) {
        ctx.rollback(`${this.failedChecks} failed checks (last: ${problems.join('; ')})`);
        this.done = true;
      }
      return;
    }
    if (this.weight >= this.o.maxWeight) {
      ctx.promote('checks passed at maxWeight');
      this.done = true;
      return;
    }
    this.weight = Math.min(this.o.maxWeight, this.weight + this.o.stepWeight);
    ctx.setCanaryPercent(this.weight);
  }
}

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
  }
}

/** For an anchor: the release resource records the deploy but starts no workflow; the alarm fast path does nothing. */
function anchorHandlers(): Record<string, Handler> {
  const release = (async (event: CustomResourceEvent) => {
    if (event.RequestType !== 'Update' || isCompleteEvent(event as object)) return (HANDLERS.release as (e: CustomResourceEvent) => Promise<unknown>)(event);
    const target = targetFor(event.ResourceProperties.Target);
    return {
      PhysicalResourceId: target.id,
      Data: { StableVersion: STABLE, TargetName: target.name, Action: 'anchor strategy: no workflow' },
      [COMPLETE_MARKER]: true,
    };
  }) as Handler;
  return { release, 'on-alarm': (async () => ({ skipped: 'anchor strategy' })) as Handler };
}

/** Runs one strategy on one Lambda scenario file. */
export async function runStrategy(file: ScenarioFile, options: StrategyOptions = {}): Promise<StrategyRun> {
  const strategy = options.strategy ?? 'model-canary';
  if (!(ALL_STRATEGIES as readonly string[]).includes(strategy)) throw new ScenarioError(`Unknown strategy "${strategy}" (valid: ${ALL_STRATEGIES.join(', ')})`);
  if (file.target !== 'lambda') throw new ScenarioError(`${file.name}: the strategies compare on the Lambda canary only (target "${file.target}")`);
  const seed = options.seed ?? 1;
  const realStart = performance.now();
  const world = SimWorld.fromStack(synthesizeExampleStack(), {
    seed,
    canaryName: 'SentimentCanary',
    scenario: toSimScenario(file, WARM_UP_MINUTES, LAMBDA_VERSIONS),
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
  const onset = regressionOnsetMinute(file);
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
      return world.metrics.series(id, stat, 60, fromMs, toMs, world.now()).map((d) => ({ value: d.value, samples: d.sampleCount }));
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
    if (p === 100 && promotedAt === undefined) promotedAt = world.now();
    if (everServed && p === 0 && zeroAt === undefined) {
      zeroAt = world.now();
      atZero = servedCanary();
    }
    if (!atOnset && onsetMs !== undefined && world.now() >= onsetMs) atOnset = servedCanary();
  };
  const finished = () => (controller ? controller.done : execution!.status !== 'RUNNING');
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
  }
  const endServed = servedCanary();
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
          : 'failed';
  if (!controller) reason = execution!.cause ?? execution!.error ?? null;
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
    weightZeroAtSeconds: zeroAt !== undefined ? seconds(zeroAt) : null,
    promotedAtSeconds: promotedAt !== undefined ? seconds(promotedAt) : null,
    detectionSeconds: zeroAt !== undefined && onsetMs !== undefined && !rolledBackBeforeOnset ? Math.round((zeroAt - onsetMs) / 100) / 10 : null,
    blastRadiusFailed: blast.errors,
    blastRadiusRequests: blast.requests,
    canaryRequests: endServed.requests,
    canaryFailedRequests: endServed.errors,
    maxCanaryWeight: maxWeight,
    steps,
    simulatedSeconds: seconds(world.now()),
    realMs: Math.round(performance.now() - realStart),
  };
}
