/**
 * The post-promotion watch (pure: the watch step reads, this decides). The canary is the stable
 * version and the previous version is still routable, keeping the plan's control share (a Lambda
 * version with an extra weight, a SageMaker variant): the judge goes on comparing canary and
 * previous version minute by minute, beside the alarms. A guard that fires, the judge finding the
 * canary worse, or an abort sends all traffic back to the previous version; at the watch's end
 * the control share goes to the canary.
 */
import type { AlarmView } from './alarms';
import { holdWaitSeconds } from './hold';
import { shortIdentity } from './operator';
import { type CheckObservation, externalStop } from './rollout';
import type { SplitRelation } from './traffic-target';
import type { RolloutPlan, RolloutProgress } from './types';

export interface WatchObservation {
  readonly firing: AlarmView[];
  /** A judged guard that found the canary worse than the previous version (its control share). */
  readonly failedGuard?: CheckObservation['failedGuard'];
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
  if (obs.failedGuard) {
    const g = obs.failedGuard;
    return { ...seen, decision: 'rollback', waitSeconds: 0, reason: `guard ${g.name} failed ${minutes} min after the promotion: ${g.reason}`, alarm: { name: g.name, reason: g.reason, value: g.value, threshold: g.threshold } };
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
