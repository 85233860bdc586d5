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
