/**
 * The anchors' controllers (sim/bench/strategies.ts runs them): small models of CodeDeploy's traffic
 * shifting, the seed tutorial's controller and Flagger, each driving the simulated alias through
 * ControllerContext once a virtual second.
 */
import { LAMBDA_VERSIONS } from '../scenarios/scenario';

const MINUTE = 60_000;
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
  lambdaMetric(version: string, metricName: 'Invocations' | 'Errors' | 'Duration', stat: string, fromMs: number, toMs: number): { value: number; samples: number; timestamp: number }[];
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

