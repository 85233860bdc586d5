/**
 * One look of the judge, as the check step and the post-promotion watch take it: read every
 * judged guard's minutes, judge them, log and publish the evidence, and say what the rollout
 * needs to know (a guard that is worse, guards that cannot judge, the promotion gate).
 */
import type { JudgeObservation } from '../rollout';
import { log } from '../rollout';
import type { TrafficTarget } from '../traffic-target';
import type { Release, RolloutPlan, RolloutProgress } from '../types';
import { planWithGuardVersions } from './guard-versions';
import { publishEvidence } from './publish';
import { readGuards, referencesToKeep } from './read';
import { type GuardVerdict, judgeGuards } from './verdict';

/**
 * log10 of the change detector's evidence above which a guard is suspect: the mixture starts at 1
 * and a healthy canary's drifts below it, so above 1 the data favour "the canary became worse".
 * Minutes without an event in either version leave it at exactly 1: no information, no suspicion.
 */
export const SUSPECT_LOG10 = 0;

export interface JudgeLook {
  readonly verdicts: GuardVerdict[];
  /** The guard with the most evidence among those that found the canary worse. */
  readonly worst?: GuardVerdict;
  readonly observation: JudgeObservation;
  /** Scale thresholds to keep in the progress (fixed once they judge a minute). */
  readonly references: NonNullable<RolloutProgress['references']>;
}

export async function lookAt(plan: RolloutPlan, release: Release, progress: RolloutProgress, target: TrafficTarget, now: number, gate: boolean): Promise<JudgeLook | undefined> {
  const judge = plan.judge ?? undefined;
  if (!judge || judge.guards.length === 0) return undefined;
  const versions = { canary: release.canaryVersion, stable: release.stableVersion };
  const weightChanges = (progress.weightChangedAt ?? []).map((at) => ({ from: at, to: at + target.weightChangeSeconds }));
  // Guards whose versions come from each version's environment read those; the alpha stays split over every guard of the plan.
  const readings = await readGuards(planWithGuardVersions(judge, progress), versions, progress.startedAt, now, { weightChanges, references: progress.references });
  const verdicts = judgeGuards(judge, readings, { gate });
  const worst = verdicts.filter((v) => v.worse).sort((a, b) => b.log10Evidence - a.log10Evidence)[0];
  const blind = verdicts.filter((v) => v.blind !== undefined).map((v) => ({ name: v.name, why: v.blind! }));
  const suspect = suspectGuards(verdicts);
  const evidencePending = gate && judge.promotionMargin !== undefined ? verdicts.filter((v) => !v.gate?.cleared).map((v) => v.name) : undefined;
  log('judge', {
    alpha: judge.alpha,
    guards: verdicts.map((v) => ({
      name: v.name,
      log10Evidence: round(v.log10Evidence),
      threshold: round(v.threshold),
      worse: v.worse,
      minutes: v.minutes,
      canary: v.canary,
      stable: v.stable,
      oddsRatio: v.oddsRatio,
      changeMinute: v.changeMinute,
      undecided: v.undecided,
      gate: v.gate && { cleared: v.gate.cleared, margin: v.gate.margin, comparison: v.gate.comparison, log10Evidence: round(v.gate.log10Evidence) },
      summary: v.summary,
    })),
  });
  try {
    await publishEvidence(judge, versions.canary, verdicts, now);
  } catch (err) {
    // The decision does not depend on the metric: a failed publish only costs the dashboard a point.
    log('evidence not published', { error: String(err) });
  }
  return { verdicts, worst, observation: { blind, evidencePending, suspect }, references: { ...progress.references, ...referencesToKeep(readings) } };
}

/** A judged guard's name as its evidence alarm spells it, so alerts and the fast path speak of the same guard. */
export function evidenceAlarmName(plan: RolloutPlan, guard: string): string {
  return plan.judge ? `${plan.judge.stackName}-${plan.judge.canaryName}-${guard}` : guard;
}

function round(x: number): number {
  return Number(x.toFixed(3));
}

/**
 * The guards that lean toward a regression without firing. Above 1, not at it: a guard whose
 * minutes carried no information (no event in either version) sits at exactly 1.
 */
export function suspectGuards(verdicts: readonly GuardVerdict[]): { name: string; log10Evidence: number; threshold: number }[] {
  return verdicts
    .filter((v) => !v.worse && v.undecided === undefined && v.minutes > 0 && v.log10Evidence > SUSPECT_LOG10 + 1e-9)
    .map((v) => ({ name: v.name, log10Evidence: round(v.log10Evidence), threshold: round(v.threshold) }));
}
