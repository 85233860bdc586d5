import { firingAlarms, readAlarms } from '../shared/alarms';
import { publishAlert } from '../shared/alerts';
import { countRequests } from '../shared/metrics';
import { decideCheck, log, nowSeconds, progressOf, alertFacts } from '../shared/rollout';
import { relate } from '../shared/target';
import { targetFor } from '../shared/targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/** One check of a baking step: guards, the target, the bake time and the canary's request count. */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const progress = progressOf(state);
  const target = targetFor(plan.target);

  const { alarms, missing } = await readAlarms(plan.guardAlarmNames);
  if (missing.length > 0) {
    // A guard that vanished mid-rollout can no longer protect anyone.
    throw new Error(`guard alarms disappeared during the rollout: ${missing.join(', ')}`);
  }
  const firing = firingAlarms(alarms, progress.ignoredAlarms, progress.startedAt);
  const split = await target.read();
  const now = nowSeconds();
  const counts = await countRequests(
    target,
    { canary: release.canaryVersion, stable: release.stableVersion },
    progress.stepStartedAt,
    now,
  );
  const next = decideCheck(plan, progress, {
    firing,
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
