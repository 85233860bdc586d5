/**
 * From the minute tables of each judged guard to a verdict: its evidence (e-value), whether it
 * shows the canary worse than stable beyond the guard's margin, and the facts a person needs to
 * trust the decision (counts per version, the effect with its interval, the evidence, alpha).
 */
import { alphaOf, DEFAULT_HORIZON_MINUTES, GROSS_HARM_MIN_RATE, type JudgedGuardPlan, type JudgePlan, PROMOTION_MISS_RATE } from '../judge-plan';
import { type ChangePrior, detect } from './detector';
import { logMeanExp } from './log-factorial';
import { ConditionalMinute, logEvidenceExpecting, type MinuteTable, oddsRatioEstimate, oddsRatioInterval } from './odds-ratio';
import { logEvidenceRateBelow, rateBound } from './rate-bounds';

/** One comparison a guard is made of (a reference percentile and side, a class and side). */
export interface Comparison {
  /** What is counted, for people: "errors", "requests slower than 1.2 × stable's p50 (812 ms)". */
  readonly label: string;
  readonly psi0: number;
  readonly side: 'above' | 'below';
  readonly minutes: readonly MinuteTable[];
}

/** A scale guard's threshold: stable's p`ref` = `value`, judging the minutes from `from` (epoch seconds) on. */
export interface ScaleReference {
  readonly ref: number;
  readonly value: number;
  readonly from: number;
}

export interface GuardReading {
  readonly guard: JudgedGuardPlan;
  /** One table per minute of the rollout (index 0: its first minute). */
  readonly comparisons: readonly Comparison[];
  /** Why the guard cannot be judged yet (no reference from stable). */
  readonly undecided?: string;
  /** A scale guard's thresholds (kept in the progress once they judge a minute). */
  readonly references?: readonly ScaleReference[];
}

export interface ArmCount {
  readonly trials: number;
  readonly events: number;
}

export interface GuardVerdict {
  readonly name: string;
  readonly test: JudgedGuardPlan['test'];
  /** This guard's share of the rollout's false-rollback budget. */
  readonly alpha: number;
  /** log10 of the e-value; the guard fires at `threshold`. */
  readonly log10Evidence: number;
  readonly threshold: number;
  readonly worse: boolean;
  /** Minutes that carried information. */
  readonly minutes: number;
  /** The comparison with the most evidence. */
  readonly comparison?: string;
  readonly canary?: ArmCount;
  readonly stable?: ArmCount;
  /** Odds ratio canary : stable, Mantel-Haenszel estimate, with its anytime-valid interval (only for a rollback). */
  readonly oddsRatio?: { readonly estimate: number; readonly lower?: number; readonly upper?: number };
  readonly undecided?: string;
  /**
   * Why the guard cannot judge the canary at all (no reference from stable, or no data from one of
   * the versions): a step does not pass while it is so.
   */
  readonly blind?: string;
  /** The minute of the rollout (0: its first) from which the change most likely began, when the canary is worse. */
  readonly changeMinute?: number;
  /** The promotion gate (asked for with `gate`): whether the data rule out a gross regression. */
  readonly gate?: GateVerdict;
  /** The sentence for an alert or a log line. */
  readonly summary: string;
}

export interface GateVerdict {
  /** Every comparison's anytime-valid bound rules out odds of an event `margin` times stable's (or 1/margin of them for a drop). */
  readonly cleared: boolean;
  readonly margin: number;
  /** The comparison that is furthest from clearing, for people. */
  readonly comparison?: string;
  /** log10 of its evidence against "the canary is that much worse"; clears at log10(1 / PROMOTION_MISS_RATE). */
  readonly log10Evidence: number;
}

export interface JudgeOptions {
  /** Also decide the promotion gate (costs one more pass over the minutes per comparison). */
  readonly gate?: boolean;
}

const LN10 = Math.log(10);

export function judgeGuards(plan: JudgePlan, readings: readonly GuardReading[], options: JudgeOptions = {}): GuardVerdict[] {
  const prior: ChangePrior = { horizonMinutes: plan.horizonMinutes ?? DEFAULT_HORIZON_MINUTES };
  const margin = options.gate && plan.promotionMargin !== undefined ? plan.promotionMargin : undefined;
  return readings.map((r) => judgeOne(r, alphaOf(plan, r.guard.name), prior, margin));
}

function judgeOne(r: GuardReading, alpha: number, prior: ChangePrior, margin: number | undefined): GuardVerdict {
  const threshold = Math.log10(1 / alpha);
  const base = { name: r.guard.name, test: r.guard.test, alpha, threshold };
  if (r.undecided || r.comparisons.length === 0) {
    const why = r.undecided ?? 'nothing to compare yet';
    const gate = margin === undefined ? undefined : { cleared: false, margin, log10Evidence: 0 };
    return { ...base, log10Evidence: 0, worse: false, minutes: 0, undecided: why, blind: why, gate, summary: `${r.guard.name}: not judged yet (${why})` };
  }
  const scored = r.comparisons.map((c) => {
    const minutes = c.minutes.map((t) => new ConditionalMinute(t));
    const d = detect(minutes, c.psi0, prior, c.side);
    return { c, minutes, logE: d.logEvidence, changeMinute: d.changeMinute };
  });
  // The guard's e-value is the average of its comparisons' (an average of e-processes is one).
  const logE = logMeanExp(scored.map((s) => s.logE));
  const best = scored.reduce((a, b) => (b.logE > a.logE ? b : a));
  const canary = sum(best.c.minutes, 'canary');
  const stable = sum(best.c.minutes, 'stable');
  const informative = best.minutes.filter((m) => !m.degenerate).length;
  let worse = logE / LN10 >= threshold;
  let absoluteNote = '';
  if (worse && r.guard.test === 'rate' && r.guard.maxIncreasePoints !== undefined) {
    // Intersection-union: the canary must also be proven more than N points above stable.
    const lower = rateBound(canary.events, canary.trials, alpha / 2, 'lower');
    const upper = rateBound(stable.events, stable.trials, alpha / 2, 'upper');
    const gap = (lower - upper) * 100;
    worse = gap > r.guard.maxIncreasePoints;
    absoluteNote = `; at least ${gap.toFixed(2)} points above stable (margin ${r.guard.maxIncreasePoints})`;
  }
  // A rollback reports the minutes since the change began: the effect there, with its interval.
  const since = worse ? best.changeMinute : 0;
  const estimate = oddsRatioEstimate(best.c.minutes.slice(since));
  const interval = worse ? oddsRatioInterval(best.minutes.slice(since), alpha) : undefined;
  const verdict: GuardVerdict = {
    ...base,
    log10Evidence: logE / LN10,
    worse,
    minutes: informative,
    comparison: best.c.label,
    canary,
    stable,
    oddsRatio: estimate === undefined ? undefined : { estimate, lower: interval?.lower, upper: interval?.upper },
    blind: blindness(r),
    changeMinute: worse ? since : undefined,
    gate: margin === undefined ? undefined : gateOf(scored, margin),
    summary: '',
  };
  const sinceNote = worse && since > 0 ? `; the change began about minute ${since} of the rollout (effect from there)` : '';
  return { ...verdict, summary: describe(r.guard, best.c, verdict) + absoluteNote + sinceNote };
}

/** The promotion gate of a guard's comparisons alone (what a step to 100 % waits for; judgeGuards decides it with `gate`). */
export function promotionGate(comparisons: readonly Comparison[], margin: number): GateVerdict {
  return gateOf(comparisons.map((c) => ({ c, minutes: c.minutes.map((t) => new ConditionalMinute(t)) })), margin);
}

/** A guard whose data miss one version entirely cannot compare them. */
function blindness(r: GuardReading): string | undefined {
  const arms = r.comparisons[0]?.minutes ?? [];
  const canary = arms.reduce((s, m) => s + m.canaryTrials, 0);
  const stable = arms.reduce((s, m) => s + m.stableTrials, 0);
  if (canary > 0 && stable > 0) return undefined;
  const missing = [canary > 0 ? '' : 'the canary', stable > 0 ? '' : 'stable'].filter(Boolean).join(' and ');
  return `no data from ${missing} in the minutes it judges`;
}

function describe(g: JudgedGuardPlan, c: Comparison, v: GuardVerdict): string {
  const rate = (a: ArmCount | undefined) => (a && a.trials > 0 ? `${a.events} of ${a.trials} (${fmt((100 * a.events) / a.trials)}%)` : 'no data');
  const or = v.oddsRatio
    ? `odds ratio ${fmt(v.oddsRatio.estimate)}${v.oddsRatio.lower !== undefined ? ` (anytime-valid interval ${fmt(v.oddsRatio.lower)}–${fmt(v.oddsRatio.upper ?? Infinity)})` : ''}`
    : 'no effect estimate yet';
  const verdict = v.worse ? 'canary worse than stable' : 'no decision';
  return (
    `${g.name}: ${verdict}. ${c.label}: canary ${rate(v.canary)}, stable ${rate(v.stable)} over ${v.minutes} min; ${or}; ` +
    `evidence 10^${fmt(v.log10Evidence)} against "${g.description}" (fires at 10^${fmt(v.threshold)}, alpha ${fmt(v.alpha)})`
  );
}

function sum(minutes: readonly MinuteTable[], arm: 'canary' | 'stable'): ArmCount {
  let trials = 0;
  let events = 0;
  for (const m of minutes) {
    trials += arm === 'canary' ? m.canaryTrials : m.stableTrials;
    events += arm === 'canary' ? m.canaryEvents : m.stableEvents;
  }
  return { trials: Math.round(trials), events: Math.round(events) };
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  const a = Math.abs(x);
  return String(a >= 100 ? Math.round(x) : a >= 1 ? Number(x.toFixed(2)) : Number(x.toPrecision(2)));
}

/**
 * The promotion gate. A gross regression of a comparison is "odds at least `margin` × stable's
 * (ψ ≥ margin; ψ ≤ 1/margin where the harm is a drop) and, for a rise, at least
 * GROSS_HARM_MIN_RATE of the canary's requests with the event". The gate rejects it at
 * PROMOTION_MISS_RATE with the average of two e-values, each valid under it: the one-sided
 * anytime-valid test of ψ ≥ margin (its e-value bets half on ψ = 1, what a healthy canary shows;
 * rejecting it alone is the odds ratio's upper bound lying below the margin), and the test of the
 * canary's own rate being that high (rate-bounds.ts; what clears rare events).
 */
function gateOf(scored: readonly { c: Comparison; minutes: readonly ConditionalMinute[] }[], margin: number): GateVerdict {
  const bar = Math.log(1 / PROMOTION_MISS_RATE);
  const each = scored.map(({ c, minutes }) => {
    const harmUp = c.side === 'above';
    const edge = harmUp ? Math.max(margin, c.psi0) : Math.min(1 / margin, c.psi0);
    // A healthy canary shows ψ = 1: the gate's e-value bets half on it.
    const logE = logEvidenceExpecting(minutes, edge, harmUp ? 'below' : 'above', 1);
    const canary = sum(c.minutes, 'canary');
    // Both tests are valid under a gross regression: their average is an e-value for it too.
    return { c, logE: harmUp ? logMeanExp([logE, logEvidenceRateBelow(canary.events, canary.trials, GROSS_HARM_MIN_RATE)]) : logE };
  });
  const worst = each.reduce((a, b) => (b.logE < a.logE ? b : a));
  return { cleared: worst.logE >= bar, margin, comparison: worst.c.label, log10Evidence: worst.logE / LN10 };
}
