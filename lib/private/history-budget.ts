import { Duration } from 'aws-cdk-lib';
import { bakeChecks, holdChecks, MAX_HOLD_CHECK_SECONDS } from '../../lambda/shared/hold';

/**
 * A Standard workflow's execution history holds at most 25,000 events; past that the execution
 * fails and no Catch runs (the canary would stay at its share):
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export const MAX_HISTORY_EVENTS = 25_000;

/**
 * History events (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html)
 * of one check: the Check task (TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded,
 * TaskStateExited), the Decide choice (entered, exited) and the Bake wait (entered, exited).
 */
export const EVENTS_PER_CHECK = 9;
/** One step change: the SetWeight task (5) and the WeightSet choice (2). */
export const EVENTS_PER_STEP = 7;
/** Everything around the steps: execution start/end, Plan, Start, Started, pre-traffic, promote or roll back. */
export const FIXED_EVENTS = 40;
/**
 * Kept free for retries (each failed attempt adds TaskFailed, TaskScheduled, TaskStarted): the
 * Start step alone may retry 166 times while guards or an endpoint get ready.
 */
export const RETRY_RESERVE_EVENTS = 2_500;

export interface HistoryInputs {
  readonly steps: readonly { readonly bakeSeconds: number }[];
  readonly checkIntervalSeconds: number;
  /** 0 when too little traffic rolls back instead of holding. */
  readonly maxHoldSeconds: number;
  /** Every approval gate's timeout, summed (0 without gates). */
  readonly approvalWaitSeconds?: number;
  /** The post-promotion watch (0 or absent: none). */
  readonly postPromotionWatchSeconds?: number;
}

/** The most history events an execution of this schedule can write without retries. */
export function worstCaseHistoryEvents(p: HistoryInputs): number {
  const perStep = p.steps.map(
    (s) => EVENTS_PER_STEP + EVENTS_PER_CHECK * (bakeChecks(p.checkIntervalSeconds, s.bakeSeconds) + (p.maxHoldSeconds > 0 ? holdChecks(p.checkIntervalSeconds, p.maxHoldSeconds) : 0)),
  );
  // A gate checks like a hold (backing off to 5 minutes), up to its timeout.
  const gates = p.approvalWaitSeconds ? EVENTS_PER_CHECK * holdChecks(p.checkIntervalSeconds, p.approvalWaitSeconds) : 0;
  // The watch checks like a hold (backing off to 5 minutes): WatchCheck (5), WatchedOrNot (2), WatchAfterPromotion (2).
  const watch = p.postPromotionWatchSeconds ? EVENTS_PER_CHECK * holdChecks(p.checkIntervalSeconds, p.postPromotionWatchSeconds) : 0;
  return FIXED_EVENTS + gates + watch + perStep.reduce((a, b) => a + b, 0);
}

/** A problem, saying what to change, when the worst case does not leave the retry reserve free. */
export function historyProblems(p: HistoryInputs): string[] {
  const worst = worstCaseHistoryEvents(p);
  const budget = MAX_HISTORY_EVENTS - RETRY_RESERVE_EVENTS;
  if (worst <= budget) return [];
  return [
    `the rollout could write ${worst} execution history events (${p.steps.length} steps, maxHold ${p.maxHoldSeconds}s, checkInterval ${p.checkIntervalSeconds}s)${p.postPromotionWatchSeconds ? ` and a ${p.postPromotionWatchSeconds}s post-promotion watch` : ''}, more than the ${budget} that fit Step Functions' limit of ${MAX_HISTORY_EVENTS} with room for retries: lower maxHold (a held step checks every 5 minutes at most), bake for less, use fewer steps, shorten postPromotionWatch or raise checkInterval`,
  ];
}

/**
 * The state machine's timeout: the longest a healthy schedule can take (every step bakes and holds
 * the whole of maxHold, the last hold check up to 5 minutes late), plus the time Start may wait
 * for guards (40 × 15 s) and a SageMaker canary variant (120 × 30 s), the pre-traffic step, the
 * post-promotion watch and an hour
 * of slack for retries. An execution past it times out, and the status-change rule sets the canary to 0.
 */
export function workflowTimeout(p: HistoryInputs): Duration {
  const steps = p.steps.reduce((sum, s) => sum + s.bakeSeconds + p.maxHoldSeconds + MAX_HOLD_CHECK_SECONDS + p.checkIntervalSeconds, 0);
  return Duration.seconds(steps + (p.approvalWaitSeconds ?? 0) + (p.postPromotionWatchSeconds ?? 0) + 40 * 15 + 120 * 30 + 5 * 60 + 3600);
}
