import { firingAlarms, readAlarms } from '../shared/alarms';
import { publishAlert } from '../shared/alerts';
import { type GuardVerdict, judgeGuards, publishEvidence, readGuards } from '../shared/judge';
import type { JudgePlan } from '../shared/judge-plan';
import { countRequests } from '../shared/metrics';
import { decideCheck, log, nowSeconds, alertFacts } from '../shared/rollout';
import { takeCommands } from '../shared/take-commands';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutPlan, RolloutProgress, RolloutState } from '../shared/types';

/** One check of a baking step: guard alarms, the judge, the target, the bake time and the canary's request count. */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const target = await targetFor(plan.target);
  const progress = await takeCommands(state, target);

  const { alarms, missing } = await readAlarms(plan.guardAlarmNames, plan.readCompositeAlarms ?? true);
  if (missing.length > 0) {
    // A guard that vanished mid-rollout can no longer protect anyone.
    throw new Error(`guard alarms disappeared during the rollout: ${missing.join(', ')}`);
  }
  const firing = firingAlarms(alarms, progress.ignoredAlarms, progress.startedAt);
  const split = await target.read();
  const now = nowSeconds();
  const versions = { canary: release.canaryVersion, stable: release.stableVersion };
  const counts = await countRequests(target, versions, progress.stepStartedAt, now);
  const verdicts = await judge(plan.judge ?? undefined, versions, progress.startedAt, now);
  const worst = verdicts.filter((v) => v.worse).sort((a, b) => b.log10Evidence - a.log10Evidence)[0];
  const next = decideCheck(plan, progress, {
    firing,
    // Named as its evidence alarm is, so alerts and the fast path speak of the same guard.
    failedGuard: worst && { name: evidenceAlarmName(plan, worst.name), reason: worst.summary, value: round(worst.log10Evidence), threshold: round(worst.threshold) },
    relation: relate(split, release),
    canaryRequests: counts.canary.requests,
    now,
  });
  log('check', { decision: next.decision, reason: next.reason, counts, firing: firing.map((a) => a.name) });

  // One alert per step for a hold on traffic or a gate; a pause was announced by its command's alert.
  if (next.decision === 'bake' && (next.hold === 'traffic' || next.hold === 'approval') && !progress.holdAlerted) {
    const event = next.hold === 'approval' ? 'APPROVAL_NEEDED' : 'HOLDING';
    await publishAlert(plan.topicArn, alertFacts({ ...state, progress: next }, target, event, { reason: next.reason }));
    return { ...next, holdAlerted: true };
  }
  return next;
}

/** Every judged guard's verdict, logged and published as its evidence metric. */
async function judge(plan: JudgePlan | undefined, versions: { canary: string; stable: string }, startedAt: number, now: number): Promise<GuardVerdict[]> {
  if (!plan || plan.guards.length === 0) return [];
  const verdicts = judgeGuards(plan, await readGuards(plan, versions, startedAt, now));
  log('judge', {
    alpha: plan.alpha,
    guards: verdicts.map((v) => ({
      name: v.name,
      log10Evidence: round(v.log10Evidence),
      threshold: round(v.threshold),
      worse: v.worse,
      minutes: v.minutes,
      canary: v.canary,
      stable: v.stable,
      oddsRatio: v.oddsRatio,
      undecided: v.undecided,
      summary: v.summary,
    })),
  });
  try {
    await publishEvidence(plan, versions.canary, verdicts, now);
  } catch (err) {
    // The decision above does not depend on the metric: a failed publish only costs the dashboard a point.
    log('evidence not published', { error: String(err) });
  }
  return verdicts;
}

function evidenceAlarmName(plan: RolloutPlan, guard: string): string {
  return plan.judge ? `${plan.judge.stackName}-${plan.judge.canaryName}-${guard}` : guard;
}

function round(x: number): number {
  return Number(x.toFixed(3));
}
