import { publishAlert } from '../shared/alerts';
import { alertFacts, caughtErrorText, log, nowSeconds } from '../shared/rollout';
import { relate, type TrafficSplit, type TrafficTarget } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/**
 * Canary weight 0, stable serves everything, and an alert. Runs for a failed guard and, through the
 * workflow's Catch, for any error. Touches the target only while this release's canary holds a
 * share, or serves alone in the post-promotion watch: a newer release or a promotion done by
 * someone else is left alone.
 */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const target = await targetFor(plan.target);
  const now = nowSeconds();
  const progress: RolloutProgress = state.progress ?? {
    stepIndex: -1,
    weightPercent: 0,
    startedAt: now,
    stepStartedAt: now,
    decision: 'rollback',
    waitSeconds: 0,
    canaryRequests: 0,
    holdAlerted: false,
    ignoredAlarms: [],
  };

  const split = await target.read();
  const relation = relate(split, release);
  // In the post-promotion watch the promotion is undone: the previous version is still routable.
  const reverting = relation === 'promoted' && progress.watchStartedAt !== undefined;
  const weightWhenStopped = relation === 'ours' ? split.canaryPercent : reverting ? 100 : progress.weightPercent;
  if (relation === 'ours' || reverting) await rollBack(target, release, split);

  const failed = state.error !== undefined;
  const reason = failed ? caughtErrorText(state.error) : (progress.reason ?? 'a guard failed');
  const done: RolloutProgress = { ...progress, decision: 'rollback', weightPercent: 0, reason };
  const note =
    relation === 'promoted' && !reverting
      ? ' (the canary had already been promoted and was left serving all traffic)'
      : relation === 'superseded'
        ? ' (another release owns the target now; it was left alone)'
        : '';
  const unjudged = !failed && progress.outcome === 'insufficient_evidence';
  log(failed ? 'rollout failed, canary at 0%' : unjudged ? 'insufficient evidence, canary at 0%' : 'canary rolled back', { release, reason, relation });
  await publishAlert(
    plan.topicArn,
    alertFacts({ ...state, progress: done }, target, failed ? 'FAILED' : unjudged ? 'INSUFFICIENT_EVIDENCE' : 'ROLLED_BACK', {
      weightPercent: weightWhenStopped,
      reason: reason + note,
      // Only when traffic did go back from the promoted canary (here, or by the fast path before).
      afterPromotion: progress.watchStartedAt !== undefined && (reverting || relation === 'idle'),
    }),
  );
  return done;
}

/**
 * The guard's alarm also invokes the fast path, which may move the target between this step's read
 * and its write: a canary found at 0 % on a second read is the rollback done.
 */
async function rollBack(target: TrafficTarget, release: RolloutState['release'], split: TrafficSplit): Promise<void> {
  try {
    await target.rollback(release, split);
  } catch (err) {
    if ((err as Error).name !== 'TargetStateMismatch' || relate(await target.read(), release) !== 'idle') throw err;
    log('the canary was already at 0% (the fast path acted first)', { release });
  }
}
