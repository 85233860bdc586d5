import { firingAlarms, readAlarms } from '../shared/alarms';
import { publishAlert } from '../shared/alerts';
import { requestCounts, requestMetrics, sumMetrics } from '../shared/metrics';
import { type ClassCounts, judgeShift, predictionCounts, predictionMetrics } from '../shared/prediction-shift';
import { decideCheck, log, nowSeconds, progressOf, alertFacts } from '../shared/rollout';
import { relate } from '../shared/target';
import { targetFor } from '../shared/targets';
import type { PredictionShiftPlan, RolloutProgress, RolloutState } from '../shared/types';

/** One check of a baking step: guards, the target, the bake time and the canary's request count. */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const progress = progressOf(state);
  const target = targetFor(plan.target);

  const { alarms, missing } = await readAlarms(plan.guardAlarmNames, plan.readCompositeAlarms ?? true);
  if (missing.length > 0) {
    // A guard that vanished mid-rollout can no longer protect anyone.
    throw new Error(`guard alarms disappeared during the rollout: ${missing.join(', ')}`);
  }
  const firing = firingAlarms(alarms, progress.ignoredAlarms, progress.startedAt);
  const split = await target.read();
  const now = nowSeconds();
  // One GetMetricData call for every count this check needs.
  const versions = { canary: release.canaryVersion, stable: release.stableVersion };
  const shiftPlan = plan.predictionShift ?? undefined;
  const sums = await sumMetrics(
    { ...requestMetrics(target, versions), ...(shiftPlan ? predictionMetrics(shiftPlan, versions) : {}) },
    progress.stepStartedAt,
    now,
  );
  const counts = requestCounts(sums);
  const shift = shiftPlan ? predictionShift(shiftPlan, predictionCounts(shiftPlan, sums)) : undefined;
  const next = decideCheck(plan, progress, {
    firing,
    failedGuard: shift,
    relation: relate(split, release),
    canaryRequests: counts.canary.requests,
    now,
  });
  log('check', { decision: next.decision, reason: next.reason, counts, firing: firing.map((a) => a.name) });

  if (next.decision === 'bake' && next.reason && !progress.holdAlerted) {
    await publishAlert(plan.topicArn, alertFacts({ ...state, progress: next }, target, 'HOLDING', { reason: next.reason }));
    return { ...next, holdAlerted: true };
  }
  return next;
}

/** The prediction-shift guard: PSI of the class shares in the step so far, once both sides have enough predictions. */
function predictionShift(plan: PredictionShiftPlan, counts: { canary: ClassCounts; stable: ClassCounts }) {
  const verdict = judgeShift(plan, counts.canary, counts.stable);
  log('prediction shift', { psi: verdict.psi, judged: verdict.judged, ...counts });
  if (!verdict.shifted) return undefined;
  return {
    name: 'PredictionShift',
    reason: `population stability index ${verdict.psi.toFixed(3)} > ${plan.maxPsi} (${verdict.summary})`,
    value: Number(verdict.psi.toFixed(4)),
    threshold: plan.maxPsi,
  };
}
