/**
 * The bench's numbers from its runs (scripts/bench.ts): per scenario and strategy, the false-rollback
 * rate over the healthy runs with a Clopper-Pearson interval, and issue 8 §3's three goals.
 */
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import { materialRegression } from '../sim/bench/practical-margin';
import { type ScenarioFile, specAt } from '../sim/scenarios/scenario';
import type { AnyStrategy, StrategyRun } from '../sim/bench/strategies';

export interface Cell {
  readonly scenario: string;
  readonly strategy: AnyStrategy;
  readonly regression: boolean;
  readonly runs: number;
  readonly outcomes: Record<string, number>;
  /** Mean failed canary requests from the onset to weight 0 (regression scenarios). */
  readonly blastRadiusFailed: number | null;
  readonly blastRadiusFailedMax: number | null;
  /** Mean canary requests in the same window. */
  readonly blastRadiusRequests: number | null;
  /** Seeds where the regressed canary reached weight 0 after the onset. */
  readonly caught: number;
  /** Median seconds from the onset to weight 0 over the caught seeds. */
  readonly detectionSecondsMedian: number | null;
  readonly detectionSecondsMax: number | null;
  /** Median seconds to 100 % over the seeds that reached it (healthy scenarios). */
  readonly secondsTo100Median: number | null;
  /** Every seed's seconds to 100 % (null: it never got there), sorted, for the distribution. */
  readonly secondsTo100: readonly (number | null)[];
  /** Runs that promoted the canary (reached 100 % and ended promoted) after a regression began. */
  readonly promotedBad: number;
  /** Rollbacks of a canary that was not (yet) worse: every rollback in a healthy scenario, and rollbacks before the onset. */
  readonly falseRollbacks: number;
  /** Mean real milliseconds per run. */
  readonly realMsMean: number;
}

/** A proportion with its exact (Clopper-Pearson) 95 % interval. */
export interface Rate {
  readonly rollbacks: number;
  readonly runs: number;
  readonly low: number;
  readonly high: number;
}

/** What the goals need to know of a scenario beyond its runs. */
export interface ScenarioKind {
  readonly name: string;
  /** The canary is materially worse from its deploy on, at 20 requests a second or more (the time goals). */
  readonly firstMinute: boolean;
  /** Goal (b)'s limit on onset → 0 % in seconds (first-minute regressions at 20 req/s or more, late onsets). */
  readonly detectionLimitSeconds: number | null;
  /** The regression starts after 20 or more healthy minutes (issue 16's late onsets). */
  readonly lateOnset?: boolean;
  /** Any regression (caught and never promoted: issue 16). */
  readonly regression?: boolean;
  /** Requests a second when the traffic never changes (the time-to-100 % goal's traffic levels); null when it does. */
  readonly steadyRequestsPerSecond?: number | null;
  /** For an error regression: minutes of data the evidence needs at this traffic (informationFloor()). */
  readonly informationFloor?: InformationFloor;
  /** Goal (c)'s blast radius counts failed requests (error regressions) or every canary request after the onset (the others). */
  readonly blastBy: 'failed' | 'requests';
}

/**
 * How many minutes of data an error regression needs before any anytime-valid test can fire: the
 * expected evidence per minute (the canary's share of the minute's errors against the share the
 * guard's margin allows, Kullback-Leibler) against ln(1/alpha) of the example app's
 * ErrorRateVsStable (alpha 0.01 × 3/11: errors weigh 3 of its judged guards' 11). `oracleMinutes`:
 * an SPRT that knows the onset and the effect; `detectorMinutes`: the change detector, which does
 * not know the onset and pays ln(1/π) = ln(2.5 × 50) for a late one (ln 2 for the first minute).
 */
export interface InformationFloor {
  readonly canaryRequestsPerSecond: number;
  readonly oracleMinutes: number;
  readonly detectorMinutes: number;
}

/** The default schedule's canary share at a minute of the rollout. */
function defaultShare(minute: number): number {
  return minute < 10 ? 0.05 : minute < 20 ? 0.25 : minute < 30 ? 0.5 : 0.95;
}

export function informationFloor(file: ScenarioFile, minute: number): InformationFloor | undefined {
  const c = specAt(file, 'canary', minute).errorRate ?? 0;
  const s = specAt(file, 'stable', minute).errorRate ?? 0;
  if (!(c > s && s > 0)) return undefined;
  const rps = [...(file.changes ?? [])].filter((x) => x.requestsPerSecond !== undefined && x.atMinute <= minute).pop()?.requestsPerSecond ?? file.requestsPerSecond;
  const share = defaultShare(minute);
  const n1 = rps * 60 * share;
  const n0 = rps * 60 * (1 - share);
  const events = n1 * c + n0 * s;
  const p1 = (n1 * c) / events;
  const p0 = (1.5 * n1) / (1.5 * n1 + n0);
  const kl = p1 * Math.log(p1 / p0) + (1 - p1) * Math.log((1 - p1) / (1 - p0));
  const perMinute = events * kl;
  const alpha = (0.01 * 3) / 11;
  return {
    canaryRequestsPerSecond: Math.round(rps * share * 10) / 10,
    oracleMinutes: Math.log(1 / alpha) / perMinute,
    detectorMinutes: (Math.log(1 / alpha) + (minute === 0 ? Math.log(2) : Math.log(2.5 * 50))) / perMinute,
  };
}

export interface GoalCheck {
  readonly met: boolean;
  readonly text: string;
}

export interface Goals {
  readonly falseRollbacks: GoalCheck;
  readonly detection: readonly (GoalCheck & { readonly scenario: string })[];
  readonly blastRadius: readonly (GoalCheck & { readonly scenario: string })[];
  /** Issue 16: every regression run caught, none promoted. */
  readonly caught?: readonly (GoalCheck & { readonly scenario: string })[];
  /** Issue 16: late onsets' onset → 0 %. */
  readonly late?: readonly (GoalCheck & { readonly scenario: string })[];
  /** Issue 16: healthy canaries' time to 100 % per traffic level (default schedule, and the evidence-driven one). */
  readonly timeTo100?: readonly (GoalCheck & { readonly scenario: string; readonly strategy: string })[];
}

/** The bench's defaults: 5 seeds on each regression, 20 on each healthy scenario (10 of them: 200 healthy runs per strategy), 60 s lag, 2 workers. */
export const DEFAULTS = { seeds: [1, 2, 3, 4, 5], healthySeeds: 20, publishDelaySeconds: 60, jobs: 2 } as const;

/** Goal (c) compares against anchors that roll back at most this share of the healthy runs. */
export const FAIR_ANCHOR_MAX_FALSE = 0.05;
/** Goal (a). */
export const GOAL_FALSE_ROLLBACK_RATE = 0.01;
/** Issue 16: at least 400 healthy runs, non-stationary ones included. */
export const GOAL_HEALTHY_RUNS = 400;
/** Issue 16: late onsets (after 20 or more healthy minutes) at 0 % within 300 s of their onset. */
export const LATE_ONSET_MINUTES = 20;
export const LATE_LIMIT_SECONDS = 300;
/** Issue 16: healthy canaries at 2 req/s or more reach 100 % within 1.5 × the default schedule's nominal 30 minutes... */
export const DEFAULT_TO_100_LIMIT_SECONDS = 1.5 * 30 * 60;
/** ...and within 10 minutes with the evidence-driven schedule at 20 req/s or more. */
export const EVIDENCE_TO_100_LIMIT_SECONDS = 10 * 60;

/** Exact binomial 95 % interval (Clopper & Pearson 1934) from Beta quantiles. */
export function clopperPearson(k: number, n: number, confidence = 0.95): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const a = (1 - confidence) / 2;
  return { low: k === 0 ? 0 : betaQuantile(a, k, n - k + 1), high: k === n ? 1 : betaQuantile(1 - a, k + 1, n - k) };
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
export const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function isFalseRollback(r: StrategyRun): boolean {
  // Stopped for want of evidence (canary at 0 %, alerted as not a regression) is no rollback.
  if (r.weightZeroAtSeconds === null || r.outcome === 'insufficient_evidence') return false;
  return r.regressionOnsetSeconds === null || r.weightZeroAtSeconds < r.regressionOnsetSeconds;
}

/**
 * Issue 8 §3's classes: a canary failing ≥ 5× stable's rate and ≥ 10 % of its requests must be at 0 %
 * within 180 s; latency within 360 s; the other (moderate) regressions within 300 s.
 */
export function scenarioKind(file: ScenarioFile): ScenarioKind {
  const { onset } = materialRegression(file);
  const firstMinute = onset?.minute === 0;
  const what = onset?.what ?? [];
  const c = specAt(file, 'canary', 0);
  const s = specAt(file, 'stable', 0);
  const severeErrors = what.includes('errorRate') && (c.errorRate ?? 0) >= 5 * (s.errorRate ?? 0) && (c.errorRate ?? 0) >= 0.1;
  const latencyOnly = what.length > 0 && what.every((w) => w.startsWith('latencyMs'));
  // The time goals are for traffic that carries the evidence: 20 req/s or more at the deploy.
  const timed = firstMinute && file.requestsPerSecond >= 20;
  const late = onset !== undefined && onset.minute >= LATE_ONSET_MINUTES;
  const steady = (file.changes ?? []).every((x) => x.requestsPerSecond === undefined);
  return {
    name: file.name,
    firstMinute: timed,
    detectionLimitSeconds: late ? LATE_LIMIT_SECONDS : !timed ? null : severeErrors ? 180 : latencyOnly ? 360 : 300,
    blastBy: what.includes('errorRate') ? 'failed' : 'requests',
    lateOnset: late,
    regression: onset !== undefined,
    steadyRequestsPerSecond: steady ? file.requestsPerSecond : null,
    ...(onset && what.includes('errorRate') ? { informationFloor: informationFloor(file, onset.minute) } : {}),
  };
}

export function summarize(runs: readonly StrategyRun[], strategies: readonly AnyStrategy[]): { cells: Cell[]; falseRollbacksHealthy: Record<string, Rate> } {
  const scenarios = [...new Set(runs.map((r) => r.scenario))];
  const cells: Cell[] = [];
  for (const scenario of scenarios) {
    for (const strategy of strategies) {
      const rs = runs.filter((r) => r.scenario === scenario && r.strategy === strategy);
      if (rs.length === 0) continue;
      const regression = rs[0].regressionOnsetSeconds !== null;
      const outcomes: Record<string, number> = {};
      for (const r of rs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      const caught = rs.filter((r) => r.detectionSeconds !== null).map((r) => r.detectionSeconds as number);
      cells.push({
        scenario,
        strategy,
        regression,
        runs: rs.length,
        outcomes,
        blastRadiusFailed: regression ? mean(rs.map((r) => r.blastRadiusFailed)) : null,
        blastRadiusFailedMax: regression ? Math.max(...rs.map((r) => r.blastRadiusFailed)) : null,
        blastRadiusRequests: regression ? mean(rs.map((r) => r.blastRadiusRequests)) : null,
        caught: caught.length,
        detectionSecondsMedian: median(caught),
        detectionSecondsMax: caught.length ? Math.max(...caught) : null,
        secondsTo100Median: regression ? null : median(rs.filter((r) => r.promotedAtSeconds !== null).map((r) => r.promotedAtSeconds as number)),
        secondsTo100: rs.map((r) => r.promotedAtSeconds).sort((a, b) => (a ?? Infinity) - (b ?? Infinity)),
        promotedBad: regression ? rs.filter((r) => r.outcome === 'promoted').length : 0,
        falseRollbacks: rs.filter(isFalseRollback).length,
        realMsMean: mean(rs.map((r) => r.realMs)) ?? 0,
      });
    }
  }
  const falseRollbacksHealthy: Record<string, Rate> = {};
  for (const strategy of strategies) {
    const healthy = runs.filter((r) => r.strategy === strategy && r.regressionOnsetSeconds === null);
    const k = healthy.filter(isFalseRollback).length;
    falseRollbacksHealthy[strategy] = { rollbacks: k, runs: healthy.length, ...clopperPearson(k, healthy.length) };
  }
  return { cells, falseRollbacksHealthy };
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;
export const rateText = (r: Rate) => `${r.rollbacks}/${r.runs} = ${r.runs ? pct(r.rollbacks / r.runs) : '-'} [95 %: ${pct(r.low)}–${pct(r.high)}]`;

/** The blast radius goal (c) compares: failed requests, or every canary request after the onset. */
export function blastOf(cell: Cell, kind: ScenarioKind): number {
  return (kind.blastBy === 'failed' ? cell.blastRadiusFailed : cell.blastRadiusRequests) ?? 0;
}

/** Issue 8 §3's goals for `ours` (model-canary), from the cells and the healthy false-rollback rates. */
export function checkGoals(cells: readonly Cell[], falseRollbacks: Record<string, Rate>, kinds: readonly ScenarioKind[], ours: AnyStrategy = 'model-canary'): Goals {
  const f = falseRollbacks[ours] ?? { rollbacks: 0, runs: 0, low: 0, high: 1 };
  const enough = f.runs >= GOAL_HEALTHY_RUNS;
  const pointOk = f.runs > 0 && f.rollbacks / f.runs <= GOAL_FALSE_ROLLBACK_RATE;
  const falseGoal: GoalCheck = {
    met: enough && pointOk,
    text:
      `${ours} false rollbacks ${rateText(f)} over ${f.runs} healthy runs (goal: ≤ ${pct(GOAL_FALSE_ROLLBACK_RATE, 0)} over ≥ ${GOAL_HEALTHY_RUNS} runs)` +
      (enough ? '' : `; only ${f.runs} runs, fewer than ${GOAL_HEALTHY_RUNS}`) +
      `; the interval's upper bound ${f.high <= GOAL_FALSE_ROLLBACK_RATE ? 'is' : 'is not'} within ${pct(GOAL_FALSE_ROLLBACK_RATE, 0)}`,
  };
  const detection: Goals['detection'][number][] = [];
  const blastRadius: Goals['blastRadius'][number][] = [];
  for (const kind of kinds.filter((k) => k.firstMinute)) {
    const mine = cells.find((c) => c.scenario === kind.name && c.strategy === ours);
    if (!mine) continue;
    const limit = kind.detectionLimitSeconds as number;
    const all = mine.caught === mine.runs;
    const med = mine.detectionSecondsMedian;
    detection.push({
      scenario: kind.name,
      met: all && med !== null && med <= limit,
      text: `median ${med ?? '-'} s (max ${mine.detectionSecondsMax ?? '-'} s), caught ${mine.caught}/${mine.runs}; limit ${limit} s${floorText(kind)}`,
    });
    const fair = cells.filter(
      (c) => c.scenario === kind.name && c.strategy !== ours && (falseRollbacks[c.strategy]?.runs ?? 0) > 0 && falseRollbacks[c.strategy].rollbacks / falseRollbacks[c.strategy].runs <= FAIR_ANCHOR_MAX_FALSE,
    );
    const unit = kind.blastBy === 'failed' ? 'failed requests' : 'canary requests after the onset';
    if (fair.length === 0) {
      blastRadius.push({ scenario: kind.name, met: false, text: `no anchor rolls back ≤ ${pct(FAIR_ANCHOR_MAX_FALSE, 0)} of the healthy runs: nothing to compare with` });
      continue;
    }
    const best = fair.reduce((a, b) => (blastOf(b, kind) < blastOf(a, kind) ? b : a));
    const ok = blastOf(mine, kind) <= blastOf(best, kind) / 3;
    blastRadius.push({
      scenario: kind.name,
      met: ok,
      text: `${blastOf(mine, kind).toFixed(1)} vs best anchor ${best.strategy} ${blastOf(best, kind).toFixed(1)} ${unit} (a third: ${(blastOf(best, kind) / 3).toFixed(1)})`,
    });
  }
  return { falseRollbacks: falseGoal, detection, blastRadius, ...issue16Goals(cells, kinds, ours) };
}

/** The information floor of an error regression, for a goal's line. */
export function floorText(k: ScenarioKind): string {
  const f = k.informationFloor;
  if (!f) return '';
  return `; at ${f.canaryRequestsPerSecond} canary req/s the evidence needs ${f.oracleMinutes.toFixed(1)} min of data for an SPRT that knows the onset, ${f.detectorMinutes.toFixed(1)} for the change detector, plus the minute's end and the 60 s lag`;
}

/** The distribution of seconds to 100 %: median / 90th percentile / max, and how many never got there. */
export function distributionText(xs: readonly (number | null)[]): string {
  const got = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (got.length === 0) return `never (0/${xs.length})`;
  const q = (f: number) => got[Math.min(got.length - 1, Math.floor(f * got.length))];
  const never = xs.length - got.length;
  return `median ${(median(got)! / 60).toFixed(1)} min, 90th percentile ${(q(0.9) / 60).toFixed(1)}, max ${(got[got.length - 1] / 60).toFixed(1)}${never ? `; ${never}/${xs.length} never` : ''}`;
}

/** Issue 16's goals: every regression caught and none promoted, late onsets' speed, healthy canaries' time to 100 %. */
function issue16Goals(cells: readonly Cell[], kinds: readonly ScenarioKind[], ours: AnyStrategy): Pick<Goals, 'caught' | 'late' | 'timeTo100'> {
  const mine = (k: ScenarioKind, strategy: AnyStrategy = ours) => cells.find((c) => c.scenario === k.name && c.strategy === strategy);
  const caught = kinds
    .filter((k) => k.regression)
    .flatMap((k) => {
      const c = mine(k);
      if (!c) return [];
      return [{ scenario: k.name, met: c.caught === c.runs && c.promotedBad === 0, text: `caught ${c.caught}/${c.runs}, promoted ${c.promotedBad}/${c.runs}` }];
    });
  const late = kinds
    .filter((k) => k.lateOnset)
    .flatMap((k) => {
      const c = mine(k);
      if (!c) return [];
      return [{ scenario: k.name, met: c.caught === c.runs && c.detectionSecondsMedian !== null && c.detectionSecondsMedian <= LATE_LIMIT_SECONDS, text: `median ${c.detectionSecondsMedian ?? '-'} s (max ${c.detectionSecondsMax ?? '-'} s), caught ${c.caught}/${c.runs}; limit ${LATE_LIMIT_SECONDS} s${floorText(k)}` }];
    });
  const timeTo100 = kinds
    .filter((k) => !k.regression && k.steadyRequestsPerSecond !== null && k.steadyRequestsPerSecond !== undefined && k.steadyRequestsPerSecond > 0)
    .sort((a, b) => (a.steadyRequestsPerSecond ?? 0) - (b.steadyRequestsPerSecond ?? 0))
    .flatMap((k) => {
      const rps = k.steadyRequestsPerSecond as number;
      return ([[ours, rps >= 2 ? DEFAULT_TO_100_LIMIT_SECONDS : null], ['model-canary-evidence', rps >= 20 ? EVIDENCE_TO_100_LIMIT_SECONDS : null]] as [AnyStrategy, number | null][]).flatMap(([strategy, limit]) => {
        const c = mine(k, strategy);
        // A goal whose strategy did not run is not met: it was not measured.
        if (!c) return limit === null || strategy === ours ? [] : [{ scenario: `${k.name} (${rps} req/s)`, strategy, met: false, text: `not measured: run the bench with --strategies ${ours},${strategy}` }];
        const med = c.secondsTo100Median;
        return [{
          scenario: `${k.name} (${rps} req/s)`,
          strategy,
          met: limit === null || (med !== null && med <= limit),
          text: `${distributionText(c.secondsTo100)}${limit === null ? ' (no goal at this traffic)' : `; limit ${(limit / 60).toFixed(0)} min median`}`,
        }];
      });
    });
  return { caught, late, timeTo100 };
}

export function goalsMet(g: Goals): boolean {
  return (
    g.falseRollbacks.met &&
    g.detection.length > 0 &&
    g.detection.every((d) => d.met) &&
    g.blastRadius.every((b) => b.met) &&
    (g.caught ?? []).every((x) => x.met) &&
    (g.late ?? []).every((x) => x.met) &&
    (g.timeTo100 ?? []).every((x) => x.met)
  );
}
