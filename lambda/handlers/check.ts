import { firingAlarms, readAlarms } from '../shared/alarms';
import { publishAlert } from '../shared/alerts';
import { evidenceAlarmName, lookAt } from '../shared/judge';
import { countRequests } from '../shared/metrics';
import { decideCheck, gateDue, log, nowSeconds, alertFacts } from '../shared/rollout';
import { takeCommands } from '../shared/take-commands';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/** Holds that alert once per step (a pause was announced by its command's alert). */
const ALERTED_HOLDS = new Set(['traffic', 'approval', 'evidence', 'blind']);

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
  const look = await lookAt(plan, release, progress, target, now, gateDue(plan, progress, now));
  const worst = look?.worst;
  const decided = decideCheck(plan, progress, {
    firing,
    // Named as its evidence alarm is, so alerts and the fast path speak of the same guard.
    failedGuard: worst && { name: evidenceAlarmName(plan, worst.name), reason: worst.summary, value: round(worst.log10Evidence), threshold: round(worst.threshold) },
    relation: relate(split, release),
    canaryRequests: counts.canary.requests,
    now,
    judge: look?.observation,
  });
  const next: RolloutProgress = look ? { ...decided, references: look.references } : decided;
  log('check', { decision: next.decision, reason: next.reason, counts, firing: firing.map((a) => a.name) });

  // One alert per step and kind of hold.
  if (next.decision === 'bake' && next.hold && ALERTED_HOLDS.has(next.hold) && !(progress.holdAlerted && (progress.holdAlertedFor ?? next.hold) === next.hold)) {
    const event = next.hold === 'approval' ? 'APPROVAL_NEEDED' : 'HOLDING';
    await publishAlert(plan.topicArn, alertFacts({ ...state, progress: next }, target, event, { reason: next.reason, hold: next.hold }));
    return { ...next, holdAlerted: true, holdAlertedFor: next.hold };
  }
  return next;
}

function round(x: number): number {
  return Number(x.toFixed(3));
}
