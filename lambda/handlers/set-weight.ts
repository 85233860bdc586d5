import { publishAlert } from '../shared/alerts';
import { secondsToMinuteEdge } from '../shared/hold';
import { alertFacts, controlPercentOf, externalStop, isLastStep, log, nowSeconds, progressOf } from '../shared/rollout';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Moves to the next step: the canary gets that step's share of the traffic. */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const progress = progressOf(state);
  const target = await targetFor(plan.target);
  const stepIndex = progress.stepIndex + 1;
  const step = plan.steps[stepIndex];
  if (!step) throw new Error(`No step ${stepIndex + 1}: the plan has ${plan.steps.length}`);

  // The judge leaves out every minute a weight change falls in: changing just before a minute
  // ends loses seconds of the canary's data instead of up to a minute.
  if (plan.judge) await sleep(secondsToMinuteEdge(Date.now() / 1000, target.weightChangeSeconds) * 1000);
  const split = await target.read();
  const relation = relate(split, release);
  if (relation !== 'ours' && relation !== 'idle') return externalStop(progress, relation);
  // Weight was taken away between two steps (fast path or operator): do not put it back.
  if (relation === 'idle' && progress.weightPercent > 0) return externalStop(progress, 'idle');

  // At 100 % the previous version keeps its control share: the judged guards go on comparing.
  const control = step.percent >= 100 ? controlPercentOf(plan) : 0;
  const percent = step.percent - control;
  // Before the call: traffic may follow the new weights from the moment it is made.
  const changedAt = nowSeconds();
  await target.shift(release, percent, split);
  // The bake counts from the second after the change: a step never bakes less than its bake.
  const now = Math.ceil(Date.now() / 1000);
  const next: RolloutProgress = {
    ...progress,
    weightChangedAt: [...(progress.weightChangedAt ?? []), changedAt],
    stepIndex,
    weightPercent: percent,
    stepStartedAt: now,
    canaryRequests: 0,
    holdAlerted: false,
    reason: undefined,
    // A last step without bake (CodeDeploy-style "then all at once") promotes at once.
    decision: step.bakeSeconds === 0 && isLastStep(plan, stepIndex) ? 'promote' : 'bake',
    waitSeconds: Math.min(plan.checkIntervalSeconds, step.bakeSeconds),
  };
  log('canary weight set', { stepNumber: stepIndex + 1, percent, release });
  const reason = control > 0 ? `${release.stableVersion} keeps ${control}% as the judged guards' control until the post-promotion watch ends` : undefined;
  await publishAlert(plan.topicArn, alertFacts({ ...state, progress: next }, target, 'STEP', { reason }));
  return next;
}
