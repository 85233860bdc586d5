/**
 * The post-promotion watch (pure: the watch step reads, this decides). The canary serves all
 * traffic and the previous version is still routable (a Lambda version, a SageMaker variant at
 * weight 0); a guard that fires, or an abort, sends traffic back to the previous version.
 * The judge compares canary with stable minute by minute, and stable has no traffic now: only
 * the alarms watch (thresholds of the canary's own, and the user's alarms).
 */
import type { AlarmView } from './alarms';
import { holdWaitSeconds } from './hold';
import { shortIdentity } from './operator';
import { externalStop } from './rollout';
import type { SplitRelation } from './traffic-target';
import type { RolloutPlan, RolloutProgress } from './types';

export interface WatchObservation {
  readonly firing: AlarmView[];
  readonly relation: SplitRelation;
  readonly now: number;
}

/** Seconds the plan watches after the promotion (0: the promotion ends the rollout). */
export function watchSecondsOf(plan: RolloutPlan): number {
  return Math.max(0, plan.postPromotionWatchSeconds ?? 0);
}

/** The progress right after the promotion: watching (first check one interval later), or done. */
export function startWatch(plan: RolloutPlan, promoted: RolloutProgress, now: number): RolloutProgress {
  const watch = watchSecondsOf(plan);
  if (watch === 0) return promoted;
  return { ...promoted, decision: 'watch', watchStartedAt: now, waitSeconds: holdWaitSeconds(plan.checkIntervalSeconds, watch, 0) };
}

/**
 * One check of the watch. An abort or a firing guard sends traffic back ('rollback': the rollback
 * step reverts the promotion); someone else's change ends the watch as the workflow's other checks
 * do; the window's end leaves the canary promoted ('promote').
 */
export function decideWatch(plan: RolloutPlan, progress: RolloutProgress, obs: WatchObservation): RolloutProgress {
  const started = progress.watchStartedAt ?? obs.now;
  const minutes = Math.max(0, Math.round((obs.now - started) / 60));
  const seen: RolloutProgress = { ...progress, reason: progress.reason, hold: undefined };
  const abort = progress.operator?.abortBy;
  if (abort) {
    const why = abort.reason ? `: ${abort.reason}` : '';
    return { ...seen, decision: 'rollback', waitSeconds: 0, reason: `aborted by ${shortIdentity(abort.by)} ${minutes} min after the promotion${why}` };
  }
  if (obs.firing.length > 0) {
    const first = obs.firing[0];
    return {
      ...seen,
      decision: 'rollback',
      waitSeconds: 0,
      reason: `guard alarm in ALARM ${minutes} min after the promotion: ${obs.firing.map((a) => a.name).join(', ')}`,
      alarm: { name: first.name, reason: first.reason, value: first.value, threshold: first.threshold },
    };
  }
  // 'idle': the fast path (or a person) already sent traffic back; the rollback step confirms and alerts.
  if (obs.relation === 'superseded') return externalStop(seen, obs.relation);
  if (obs.relation === 'idle') {
    return { ...externalStop(seen, 'idle'), reason: `traffic went back to the previous version outside the workflow ${minutes} min after the promotion (alarm fast path or an operator)` };
  }
  if (obs.relation === 'ours') {
    return { ...seen, decision: 'rollback', waitSeconds: 0, reason: 'the canary lost part of its traffic during the post-promotion watch (the target was changed by hand): sending traffic back to the previous version' };
  }
  const watched = obs.now - started;
  if (watched >= watchSecondsOf(plan)) return { ...seen, decision: 'promote', waitSeconds: 0 };
  // The alarms' fast path acts within seconds; these checks back off like a hold (at most every
  // 5 minutes), so a day-long watch stays within the execution history.
  return { ...seen, decision: 'watch', waitSeconds: holdWaitSeconds(plan.checkIntervalSeconds, watchSecondsOf(plan), watched) };
}
