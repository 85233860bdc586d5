/**
 * The judge's one test: is the canary's odds of an event (an error, a guardrail block, a request
 * slower than a threshold, a prediction of a class) above `psi0` times stable's?
 *
 * Each minute gives a 2×2 table: canary and stable requests, and how many of each had the event.
 * Conditional on the minute's totals, the canary's event count follows Fisher's noncentral
 * hypergeometric distribution with the odds ratio ψ as its only parameter: the unknown base rate,
 * and anything that moves both versions alike in that minute (a slow dependency, a burst), cancel
 * out. That distribution is an exponential family in ln ψ, so for any ψ1 > ψ0 the per-minute
 * likelihood ratio LR(ψ1 : ψ0) has expectation ≤ 1 whenever the true ψ ≤ ψ0 (convexity of the
 * log-normalizer). Minutes are independent, so the product over minutes is a nonnegative
 * supermartingale under the whole null, and so is an average of such products over a grid of
 * alternatives (a mixture SPRT, Johari et al. "Always Valid Inference"; the count analogue of
 * Lindon & Malek's Poisson-process test). By Ville's inequality the chance that it ever reaches
 * 1/α — at any minute, however often the check step looks — is at most α.
 */
import { logChoose, logMeanExp, logSumExp } from './log-factorial';

/** One minute of one comparison. */
export interface MinuteTable {
  readonly canaryTrials: number;
  readonly canaryEvents: number;
  readonly stableTrials: number;
  readonly stableEvents: number;
}

/** Alternatives of the mixture, as multiples of ψ0 (equal weights). */
export const ALTERNATIVES = [1.3, 1.6, 2, 3, 5, 10] as const;

/** The conditional distribution of one minute, ready to be tilted by any ψ. */
export class ConditionalMinute {
  /** No information: one of the margins is empty, or every request had (or had not) the event. */
  public readonly degenerate: boolean;
  private readonly n1: number;
  private readonly n0: number;
  private readonly total: number;
  private readonly lo: number;
  private readonly hi: number;
  private readonly k: number;

  constructor(t: MinuteTable) {
    this.n1 = Math.max(0, Math.round(t.canaryTrials));
    this.n0 = Math.max(0, Math.round(t.stableTrials));
    this.k = Math.min(this.n1, Math.max(0, Math.round(t.canaryEvents)));
    const k0 = Math.min(this.n0, Math.max(0, Math.round(t.stableEvents)));
    this.total = this.k + k0;
    this.lo = Math.max(0, this.total - this.n0);
    this.hi = Math.min(this.n1, this.total);
    this.degenerate = this.hi <= this.lo;
  }

  /**
   * ln of the normalizer Σ C(n1,k) C(n0,K−k) ψ^k. The terms are log-concave in k, so the sum is
   * taken outward from the tilted distribution's mode, each term from its neighbour's by the ratio
   * of consecutive terms, until they fall e^-40 below the mode: a few hundred terms even at
   * thousands of requests a minute, the same sum to 1e-17.
   */
  public logNormalizer(logPsi: number): number {
    const { n1, n0, total, lo, hi } = this;
    // ln of term(k+1) / term(k), decreasing in k.
    const logRatio = (k: number) => Math.log(((n1 - k) * (total - k)) / ((k + 1) * (n0 - total + k + 1))) + logPsi;
    let a = lo;
    let b = hi;
    while (a < b) {
      const mid = Math.floor((a + b) / 2);
      if (logRatio(mid) > 0) a = mid + 1;
      else b = mid;
    }
    const mode = a;
    const top = logChoose(n1, mode) + logChoose(n0, total - mode) + mode * logPsi;
    let sum = 1;
    let x = 0;
    for (let k = mode; k < hi; k++) {
      x += logRatio(k);
      if (x < -40) break;
      sum += Math.exp(x);
    }
    x = 0;
    for (let k = mode - 1; k >= lo; k--) {
      x -= logRatio(k);
      if (x < -40) break;
      sum += Math.exp(x);
    }
    return top + Math.log(sum);
  }

  /** ln LR(ψ1 : ψ0) of this minute's canary count. */
  public logLikelihoodRatio(logPsi1: number, logPsi0: number, z0 = this.logNormalizer(logPsi0)): number {
    if (this.degenerate) return 0;
    return this.k * (logPsi1 - logPsi0) - (this.logNormalizer(logPsi1) - z0);
  }
}

/**
 * ln of the mixture e-value against "ψ ≤ ψ0" (side 'above') or "ψ ≥ ψ0" (side 'below') after
 * these minutes.
 */
export function logEvidence(minutes: readonly ConditionalMinute[], psi0: number, side: 'above' | 'below' = 'above'): number {
  const sums = ALTERNATIVES.map(() => 0);
  for (const m of minutes) {
    const ratios = minuteLogRatios(m, psi0, side);
    for (let j = 0; j < sums.length; j++) sums[j] += ratios[j];
  }
  return logMeanExp(sums);
}

/** One minute's ln LR for each alternative of the mixture (the e-process multiplies them over minutes). */
export function minuteLogRatios(m: ConditionalMinute, psi0: number, side: 'above' | 'below' = 'above', alternatives: readonly number[] = ALTERNATIVES): number[] {
  if (m.degenerate) return alternatives.map(() => 0);
  const logPsi0 = Math.log(psi0);
  const sign = side === 'above' ? 1 : -1;
  const z0 = m.logNormalizer(logPsi0);
  return alternatives.map((g) => m.logLikelihoodRatio(logPsi0 + sign * Math.log(g), logPsi0, z0));
}

/**
 * ln of an e-value against "ψ ≥ ψ0" ('below') or "ψ ≤ ψ0" ('above') that puts half its weight on
 * one alternative, ψ = `expected`, and half on the usual grid: a test that expects what a healthy
 * canary shows (ψ = 1) pays ln 2 for the grid instead of up to ln 7 (the promotion gate).
 */
export function logEvidenceExpecting(minutes: readonly ConditionalMinute[], psi0: number, side: 'above' | 'below', expected: number): number {
  const target = side === 'below' ? psi0 / expected : expected / psi0;
  if (!(target > 1)) return logEvidence(minutes, psi0, side);
  const grid = [target, ...ALTERNATIVES];
  const sums = grid.map(() => 0);
  for (const m of minutes) {
    const ratios = minuteLogRatios(m, psi0, side, grid);
    for (let j = 0; j < sums.length; j++) sums[j] += ratios[j];
  }
  // Weights: 1/2 on the expected alternative, 1/2 spread equally over the grid.
  return logSumExp([Math.log(0.5) + sums[0], Math.log(0.5) + logMeanExp(sums.slice(1))]);
}

/** Mantel-Haenszel estimate of the common odds ratio over the minutes (undefined without data). */
export function oddsRatioEstimate(tables: readonly MinuteTable[]): number | undefined {
  let num = 0;
  let den = 0;
  for (const t of tables) {
    const n = t.canaryTrials + t.stableTrials;
    if (n <= 0) continue;
    num += (t.canaryEvents * (t.stableTrials - t.stableEvents)) / n;
    den += ((t.canaryTrials - t.canaryEvents) * t.stableEvents) / n;
  }
  if (num === 0 && den === 0) return undefined;
  return den === 0 ? Infinity : num / den;
}

/**
 * Anytime-valid confidence interval for the odds ratio: the ψ0 that neither one-sided test rejects
 * at `alpha` (each side), found by bisection on ln ψ0.
 */
export function oddsRatioInterval(minutes: readonly ConditionalMinute[], alpha: number): { lower: number; upper: number } {
  const bar = Math.log(1 / alpha);
  const LIMIT = 12; // ψ from e^-12 to e^12: wider reads as "unbounded"
  // Lower bound: smallest ψ0 for which "ψ ≤ ψ0" is not rejected (evidence falls as ψ0 grows).
  const lower = bisect((x) => logEvidence(minutes, Math.exp(x), 'above') < bar, -LIMIT, LIMIT, true);
  const upper = bisect((x) => logEvidence(minutes, Math.exp(x), 'below') < bar, -LIMIT, LIMIT, false);
  return { lower: lower <= -LIMIT ? 0 : Math.exp(lower), upper: upper >= LIMIT ? Infinity : Math.exp(upper) };
}

/** The boundary of a monotone predicate on [lo, hi]: first x where ok holds (fromBelow) or last x where it holds. */
function bisect(ok: (x: number) => boolean, lo: number, hi: number, fromBelow: boolean): number {
  if (fromBelow ? ok(lo) : !ok(lo)) return lo;
  if (fromBelow ? !ok(hi) : ok(hi)) return hi;
  let a = lo;
  let b = hi;
  for (let i = 0; i < 30; i++) {
    const mid = (a + b) / 2;
    if (ok(mid) === fromBelow) b = mid;
    else a = mid;
  }
  return fromBelow ? b : a;
}
