import { firingAlarms, readAlarms } from '../shared/alarms';
import { evidenceAlarmName, lookAt } from '../shared/judge';
import { decideWatch } from '../shared/post-promotion';
import { log, nowSeconds } from '../shared/rollout';
import { takeCommands } from '../shared/take-commands';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/**
 * One check of the post-promotion watch: the operator's abort, the guard alarms, the judge against
 * the previous version's control share, and the target. At the watch's end the control share goes
 * to the canary.
 */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const target = await targetFor(plan.target);
  const progress = await takeCommands(state, target);
  const { alarms, missing } = await readAlarms(plan.guardAlarmNames, plan.readCompositeAlarms ?? true);
  // The workflow's Catch sends traffic back: a guard that vanished protects nobody.
  if (missing.length > 0) throw new Error(`guard alarms disappeared during the post-promotion watch: ${missing.join(', ')}`);
  const firing = firingAlarms(alarms, progress.ignoredAlarms, progress.startedAt);
  const split = await target.read();
  const now = nowSeconds();
  const relation = relate(split, release);
  // The judge needs the control: without it (plans from before it, or a watch without one) stable has no traffic.
  const look = relation === 'promoted' && split.canary === release.stableVersion ? await lookAt(plan, release, progress, target, now, false) : undefined;
  const worst = look?.worst;
  const next = decideWatch(plan, progress, {
    firing,
    failedGuard: worst && { name: evidenceAlarmName(plan, worst.name), reason: worst.summary, value: round(worst.log10Evidence), threshold: round(worst.threshold) },
    relation,
    now,
  });
  log('watch', { decision: next.decision, reason: next.reason, firing: firing.map((a) => a.name), watchStartedAt: next.watchStartedAt });
  if (next.decision === 'promote' && split.canary === release.stableVersion && split.canaryPercent > 0) {
    // The watch is over: the canary takes the control share too.
    await target.promote(release, split, 0);
    log('control share ended', { release, controlPercent: split.canaryPercent });
    return { ...next, weightPercent: 100, references: look?.references ?? next.references };
  }
  return look ? { ...next, references: look.references } : next;
}

function round(x: number): number {
  return Number(x.toFixed(3));
}
