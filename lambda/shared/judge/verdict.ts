/**
 * From the minute tables of each judged guard to a verdict: its evidence (e-value), whether it
 * shows the canary worse than stable beyond the guard's margin, and the facts a person needs to
 * trust the decision (counts per version, the effect with its interval, the evidence, alpha).
 */
import { alphaPerGuard, type JudgedGuardPlan, type JudgePlan } from '../judge-plan';
import { logMeanExp } from './log-factorial';
import { ConditionalMinute, logEvidence, type MinuteTable, oddsRatioEstimate, oddsRatioInterval } from './odds-ratio';
import { rateBound } from './rate-bounds';

/** One comparison a guard is made of (a reference percentile and side, a class and side). */
export interface Comparison {
  /** What is counted, for people: "errors", "requests slower than 1.2 × stable's p50 (812 ms)". */
  readonly label: string;
  readonly psi0: number;
  readonly side: 'above' | 'below';
  readonly minutes: readonly MinuteTable[];
}

export interface GuardReading {
  readonly guard: JudgedGuardPlan;
  readonly comparisons: readonly Comparison[];
  /** Why the guard cannot be judged yet (no reference from stable). */
  readonly undecided?: string;
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
  /** The sentence for an alert or a log line. */
  readonly summary: string;
}

const LN10 = Math.log(10);

export function judgeGuards(plan: JudgePlan, readings: readonly GuardReading[]): GuardVerdict[] {
  const alpha = alphaPerGuard(plan);
  return readings.map((r) => judgeOne(r, alpha));
}

function judgeOne(r: GuardReading, alpha: number): GuardVerdict {
  const threshold = Math.log10(1 / alpha);
  const base = { name: r.guard.name, test: r.guard.test, alpha, threshold };
  if (r.undecided || r.comparisons.length === 0) {
    const why = r.undecided ?? 'nothing to compare yet';
    return { ...base, log10Evidence: 0, worse: false, minutes: 0, undecided: why, summary: `${r.guard.name}: not judged yet (${why})` };
  }
  const scored = r.comparisons.map((c) => {
    const minutes = c.minutes.map((t) => new ConditionalMinute(t));
    return { c, minutes, logE: logEvidence(minutes, c.psi0, c.side) };
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
  const estimate = oddsRatioEstimate(best.c.minutes);
  const interval = worse ? oddsRatioInterval(best.minutes, alpha) : undefined;
  const verdict: GuardVerdict = {
    ...base,
    log10Evidence: logE / LN10,
    worse,
    minutes: informative,
    comparison: best.c.label,
    canary,
    stable,
    oddsRatio: estimate === undefined ? undefined : { estimate, lower: interval?.lower, upper: interval?.upper },
    summary: '',
  };
  return { ...verdict, summary: describe(r.guard, best.c, verdict) + absoluteNote };
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
