import { firingAlarms, readAlarms } from '../shared/alarms';
import { decideWatch } from '../shared/post-promotion';
import { log, nowSeconds } from '../shared/rollout';
import { takeCommands } from '../shared/take-commands';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/** One check of the post-promotion watch: the operator's abort, the guard alarms and the target. */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const target = await targetFor(plan.target);
  const progress = await takeCommands(state, target);
  const { alarms, missing } = await readAlarms(plan.guardAlarmNames, plan.readCompositeAlarms ?? true);
  // The workflow's Catch sends traffic back: a guard that vanished protects nobody.
  if (missing.length > 0) throw new Error(`guard alarms disappeared during the post-promotion watch: ${missing.join(', ')}`);
  const firing = firingAlarms(alarms, progress.ignoredAlarms, progress.startedAt);
  const split = await target.read();
  const next = decideWatch(plan, progress, { firing, relation: relate(split, release), now: nowSeconds() });
  log('watch', { decision: next.decision, reason: next.reason, firing: firing.map((a) => a.name), watchStartedAt: next.watchStartedAt });
  return next;
}
