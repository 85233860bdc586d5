import { firingAlarms, readAlarms } from '../shared/alarms';
import { publishAlertAfterTheFact } from '../shared/alerts';
import { TargetStateError } from '../shared/errors';
import { startWatch, watchSecondsOf } from '../shared/post-promotion';
import { alertFacts, controlPercentOf, externalStop, log, nowSeconds, progressOf } from '../shared/rollout';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/** Last step passed: the canary serves everything and becomes the stable version. */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const progress = progressOf(state);
  if (progress.decision !== 'promote') {
    throw new TargetStateError(`promote reached with decision ${progress.decision}: refusing to promote`);
  }
  const target = await targetFor(plan.target);

  // A guard that fired since the last check wins over the promotion.
  const { alarms, missing } = await readAlarms(plan.guardAlarmNames, plan.readCompositeAlarms ?? true);
  if (missing.length > 0) throw new Error(`guard alarms disappeared during the rollout: ${missing.join(', ')}`);
  const firing = firingAlarms(alarms, progress.ignoredAlarms, progress.startedAt);
  // `promote --force`: the operator overrode the guards, knowingly (their command is on record).
  const forced = progress.operator?.promoteBy?.force === true && !progress.operator.abortBy;
  if (firing.length > 0 && !forced) {
    const first = firing[0];
    return {
      ...progress,
      decision: 'rollback',
      reason: `guard alarm in ALARM: ${firing.map((a) => a.name).join(', ')}`,
      alarm: { name: first.name, reason: first.reason, value: first.value, threshold: first.threshold },
    };
  }

  const split = await target.read();
  const relation = relate(split, release);
  // 'promoted' here is this step's own earlier attempt (its alert failed and it was retried).
  if (relation !== 'ours' && relation !== 'promoted') return externalStop(progress, relation);
  // In the watch the previous version keeps its control share (as at the 100 % step): the judged guards go on comparing.
  const control = forced || watchSecondsOf(plan) === 0 ? 0 : controlPercentOf(plan);
  const changedAt = nowSeconds();
  if (relation === 'ours') await target.promote(release, split, control);
  const shareChanged = relation === 'ours' && split.canaryPercent !== 100 - control;
  // `promote --force` overrode the guards: watching them now would undo what the operator chose.
  const base: RolloutProgress = {
    ...progress,
    weightPercent: 100 - control,
    decision: 'promote',
    reason: progress.operator?.promoteBy ? progress.reason : undefined,
    weightChangedAt: shareChanged ? [...(progress.weightChangedAt ?? []), changedAt] : progress.weightChangedAt,
  };
  const promoted = forced ? { ...base, reason: `${base.reason ?? 'promoted'}; no post-promotion watch after --force` } : startWatch(plan, base, nowSeconds());
  log('canary promoted', { release, watchStartedAt: promoted.watchStartedAt });
  // The promotion happened: failing the step now would report a rollback that did not happen.
  const watchUntil = promoted.watchStartedAt !== undefined ? promoted.watchStartedAt + (plan.postPromotionWatchSeconds ?? 0) : undefined;
  await publishAlertAfterTheFact(plan.topicArn, alertFacts({ ...state, progress: promoted }, target, 'PROMOTED', { reason: promoted.reason, watchUntil }));
  return promoted;
}
