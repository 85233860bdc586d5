import { publishAlert } from '../shared/alerts';
import { alertFacts, externalStop, isLastStep, log, nowSeconds, progressOf } from '../shared/rollout';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/** Moves to the next step: the canary gets that step's share of the traffic. */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const progress = progressOf(state);
  const target = await targetFor(plan.target);
  const stepIndex = progress.stepIndex + 1;
  const step = plan.steps[stepIndex];
  if (!step) throw new Error(`No step ${stepIndex + 1}: the plan has ${plan.steps.length}`);

  const split = await target.read();
  const relation = relate(split, release);
  if (relation !== 'ours' && relation !== 'idle') return externalStop(progress, relation);
  // Weight was taken away between two steps (fast path or operator): do not put it back.
  if (relation === 'idle' && progress.weightPercent > 0) return externalStop(progress, 'idle');

  await target.shift(release, step.percent, split);
  const now = nowSeconds();
  const next: RolloutProgress = {
    ...progress,
    stepIndex,
    weightPercent: step.percent,
    stepStartedAt: now,
    canaryRequests: 0,
    holdAlerted: false,
    reason: undefined,
    // A last step without bake (CodeDeploy-style "then all at once") promotes at once.
    decision: step.bakeSeconds === 0 && isLastStep(plan, stepIndex) ? 'promote' : 'bake',
    waitSeconds: Math.min(plan.checkIntervalSeconds, step.bakeSeconds),
  };
  log('canary weight set', { stepNumber: stepIndex + 1, percent: step.percent, release });
  await publishAlert(plan.topicArn, alertFacts({ ...state, progress: next }, target, 'STEP'));
  return next;
}
