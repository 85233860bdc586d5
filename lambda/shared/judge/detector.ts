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
 * ln 2); the minutes 1..H of the rollout's expected length H share (1 − π_0)(1 − TAIL_WEIGHT)
 * equally; the minutes after it share (1 − π_0)·TAIL_WEIGHT by π_k ∝ H / ((k − 1) k), a telescoping
 * series that sums to 1 over k > H: a rollout that lasts longer than planned (holds, a long watch)
 * stays covered, at a price that grows like ln k².
 *
 * M is computed by a Shiryaev–Roberts-style recursion per alternative, A_t = (A_{t−1} + π_t) · LR_t,
 * in O(minutes × alternatives).
 */
import { logMeanExp, logSumExp } from './log-factorial';
import { ALTERNATIVES, type ConditionalMinute, minuteLogRatios } from './odds-ratio';

/** The weight of a change at the rollout's first minute (the canary worse from its deploy). */
export const FIRST_MINUTE_WEIGHT = 0.5;
/** The share of the later minutes' weight for changes after the expected length of the rollout. */
export const TAIL_WEIGHT = 0.2;

/** The prior over change minutes: the rollout's expected length in minutes sets the spread. */
export interface ChangePrior {
  /** Minutes a healthy rollout is expected to be judged (steps, holds and the watch); at least 1. */
  readonly horizonMinutes: number;
}

/** ln π_k: the weight of an e-process started at minute k (0 = the rollout's first minute). */
export function logStartWeight(k: number, prior: ChangePrior): number {
  if (k === 0) return Math.log(FIRST_MINUTE_WEIGHT);
  const h = Math.max(1, Math.round(prior.horizonMinutes));
  const later = Math.log(1 - FIRST_MINUTE_WEIGHT);
  if (k <= h) return later + Math.log(1 - TAIL_WEIGHT) - Math.log(h);
  return later + Math.log(TAIL_WEIGHT) + Math.log(h) - Math.log(k - 1) - Math.log(k);
}

/** Σ_{k ≤ t} π_k, in closed form (Σ_{k=H+1..t} H/((k−1)k) = 1 − H/t). */
function startedMass(t: number, prior: ChangePrior): number {
  const h = Math.max(1, Math.round(prior.horizonMinutes));
  const inHorizon = (1 - TAIL_WEIGHT) * (Math.min(t, h) / h);
  const tail = t > h ? TAIL_WEIGHT * (1 - h / t) : 0;
  return FIRST_MINUTE_WEIGHT + (1 - FIRST_MINUTE_WEIGHT) * (inHorizon + tail);
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
  const path = detectionPath(minutes, psi0, prior, side);
  return { logEvidence: path.logEvidence[path.logEvidence.length - 1] ?? 0, changeMinute: path.changeMinute };
}

/** ln M_t after each minute t (index t: after minutes 0..t), one pass: what a look after every minute sees. */
export function detectionPath(minutes: readonly ConditionalMinute[], psi0: number, prior: ChangePrior, side: 'above' | 'below' = 'above'): { logEvidence: number[]; changeMinute: number } {
  const j = ALTERNATIVES.length;
  const path: number[] = [];
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
    // The e-processes that start later count with their weight at 1.
    const notYet = Math.log(Math.max(0, 1 - startedMass(t, prior)));
    path.push(logSumExp([logMeanExp(logA), notYet]));
  });
  return { logEvidence: path, changeMinute: best.start };
}
