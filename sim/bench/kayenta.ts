/**
 * The Kayenta-like anchor (`npm run bench`): Spinnaker's canary stage driving traffic steps, judged
 * at the end of each step by a model of Kayenta's default judge (NetflixACAJudge-v1.0): per metric a
 * Mann-Whitney U test on the per-minute points of canary and stable, with a 98 % confidence
 * interval on the location shift (Hodges-Lehmann), then a score = the share of metric groups that
 * pass, compared with the marginal / pass thresholds. Written from Kayenta's source
 * (kayenta-judge MannWhitneyClassifier, WeightedSumScorer; kayenta-mannwhitney MannWhitney), not a
 * port of it.
 */
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { LAMBDA_VERSIONS } from '../scenarios/scenario';
import type { Controller, ControllerContext } from './anchor-controllers';

export interface MannWhitneyResult {
  /** Confidence interval on the shift x - y. */
  readonly lower: number;
  readonly upper: number;
  /** Hodges-Lehmann estimate of the shift. */
  readonly estimate: number;
}

/** Average ranks (1-based) of `values`, ties sharing their mean rank. */
function ranks(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  const ties: number[] = [];
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k][1]] = rank;
    ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks: out, ties };
}

/**
 * The standardized rank-sum statistic of x - mu against y, with the continuity and tie
 * corrections, minus `quantile` (R's wilcox.test `wdiff`, as Kayenta computes it): decreasing in mu.
 */
export function wilcoxonDiff(mu: number, quantile: number, x: readonly number[], y: readonly number[]): number {
  const nx = x.length;
  const ny = y.length;
  const { ranks: r, ties } = ranks([...x.map((v) => v - mu), ...y]);
  let rx = 0;
  for (let i = 0; i < nx; i++) rx += r[i];
  const dz = rx - (nx * (nx + 1)) / 2 - (nx * ny) / 2;
  const correction = Math.sign(dz) * 0.5;
  const tieTerm = ties.reduce((a, t) => a + t ** 3 - t, 0) / ((nx + ny) * (nx + ny - 1));
  const sigma = Math.sqrt(((nx * ny) / 12) * (nx + ny + 1 - tieTerm));
  if (sigma === 0) throw new Error('cannot compute a confidence interval when all observations are tied');
  return (dz - correction) / sigma - quantile;
}

/** Where the decreasing step function f crosses 0 in [lo, hi] (bisection; the ends when it does not). */
function root(f: (mu: number) => number, lo: number, hi: number): number {
  if (f(lo) <= 0) return lo;
  if (f(hi) >= 0) return hi;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo), Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Two-sided Mann-Whitney U test with an asymptotic confidence interval on the shift x - y (Kayenta's MannWhitney). */
export function mannWhitney(x: readonly number[], y: readonly number[], confidenceLevel: number): MannWhitneyResult {
  const z = normalQuantile(1 - (1 - confidenceLevel) / 2, 0, 1);
  const lo = Math.min(...x) - Math.max(...y);
  const hi = Math.max(...x) - Math.min(...y);
  return {
    lower: root((mu) => wilcoxonDiff(mu, z, x, y), lo, hi),
    upper: root((mu) => wilcoxonDiff(mu, -z, x, y), lo, hi),
    estimate: root((mu) => wilcoxonDiff(mu, 0, x, y), lo, hi),
  };
}

export type Classification = 'Pass' | 'High' | 'Low' | 'Nodata';

/** Kayenta's defaults in NetflixACAJudge: tolerance 0.25, confidence 0.98, effect size (mean ratio) thresholds 1.0. */
export const KAYENTA_JUDGE = { tolerance: 0.25, confidenceLevel: 0.98, allowedIncrease: 1, allowedDecrease: 1 } as const;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * One metric, as MannWhitneyClassifier classifies it: High when the interval's lower bound is above
 * a quarter of |estimate| (and the mean ratio at least allowedIncrease), Low symmetrically.
 */
export function classifyMetric(canary: readonly number[], stable: readonly number[], direction: 'increase' | 'decrease' | 'either'): Classification {
  if (canary.length === 0 || stable.length === 0) return 'Nodata';
  const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
  const a = sorted(canary);
  const b = sorted(stable);
  if (a.length === b.length && a.every((v, i) => v === b[i])) return 'Pass';
  if (new Set([...a, ...b]).size === 1) return 'Pass';
  const mw = mannWhitney(canary, stable, KAYENTA_JUDGE.confidenceLevel);
  const bound = KAYENTA_JUDGE.tolerance * Math.abs(mw.estimate);
  const ratio = mean(stable) === 0 || mean(canary) === 0 ? Number.NaN : mean(canary) / mean(stable);
  if (direction !== 'decrease' && mw.lower > bound && (Number.isNaN(ratio) || ratio >= KAYENTA_JUDGE.allowedIncrease)) return 'High';
  if (direction !== 'increase' && mw.upper < -bound && (Number.isNaN(ratio) || ratio <= KAYENTA_JUDGE.allowedDecrease)) return 'Low';
  return 'Pass';
}

/**
 * WeightedSumScorer with one metric per group and no group weights: each group weighs 100 / groups,
 * a group scores the share of its metrics that pass, a group with no data adds 0.
 */
export function score(classes: readonly Classification[]): number {
  if (classes.length === 0) return 0;
  return classes.reduce((a, c) => a + (c === 'Pass' ? 100 : 0), 0) / classes.length;
}

export interface KayentaOptions {
  /** Canary weights, one analysis interval each; after the last the canary is promoted. */
  readonly steps: readonly number[];
  readonly intervalMinutes: number;
  /** A score below this ends the canary (Spinnaker: "marginal"). */
  readonly marginal: number;
  /** The last interval's score must reach this ("pass"). */
  readonly pass: number;
}

export const KAYENTA_DEFAULTS: KayentaOptions = { steps: [10, 25, 50], intervalMinutes: 10, marginal: 75, pass: 95 };

/** Spinnaker's canary stage with Kayenta's judge on AWS/Lambda metrics per executed version. */
export class KayentaController implements Controller {
  public done = false;
  private step = 0;
  private nextAt: number;
  constructor(private readonly o: KayentaOptions = KAYENTA_DEFAULTS) {
    this.nextAt = o.intervalMinutes * 60;
  }
  public start(ctx: ControllerContext): void {
    ctx.setCanaryPercent(this.o.steps[0]);
  }
  public tick(ctx: ControllerContext): void {
    if (this.done || ctx.elapsed() < this.nextAt) return;
    this.nextAt += this.o.intervalMinutes * 60;
    // No lookback window: each analysis covers every complete minute since the canary started.
    const from = ctx.rolloutStartMs;
    const to = ctx.minuteStart();
    const points = (version: string) => {
      const inv = ctx.lambdaMetric(version, 'Invocations', 'Sum', from, to);
      const err = ctx.lambdaMetric(version, 'Errors', 'Sum', from, to);
      const p95 = ctx.lambdaMetric(version, 'Duration', 'p95', from, to);
      const errorsAt = new Map(err.map((d) => [d.timestamp, d.value]));
      return {
        errorRate: inv.filter((d) => d.value > 0).map((d) => (errorsAt.get(d.timestamp) ?? 0) / d.value),
        p95: p95.map((d) => d.value),
      };
    };
    const c = points(LAMBDA_VERSIONS.canary);
    const s = points(LAMBDA_VERSIONS.stable);
    const classes = { errorRate: classifyMetric(c.errorRate, s.errorRate, 'increase'), p95Latency: classifyMetric(c.p95, s.p95, 'increase') };
    const value = score(Object.values(classes));
    const last = this.step === this.o.steps.length - 1;
    const why = `score ${value} (${Object.entries(classes).map(([k, v]) => `${k} ${v}`).join(', ')}; ${c.errorRate.length} canary / ${s.errorRate.length} stable minutes)`;
    if (value < this.o.marginal || (last && value < this.o.pass)) {
      ctx.rollback(why);
      this.done = true;
      return;
    }
    ctx.note(why);
    if (last) {
      ctx.promote(`every analysis passed; last ${why}`);
      this.done = true;
      return;
    }
    this.step++;
    ctx.setCanaryPercent(this.o.steps[this.step]);
  }
}
