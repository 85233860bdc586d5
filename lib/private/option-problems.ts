import { Annotations, Duration, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Guard } from '../guards/guard';
import { ApprovalTimeoutAction, type ModelCanaryOptions } from '../model-canary-options';
import { RolloutSchedule } from '../rollout-schedule';
import { MAX_EDGE_WAIT_SECONDS } from '../../lambda/shared/hold';
import { historyProblems, type HistoryInputs } from './history-budget';
import { emailProblems, requireRange, scheduleProblems } from './validation';

/** 0.1's limit (its per-canary topic was "Model canary <name>", 100 characters at most), kept: alert subjects and alarm names carry the name. */
const MAX_CANARY_NAME = 100 - 'Model canary '.length;

/**
 * Every problem with the target-independent options, each saying what to change. Public canary
 * constructs check these before they build anything.
 */
export function optionProblems(o: ModelCanaryOptions): string[] {
  const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
  const checkInterval = o.checkInterval ?? Duration.seconds(30);
  const maxHold = o.maxHold ?? Duration.hours(6);
  const minRequests = o.minRequestsPerStep ?? 100;
  const scheduled = scheduleProblems(schedule);
  const timing = [checkInterval.toSeconds(), maxHold.toSeconds(), ...schedule.steps.map((s) => s.bake.toSeconds())];
  const judgeable = scheduled.length === 0 && timing.every((t) => !Token.isUnresolved(t) && Number.isFinite(t)) && checkInterval.toSeconds() >= 1;
  const alpha = o.falseRollbackRate;
  return [
    ...canaryNameProblems(o.canaryName),
    ...scheduled,
    ...(judgeable ? historyProblems(historyInputsOf(o)) : []),
    ...requireRange('minRequestsPerStep', minRequests, 1, 1e9, 'give a whole number of requests, at least 1 (no traffic is never evidence)'),
    ...(Number.isInteger(minRequests) ? [] : [`minRequestsPerStep is ${minRequests}: give a whole number`]),
    ...(alpha === undefined || Token.isUnresolved(alpha) || (Number.isFinite(alpha) && alpha > 0 && alpha < 0.5)
      ? []
      : [`falseRollbackRate is ${alpha}: give a probability above 0 and below 0.5 (0.01 = one good release in a hundred rolled back at most)`]),
    ...(o.guards === undefined || Array.isArray(o.guards) ? [] : [`guards is ${typeof o.guards}: give a list of guards, for example [Guard.errorRate(), Guard.errorRateVsStable()]`]),
    ...(o.guards === undefined || Array.isArray(o.guards) ? (o.guards ?? Guard.defaults()).flatMap((g) => (typeof g?._scheduleProblems === 'function' ? g._scheduleProblems(schedule) : [])) : []),
    ...requireRange('checkInterval (s)', checkInterval.toSeconds(), 10, 3600, 'give 10 seconds to 1 hour'),
    ...requireRange('controlPercent', o.controlPercent, 0, 20, 'give 0 (no control at 100 %) to 20 percent'),
    ...requireRange('promotionMargin', o.promotionMargin, 1.5, 1000, 'give a multiple of stable\'s odds above the guards\' maxRatio, for example 5 (a 5 × regression must be ruled out before the canary gets all traffic)'),
    ...requireRange('maxHold (s)', maxHold.toSeconds(), 0, 7 * 24 * 3600, 'give at most 7 days'),
    ...emailProblems(o.alertEmails ?? []),
    ...(scheduled.length === 0 ? gateProblems(o, schedule) : []),
    ...watchProblems(o),
    ...(scheduled.length === 0 && o.waitForVerdict ? verdictProblems(o) : []),
    ...(o.preTrafficChecks ?? []).flatMap((c, i) => [
      ...requireRange(`preTrafficChecks[${i}].repeat`, c.repeat, 1, 100, 'send each request 1 to 100 times'),
      ...requireRange(`preTrafficChecks[${i}].retries`, c.retries, 0, 10, 'retry failed requests 0 to 10 times in all'),
      ...payloadProblems(i, c.payload),
      ...(c.retries === undefined || Number.isInteger(c.retries) ? [] : [`preTrafficChecks[${i}].retries is ${c.retries}: give a whole number`]),
    ]),
  ];
}

/** A canary's name is in its workflow's, alarms' and parameters' names, which the stack's shared rules match. */
function canaryNameProblems(name: string | undefined): string[] {
  if (name === undefined) return [];
  if (Token.isUnresolved(name)) return ['canaryName is a token (a CloudFormation parameter or a resource attribute): give a name known at synth time (it names the canary\'s workflow, alarms and parameters, which the stack\'s shared rules find by name)'];
  if (name.length > MAX_CANARY_NAME) return [`canaryName "${name.slice(0, 40)}…" is ${name.length} characters: give canaryName at most ${MAX_CANARY_NAME} (alert subjects and every guard alarm "<stack>-<canaryName>-<guard>", at most 255, carry it)`];
  return [];
}

/** Each gate names a step's share, not the first (no traffic has been judged before it). */
function gateProblems(o: ModelCanaryOptions, schedule: RolloutSchedule): string[] {
  const gates = o.approvalGates ?? [];
  if (!Array.isArray(gates)) return [`approvalGates is ${typeof gates}: give a list of step percents, for example [100]`];
  const percents = schedule.steps.map((s) => s.percent);
  const problems = gates.flatMap((g) => {
    const i = percents.indexOf(g);
    if (i < 0) return [`approvalGates has ${g}, not a share of the schedule (${percents.join(', ')} %): give one of those`];
    if (i === 0) return [`approvalGates has ${g}, the first step: a gate follows a step whose guards saw traffic, give a later step's share (${percents.slice(1).join(', ')} %)`];
    return [];
  });
  const timeout = o.approvalTimeout?.toSeconds();
  if (timeout !== undefined && !Token.isUnresolved(timeout) && (timeout < 60 || timeout > 7 * 24 * 3600)) {
    problems.push(`approvalTimeout is ${timeout} s: give 1 minute to 7 days`);
  }
  return problems;
}

/** The previous version's share while the canary is at 100 %, when the prop is left out. */
export const DEFAULT_CONTROL_PERCENT = 5;

/** The post-promotion watch when the prop is left out. */
export const DEFAULT_POST_PROMOTION_WATCH = Duration.minutes(10);

/**
 * The watch asked for, or the default: 10 minutes, and with waitForVerdict at most what the deploy's
 * wait has left after the healthy run (whole minutes; 8 with the default schedule).
 */
export function postPromotionWatchOf(o: ModelCanaryOptions): Duration {
  if (o.postPromotionWatch !== undefined) return o.postPromotionWatch;
  const run = o.waitForVerdict ? healthyRunSeconds(o) : undefined;
  if (run === undefined || Token.isUnresolved(run) || !Number.isFinite(run)) return DEFAULT_POST_PROMOTION_WATCH;
  const minutes = Math.floor((VERDICT_BUDGET_SECONDS - run) / 60);
  return Duration.minutes(Math.max(0, Math.min(DEFAULT_POST_PROMOTION_WATCH.toMinutes(), minutes)));
}

/**
 * Bakes, one check each, up to 30 s per step waiting for a minute's edge (set-weight) and every
 * gate's timeout: how long a healthy rollout runs before its promotion.
 */
function healthyRunSeconds(o: ModelCanaryOptions): number {
  const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
  const interval = (o.checkInterval ?? Duration.seconds(30)).toSeconds();
  const gates = (o.approvalGates ?? []).length * (o.approvalTimeout ?? Duration.hours(24)).toSeconds();
  return gates + schedule.steps.reduce((sum, s) => sum + s.bake.toSeconds() + interval + MAX_EDGE_WAIT_SECONDS, 0);
}

/** 0 (no watch) or 1 minute to 24 hours; the previous version costs its capacity while it lasts. */
function watchProblems(o: ModelCanaryOptions): string[] {
  const seconds = postPromotionWatchOf(o).toSeconds();
  // The workflow's states depend on it: a value known only at deploy time cannot shape them.
  if (Token.isUnresolved(seconds)) return ['postPromotionWatch is a token (a CfnParameter?): give a Duration known at synth time, e.g. Duration.minutes(10)'];
  if (seconds === 0 || (seconds >= 60 && seconds <= 24 * 3600)) return [];
  return [`postPromotionWatch is ${seconds} s: give 1 minute to 24 hours, or Duration.seconds(0) to end the rollout at the promotion`];
}

/** CloudFormation gives a custom resource (the provider framework's wait) at most 1 hour. */
export const VERDICT_BUDGET_SECONDS = 50 * 60;

/**
 * The healthy run of the schedule, plus every gate's timeout, must fit the wait of a deploy; a gate
 * that holds on its timeout could outwait it.
 */
function verdictProblems(o: ModelCanaryOptions): string[] {
  const held = (o.approvalGates ?? []).length > 0 && o.onApprovalTimeout === ApprovalTimeoutAction.HOLD
    ? [`waitForVerdict with onApprovalTimeout HOLD: a gate would hold the canary until someone approves, but a deploy waits ${VERDICT_BUDGET_SECONDS / 60} min at most (CloudFormation gives a custom resource 1 hour) and would fail while the rollout goes on: use onApprovalTimeout ROLL_BACK with an approvalTimeout that fits, or leave waitForVerdict off and gate the pipeline on \`cdk-model-canary watch\``]
    : [];
  return [...held, ...verdictBudgetProblems(o)];
}

function verdictBudgetProblems(o: ModelCanaryOptions): string[] {
  const gates = (o.approvalGates ?? []).length * (o.approvalTimeout ?? Duration.hours(24)).toSeconds();
  const watch = postPromotionWatchOf(o).toSeconds();
  const total = healthyRunSeconds(o) + watch;
  if (Token.isUnresolved(total) || total <= VERDICT_BUDGET_SECONDS) return [];
  const parts = ['bakes and checks', ...(gates > 0 ? ['approval timeouts'] : []), ...(watch > 0 ? [`the ${Math.round(watch / 60)} min post-promotion watch`] : [])].join(', ');
  return [
    `waitForVerdict: the rollout takes ${Math.ceil(total / 60)} min when healthy (${parts}), more than the ${VERDICT_BUDGET_SECONDS / 60} min a deploy can wait (CloudFormation gives a custom resource at most 1 hour): bake for less, use fewer steps${gates > 0 ? ', shorten approvalTimeout' : ''}${watch > 0 ? ', shorten postPromotionWatch' : ''}, or leave waitForVerdict off and gate the pipeline on \`cdk-model-canary watch\``,
  ];
}

/**
 * Synth warnings about options that are valid as given: the default post-promotion watch cut short
 * so the rollout fits the wait of a deploy (waitForVerdict).
 */
export function warnAboutOptions(canary: Construct, o: ModelCanaryOptions): void {
  if (!o.waitForVerdict || o.postPromotionWatch !== undefined) return;
  const watch = postPromotionWatchOf(o);
  const full = DEFAULT_POST_PROMOTION_WATCH.toMinutes();
  if (Token.isUnresolved(watch.toSeconds()) || watch.toMinutes() >= full) return;
  const run = Math.ceil(healthyRunSeconds(o) / 60);
  const cut = watch.toSeconds() === 0
    ? `no post-promotion watch at all (the default is ${full} min)`
    : `a post-promotion watch of ${watch.toMinutes()} min instead of the default ${full}`;
  Annotations.of(canary).addWarningV2(
    'cdk-model-canary:postPromotionWatchShortened',
    `waitForVerdict: ${cut}, so that the rollout (${run} min when healthy) fits the ${VERDICT_BUDGET_SECONDS / 60} min a deploy waits. ` +
      `Set postPromotionWatch to choose it yourself (Duration.minutes(${watch.toMinutes()}) keeps this one and silences this warning), or bake for less to keep the full watch.`,
  );
}

/** Step numbers (1-based) that wait for approval, from the gates' shares. */
export function approvalStepsOf(o: ModelCanaryOptions): number[] {
  const percents = (o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100).steps.map((s) => s.percent);
  return (o.approvalGates ?? []).map((g) => percents.indexOf(g) + 1).filter((n) => n > 1);
}

/** The model gets the payload as JSON (Lambda Invoke's Payload; SageMaker's ContentType application/json). */
function payloadProblems(i: number, payload: string): string[] {
  // Plain-JavaScript callers can pass an object where the typings say string.
  if (typeof payload !== 'string') {
    return [`preTrafficChecks[${i}].payload is ${payload === null ? 'null' : typeof payload}, not a string: give the request body as a JSON string, for example JSON.stringify({ text: 'great product' })`];
  }
  if (Token.isUnresolved(payload)) return [];
  try {
    JSON.parse(payload);
    return [];
  } catch {
    return [`preTrafficChecks[${i}].payload is not JSON (${JSON.stringify(payload.slice(0, 40))}): give the request body as a JSON string, for example JSON.stringify({ text: 'great product' })`];
  }
}

/** Failed smoke requests retried per pre-traffic check, by default. */
export const DEFAULT_PRE_TRAFFIC_RETRIES = 2;

/** What bounds the workflow's history and run time, from the options (defaults filled in). */
export function historyInputsOf(o: ModelCanaryOptions): HistoryInputs {
  const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
  return {
    steps: schedule.steps.map((s) => ({ bakeSeconds: s.bake.toSeconds() })),
    checkIntervalSeconds: (o.checkInterval ?? Duration.seconds(30)).toSeconds(),
    // Also with ROLL_BACK on too little traffic: a step holds for the judged guards' evidence up to maxHold.
    maxHoldSeconds: (o.maxHold ?? Duration.hours(6)).toSeconds(),
    approvalWaitSeconds: (o.approvalGates ?? []).length * (o.approvalTimeout ?? Duration.hours(24)).toSeconds(),
    postPromotionWatchSeconds: postPromotionWatchOf(o).toSeconds(),
  };
}
