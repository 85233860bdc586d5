/**
 * Anytime-valid bounds on one version's event rate, for the optional absolute margin ("more than
 * N points above stable's"). Robbins' mixture martingale: with a uniform prior on p, the
 * beta-binomial marginal over the binomial likelihood at p is a nonnegative martingale when p is
 * true, so {p : M(p) < 1/α} holds p at every time with probability ≥ 1 − α (Howard & Ramdas,
 * "Time-uniform, nonparametric, nonasymptotic confidence sequences").
 */
import { logFactorial } from './log-factorial';

function logMartingale(events: number, trials: number, p: number): number {
  const betaTerm = logFactorial(events) + logFactorial(trials - events) - logFactorial(trials + 1);
  const logP = events > 0 ? events * Math.log(p) : 0;
  const logQ = trials - events > 0 ? (trials - events) * Math.log(1 - p) : 0;
  return betaTerm - logP - logQ;
}

/** The lowest (side 'lower') or highest ('upper') rate the data do not rule out at alpha. */
export function rateBound(events: number, trials: number, alpha: number, side: 'lower' | 'upper'): number {
  const n = Math.max(0, Math.round(trials));
  const x = Math.min(n, Math.max(0, Math.round(events)));
  if (n === 0) return side === 'lower' ? 0 : 1;
  const bar = Math.log(1 / alpha);
  const mle = x / n;
  // M(p) grows as p moves away from the estimate: bisect between the estimate and the edge.
  let inside = mle;
  let outside = side === 'lower' ? 0 : 1;
  if (logMartingale(x, n, clamp(outside)) < bar) return outside;
  for (let i = 0; i < 50; i++) {
    const mid = (inside + outside) / 2;
    if (logMartingale(x, n, clamp(mid)) < bar) inside = mid;
    else outside = mid;
  }
  return inside;
}

function clamp(p: number): number {
  return Math.min(1 - 1e-12, Math.max(1e-12, p));
}

/** Alternatives of the rate test below, as fractions of the rate tested. */
const RATE_ALTERNATIVES = [0.5, 0.25, 0.1, 0.05] as const;

/**
 * ln of an e-value against "each request has the event with probability `rate` or more": the
 * average over alternatives p1 < rate (equal weights) of Π Bernoulli LR(p1 : rate). For any
 * request's probability p ≥ rate the LR has expectation p·p1/rate + (1 − p)(1 − p1)/(1 − rate) ≤ 1,
 * so the product is a test supermartingale however the probability moves (the promotion gate's
 * bound for rare events; much sharper there than Robbins' uniform mixture, which spends its
 * weight on rates near 1).
 */
export function logEvidenceRateBelow(events: number, trials: number, rate: number): number {
  const n = Math.max(0, Math.round(trials));
  const x = Math.min(n, Math.max(0, Math.round(events)));
  if (n === 0) return 0;
  const each = RATE_ALTERNATIVES.map((f) => {
    const p1 = f * rate;
    return x * Math.log(p1 / rate) + (n - x) * Math.log((1 - p1) / (1 - rate));
  });
  const max = Math.max(...each);
  return max + Math.log(each.reduce((s, v) => s + Math.exp(v - max), 0) / each.length);
}
