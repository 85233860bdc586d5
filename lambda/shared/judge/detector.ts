/**
 * Change detection: a canary that becomes worse at any minute of the rollout is caught as fast as
 * one that is worse from its first minute, at the same false-rollback rate.
 *
 * A single e-process started at the rollout's first minute multiplies every minute since: healthy
 * minutes push it far below 1 (evidence for the null), and a regression that starts late must pay
 * that debt back before it counts. The e-detector (Shin, Ramdas & Rinaldo, "E-detectors", 2024)
 * starts an e-process at every minute k instead and mixes them with fixed weights π_k:
 *
 *   M_t = Σ_{k ≤ t} π_k · E_k(t) + Σ_{k > t} π_k,   E_k(t) = mean over the alternatives γ of Π_{s=k..t} LR_s(γ)
 *
 * (an e-process that has not started yet is 1). Each E_k is a test supermartingale for the whole
 * null in the minutes' filtration, and Σ π_k = 1, so M is one too: by Ville's inequality
 * P(sup_t M_t ≥ 1/α) ≤ α, for any number of minutes and looks, with no horizon. The debt of the
 * healthy minutes before a change at minute k is capped at ln(1/π_k): the price of not knowing k.
 *
 * The weights: π_0 = FIRST_MINUTE_WEIGHT (a canary bad from its deploy, the common case, pays
 * ln 2), and the rest over the later minutes by π_k = (1 − π_0)·H / ((k + H − 1)(k + H)), which sums
 * to 1 − π_0 over k ≥ 1 (a telescoping series), is about (1 − π_0)/H over the rollout's expected
 * length H and falls off as 1/k² after it: a rollout that lasts longer than planned stays covered.
 *
 * M is computed by a Shiryaev–Roberts-style recursion per alternative, A_t = (A_{t−1} + π_t) · LR_t,
 * in O(minutes × alternatives).
 */
import { logMeanExp, logSumExp } from './log-factorial';
import { ALTERNATIVES, type ConditionalMinute, minuteLogRatios } from './odds-ratio';

/** The weight of a change at the rollout's first minute (the canary worse from its deploy). */
export const FIRST_MINUTE_WEIGHT = 0.5;

/** The prior over change minutes: the rollout's expected length in minutes sets the spread. */
export interface ChangePrior {
  /** Minutes a healthy rollout is expected to be judged (steps, holds and the watch); at least 1. */
  readonly horizonMinutes: number;
}

/** ln π_k: the weight of an e-process started at minute k (0 = the rollout's first minute). */
export function logStartWeight(k: number, prior: ChangePrior): number {
  if (k === 0) return Math.log(FIRST_MINUTE_WEIGHT);
  const h = Math.max(1, prior.horizonMinutes);
  return Math.log(1 - FIRST_MINUTE_WEIGHT) + Math.log(h) - Math.log(k + h - 1) - Math.log(k + h);
}

/** ln Σ_{k ≤ t} π_k, in closed form (the telescoping sum). */
function logStartedMass(t: number, prior: ChangePrior): number {
  const h = Math.max(1, prior.horizonMinutes);
  // Σ_{k=1..t} H/((k+H−1)(k+H)) = 1 − H/(t+H)
  const later = t >= 1 ? (1 - FIRST_MINUTE_WEIGHT) * (1 - h / (t + h)) : 0;
  return Math.log(FIRST_MINUTE_WEIGHT + later);
}

export interface Detection {
  /** ln M_t after the last minute. */
  readonly logEvidence: number;
  /** The minute whose e-process carries the most evidence (where the change most likely began). */
  readonly changeMinute: number;
}

/**
 * ln M after these minutes (index = minute of the rollout) against "ψ ≤ ψ0" ('above') or
 * "ψ ≥ ψ0" ('below'), and the start with the most weight. A degenerate minute (no information,
 * or a minute left out because the canary's share changed in it) multiplies every started
 * e-process by 1 and still counts as a minute: the weights are fixed by the clock, not by the data.
 */
export function detect(minutes: readonly ConditionalMinute[], psi0: number, prior: ChangePrior, side: 'above' | 'below' = 'above'): Detection {
  const j = ALTERNATIVES.length;
  const logA = new Array<number>(j).fill(-Infinity);
  // Per alternative, the best start so far and its log product (a CUSUM beside the sum), to name the change.
  let best = { logE: -Infinity, start: 0 };
  const bestStart = new Array<number>(j).fill(0);
  const bestLog = new Array<number>(j).fill(-Infinity);
  minutes.forEach((m, t) => {
    const ratios = minuteLogRatios(m, psi0, side);
    const w = logStartWeight(t, prior);
    for (let a = 0; a < j; a++) {
      logA[a] = logSumExp([logA[a], w]) + ratios[a];
      // CUSUM: restart at t when the product from the best earlier start has sunk below 1.
      if (bestLog[a] < 0) {
        bestLog[a] = 0;
        bestStart[a] = t;
      }
      bestLog[a] += ratios[a];
      if (bestLog[a] > best.logE) best = { logE: bestLog[a], start: bestStart[a] };
    }
  });
  const started = logMeanExp(logA);
  const t = minutes.length;
  const notYet = t === 0 ? 0 : Math.log(Math.max(0, 1 - Math.exp(logStartedMass(t - 1, prior))));
  return { logEvidence: logSumExp([started, notYet]), changeMinute: best.start };
}
