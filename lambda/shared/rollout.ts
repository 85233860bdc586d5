import type { AlarmView } from './alarms';
import { holdWaitSeconds } from './hold';
import { withDecider, type AlertFacts, type AlertEvent } from './alerts';
import type { SplitRelation, TrafficTarget } from './traffic-target';
import { shortIdentity } from './operator';
import { isApproved } from './operator-rules';
import type { ExternalOutcome, Hold, RolloutPlan, RolloutProgress, RolloutState } from './types';

/** Epoch seconds; every step reads the clock through this. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The previous version's share while the canary is at 100 % (its 100 % step and the watch): only
 * with judged guards to use it, a watch or a 100 % step to bake, and never on plans from before it.
 */
export function controlPercentOf(plan: RolloutPlan): number {
  if (!plan.judge || plan.judge.guards.length === 0) return 0;
  return Math.max(0, Math.min(50, plan.controlPercent ?? 0));
}

export function isLastStep(plan: RolloutPlan, stepIndex: number): boolean {
  return stepIndex >= plan.steps.length - 1;
}

export function progressOf(state: RolloutState): RolloutProgress {
  if (!state.progress) throw new Error('The workflow state has no progress: the start step did not run');
  return state.progress;
}

const EXTERNAL: Record<Exclude<SplitRelation, 'ours'>, ExternalOutcome> = {
  idle: 'rolled_back',
  promoted: 'promoted',
  superseded: 'superseded',
};

/** The rollout stops because something else changed the target (alarm fast path, operator, new deploy). */
export function externalStop(progress: RolloutProgress, relation: Exclude<SplitRelation, 'ours'>): RolloutProgress {
  const outcome = EXTERNAL[relation];
  const reason = {
    rolled_back: 'the canary weight was set to 0 outside the workflow (alarm fast path or an operator)',
    promoted: 'the canary was promoted outside the workflow',
    superseded: 'another release took over the target',
  }[outcome];
  return { ...progress, decision: 'external', externalOutcome: outcome, reason, waitSeconds: 0 };
}

/** What the judge says about passing the step (lambda/shared/judge). */
export interface JudgeObservation {
  /** Judged guards that cannot judge the canary at all, with why. */
  readonly blind: readonly { readonly name: string; readonly why: string }[];
  /**
   * The promotion gate, when it was asked for (gateDue): the judged guards whose data do not yet
   * rule out a gross regression (empty: the evidence is in). Undefined: not asked, or no gate in the plan.
   */
  readonly evidencePending?: readonly string[];
  /**
   * Judged guards whose change detector leans toward a regression without firing (evidence of at
   * least SUSPECT_LOG10): a step does not pass while one does, so a regression that began late is
   * judged where the canary's share gives the most evidence, not promoted on the clock.
   */
  readonly suspect?: readonly { readonly name: string; readonly log10Evidence: number; readonly threshold: number }[];
}

export interface CheckObservation {
  readonly firing: AlarmView[];
  /** A guard judged in code (not an alarm) that failed, e.g. the prediction shift. */
  readonly failedGuard?: { readonly name: string; readonly reason: string; readonly value?: number; readonly threshold?: number };
  readonly relation: SplitRelation;
  readonly canaryRequests: number;
  readonly now: number;
  /** The judge's view; absent: no judged guard. */
  readonly judge?: JudgeObservation;
}

/**
 * Whether passing this step gives the canary all traffic: the next step is 100 %, or the promotion
 * follows a last step below 100 % or one the canary entered without the gate (a schedule of one
 * step at 100 %). A last step at 100 % reached through the gate serves all traffic already.
 */
export function isGatedStep(plan: RolloutPlan, stepIndex: number): boolean {
  if (!isLastStep(plan, stepIndex)) return plan.steps[stepIndex + 1].percent >= 100;
  return plan.steps[stepIndex].percent < 100 || stepIndex === 0;
}

/** Whether the check should ask the judge for the promotion gate now (it costs a pass over the minutes). */
export function gateDue(plan: RolloutPlan, progress: RolloutProgress, now: number): boolean {
  const step = plan.steps[progress.stepIndex];
  if (!step || !plan.judge?.promotionMargin) return false;
  const elapsed = now - progress.stepStartedAt;
  if (step.minBakeSeconds !== undefined && elapsed >= step.minBakeSeconds && elapsed < step.bakeSeconds) return true;
  return elapsed >= step.bakeSeconds && isGatedStep(plan, progress.stepIndex);
}

/**
 * One check of a baking step. Order matters: a firing guard wins over everything, then a target
 * changed by someone else, then the bake time, then the evidence (enough canary requests).
 * No traffic is never taken as health.
 */
export function decideCheck(plan: RolloutPlan, progress: RolloutProgress, obs: CheckObservation): RolloutProgress {
  const step = plan.steps[progress.stepIndex];
  const seen: RolloutProgress = { ...progress, canaryRequests: obs.canaryRequests, reason: undefined, hold: undefined };
  const op = progress.operator;
  if (op?.abortBy) {
    const why = op.abortBy.reason ? `: ${op.abortBy.reason}` : '';
    return { ...seen, decision: 'rollback', waitSeconds: 0, reason: `aborted by ${shortIdentity(op.abortBy.by)}${why}` };
  }
  if (op?.promoteBy?.force && obs.relation === 'ours') {
    return { ...seen, decision: 'promote', waitSeconds: 0, reason: `promoted by ${shortIdentity(op.promoteBy.by)} (--force, guards overridden)` };
  }
  if (obs.firing.length > 0) {
    const names = obs.firing.map((a) => a.name).join(', ');
    const first = obs.firing[0];
    return {
      ...seen,
      decision: 'rollback',
      waitSeconds: 0,
      reason: `guard alarm in ALARM: ${names}`,
      alarm: { name: first.name, reason: first.reason, value: first.value, threshold: first.threshold },
    };
  }
  if (obs.failedGuard) {
    const g = obs.failedGuard;
    return {
      ...seen,
      decision: 'rollback',
      waitSeconds: 0,
      reason: `guard ${g.name} failed: ${g.reason}`,
      alarm: { name: g.name, reason: g.reason, value: g.value, threshold: g.threshold },
    };
  }
  if (obs.relation !== 'ours') return externalStop(seen, obs.relation);
  if (op?.promoteBy) return { ...seen, decision: 'promote', waitSeconds: 0, reason: `promoted by ${shortIdentity(op.promoteBy.by)}` };
  if (op?.pausedBy) {
    const pausedFor = obs.now - op.pausedBy.at;
    // A pause is a hold: bounded by maxHold like one, so the execution history stays bounded.
    if (pausedFor >= plan.maxHoldSeconds) {
      return { ...seen, decision: 'rollback', waitSeconds: 0, reason: `paused by ${shortIdentity(op.pausedBy.by)} for ${Math.round(pausedFor / 60)} min, longer than maxHold: resume sooner or raise maxHold` };
    }
    const why = op.log.filter((l) => l.command === 'pause').pop()?.reason;
    return { ...seen, decision: 'bake', hold: 'paused', waitSeconds: holdWaitSeconds(plan.checkIntervalSeconds, plan.maxHoldSeconds, pausedFor), reason: `paused by ${shortIdentity(op.pausedBy.by)}${why ? `: ${why}` : ''}` };
  }
  const elapsed = obs.now - progress.stepStartedAt;
  // At least one request, whatever the plan says: no traffic is never evidence.
  const needed = Math.max(1, plan.minRequestsPerStep);
  const blind = obs.judge?.blind ?? [];
  const pending = obs.judge?.evidencePending;
  const suspect = obs.judge?.suspect ?? [];
  const judged = {
    blindGuards: blind.length > 0 ? [...blind] : undefined,
    evidencePending: pending && pending.length > 0 ? [...pending] : undefined,
    suspectGuards: suspect.length > 0 ? [...suspect] : undefined,
  };
  const pass = () => {
    const gate = awaitApproval(plan, { ...seen, ...judged }, obs.now);
    if (gate) return gate;
    return { ...seen, ...judged, decision: isLastStep(plan, progress.stepIndex) ? 'promote' : 'advance', waitSeconds: 0, approvalWaitSince: undefined } as RolloutProgress;
  };
  if (elapsed < step.bakeSeconds) {
    // The evidence-driven schedule: from its minimum bake a step passes as soon as the evidence is in.
    const early = step.minBakeSeconds !== undefined && elapsed >= step.minBakeSeconds;
    if (early && obs.canaryRequests >= needed && blind.length === 0 && suspect.length === 0 && pending !== undefined && pending.length === 0) return pass();
    return { ...seen, ...judged, decision: 'bake', waitSeconds: Math.max(1, Math.min(plan.checkIntervalSeconds, step.bakeSeconds - elapsed)) };
  }
  const held = elapsed - step.bakeSeconds;
  const holdOr = (hold: Hold, why: string): RolloutProgress => {
    if (held >= plan.maxHoldSeconds) return insufficientEvidence(seen, `held ${Math.round(held / 60)} min (maxHold) and still ${why}`);
    return { ...seen, ...judged, decision: 'bake', hold, waitSeconds: holdWaitSeconds(plan.checkIntervalSeconds, plan.maxHoldSeconds, held), reason: `holding: ${why}` };
  };
  if (obs.canaryRequests < needed) {
    const shortfall = `the canary served ${obs.canaryRequests} of the ${needed} requests a step needs`;
    if (plan.insufficientTraffic === 'ROLL_BACK') return insufficientEvidence(seen, `not enough traffic: ${shortfall}`);
    return holdOr('traffic', shortfall);
  }
  if (blind.length > 0) {
    return holdOr('blind', `${blind.length === 1 ? 'a judged guard cannot' : 'judged guards cannot'} judge the canary: ${blind.map((b) => `${b.name} (${b.why})`).join('; ')}`);
  }
  if (suspect.length > 0) {
    const leaning = suspect.map((g) => `${g.name} (evidence 10^${g.log10Evidence.toFixed(2)}, rolls back at 10^${g.threshold.toFixed(2)})`).join(', ');
    return holdOr('suspect', `${leaning} ${suspect.length === 1 ? 'leans' : 'lean'} toward a regression: the step bakes on until the evidence fires or fades`);
  }
  if (pending && pending.length > 0 && isGatedStep(plan, progress.stepIndex)) {
    return holdOr('evidence', `the data do not yet rule out a ${plan.judge?.promotionMargin ?? ''} × regression of ${pending.join(', ')}, needed before the canary gets all traffic`);
  }
  return pass();
}

/**
 * The rollout stops without a verdict: the canary goes to 0 % (the rollback step) and the alert
 * says that no guard found it worse, it could not be judged.
 */
function insufficientEvidence(seen: RolloutProgress, why: string): RolloutProgress {
  return { ...seen, decision: 'rollback', outcome: 'insufficient_evidence', waitSeconds: 0, reason: `insufficient evidence, not a regression: ${why}` };
}

/** The command a person runs to approve this canary's gate (alerts and `status` print it). */
export function approveCommand(plan: RolloutPlan): string {
  const stack = plan.stackName ?? plan.judge?.stackName;
  return `cdk-model-canary approve ${JSON.stringify(plan.canaryName)}${stack ? ` --stack ${stack}` : ''}`;
}

/**
 * A step that passed its bake waits at its share while the next step (the promotion, after the
 * last one) has an approval gate nobody approved yet; past the timeout it rolls back or keeps holding.
 */
function awaitApproval(plan: RolloutPlan, seen: RolloutProgress, now: number): RolloutProgress | undefined {
  const nextStep = seen.stepIndex + 2;
  if (!(plan.approvalSteps ?? []).includes(nextStep) || isApproved(seen, nextStep)) return undefined;
  const since = seen.approvalWaitSince ?? now;
  const waited = now - since;
  const timeout = plan.approvalTimeoutSeconds ?? 24 * 3600;
  const what = nextStep > plan.steps.length ? 'the promotion' : `step ${nextStep} (${plan.steps[nextStep - 1].percent}%)`;
  if (waited >= timeout) {
    if ((plan.onApprovalTimeout ?? 'ROLL_BACK') === 'ROLL_BACK') {
      return { ...seen, decision: 'rollback', waitSeconds: 0, approvalWaitSince: since, reason: `nobody approved ${what} within ${Math.round(timeout / 60)} min` };
    }
  }
  const reason = waited >= timeout
    ? `approval of ${what} timed out after ${Math.round(timeout / 60)} min; holding at ${seen.weightPercent}% until someone runs: ${approveCommand(plan)}`
    : `waiting for approval of ${what}: ${approveCommand(plan)}`;
  const left = waited >= timeout ? plan.maxHoldSeconds : timeout - waited;
  return { ...seen, decision: 'bake', hold: 'approval', approvalWaitSince: since, waitSeconds: Math.max(1, Math.min(holdWaitSeconds(plan.checkIntervalSeconds, Number.MAX_SAFE_INTEGER, waited), left)), reason };
}

/** The facts every alert about this rollout shares. */
export function alertFacts(
  state: RolloutState,
  target: TrafficTarget,
  event: AlertEvent,
  extra: Partial<AlertFacts> = {},
): AlertFacts {
  const progress = state.progress;
  const stepIndex = progress?.stepIndex ?? -1;
  return {
    event,
    canaryName: state.plan.canaryName,
    target: target.description,
    stableVersion: state.release.stableVersion,
    canaryVersion: state.release.canaryVersion,
    weightPercent: progress?.weightPercent ?? 0,
    step: stepIndex >= 0 ? { number: stepIndex + 1, of: state.plan.steps.length } : undefined,
    canaryRequests: progress?.canaryRequests,
    // The subject names the guard and who decided (the judge or an alarm).
    alarm: progress?.alarm && withDecider(progress.alarm, state.plan),
    at: nowSeconds(),
    ...extra,
  };
}

/** Structured log line (CloudWatch Logs Insights can query the fields). */
export function log(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ level: 'INFO', message, ...fields }));
}

/** The message of an error caught by the workflow (Lambda puts it in Cause as JSON). */
export function caughtErrorText(error: RolloutState['error']): string {
  if (!error) return 'unknown error';
  let message = error.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // Cause was plain text
  }
  return `${error.Error ?? 'Error'}: ${message}`.slice(0, 500);
}
