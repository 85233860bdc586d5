import { firingAlarms, readAlarms } from '../shared/alarms';
import { publishAlertAfterTheFact } from '../shared/alerts';
import { TargetStateError } from '../shared/errors';
import { alertFacts, externalStop, log, progressOf } from '../shared/rollout';
import { relate } from '../shared/target';
import { targetFor } from '../shared/targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/** Last step passed: the canary serves everything and becomes the stable version. */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const progress = progressOf(state);
  if (progress.decision !== 'promote') {
    throw new TargetStateError(`promote reached with decision ${progress.decision}: refusing to promote`);
  }
  const target = targetFor(plan.target);

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
  if (relation === 'ours') await target.promote(release, split);
  const promoted: RolloutProgress = { ...progress, weightPercent: 100, decision: 'promote', reason: progress.operator?.promoteBy ? progress.reason : undefined };
  log('canary promoted', { release });
  // The promotion happened: failing the step now would report a rollback that did not happen.
  await publishAlertAfterTheFact(plan.topicArn, alertFacts({ ...state, progress: promoted }, target, 'PROMOTED', { reason: promoted.reason }));
  return promoted;
}
