import { Duration, Token } from 'aws-cdk-lib';
import { InsufficientTrafficAction, type ModelCanaryOptions } from '../model-canary-options';
import { RolloutSchedule } from '../rollout-schedule';
import { historyProblems, type HistoryInputs } from './history-budget';
import { emailProblems, requireRange, scheduleProblems } from './validation';

/**
 * Every problem with the target-independent options, each saying what to change. Public canary
 * constructs check these before they build anything.
 */
export function optionProblems(o: ModelCanaryOptions): string[] {
  const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
  const guardWindow = o.guardWindow ?? Duration.minutes(5);
  const checkInterval = o.checkInterval ?? Duration.seconds(30);
  const maxHold = o.maxHold ?? Duration.hours(6);
  const minRequests = o.minRequestsPerStep ?? 100;
  const scheduled = scheduleProblems(schedule);
  const timing = [checkInterval.toSeconds(), maxHold.toSeconds(), ...schedule.steps.map((s) => s.bake.toSeconds())];
  const judgeable = scheduled.length === 0 && timing.every((t) => !Token.isUnresolved(t) && Number.isFinite(t)) && checkInterval.toSeconds() >= 1;
  const totalBake = schedule.steps.reduce((sum, st) => sum + st.bake.toSeconds(), 0);
  const windowTooLong =
    judgeable && !Token.isUnresolved(guardWindow.toSeconds()) && guardWindow.toSeconds() > totalBake
      ? [`guardWindow (${guardWindow.toMinutes()} min) is longer than the whole schedule bakes (${totalBake / 60} min): a guard needs that many minutes of bad data, so the canary would be promoted before any guard could fire; shorten guardWindow or bake longer`]
      : [];
  return [
    ...scheduled,
    ...windowTooLong,
    ...(judgeable ? historyProblems(historyInputsOf(o)) : []),
    ...requireRange('minRequestsPerStep', minRequests, 1, 1e9, 'give a whole number of requests, at least 1 (no traffic is never evidence)'),
    ...(Number.isInteger(minRequests) ? [] : [`minRequestsPerStep is ${minRequests}: give a whole number`]),
    ...requireRange('maxErrorRatePercent', o.maxErrorRatePercent, 0, 100, 'give a percentage from 0 to 100'),
    ...requireRange('maxErrorRateIncrease', o.maxErrorRateIncrease, 0, 100, 'give percentage points from 0 to 100'),
    ...requireRange('maxLatencyP95 (ms)', o.maxLatencyP95?.toMilliseconds(), 1, 15 * 60 * 1000, 'give a positive duration of at most 15 minutes'),
    ...requireRange('maxLatencyP95Increase (ms)', o.maxLatencyP95Increase?.toMilliseconds(), 0, 15 * 60 * 1000, 'give a duration of at most 15 minutes'),
    ...requireRange('guardWindow (minutes)', guardWindow.toSeconds() / 60, 1, 1440, 'give whole minutes from 1 to 1440 (1-minute metrics)'),
    ...(guardWindow.toSeconds() % 60 === 0 ? [] : [`guardWindow is ${guardWindow.toSeconds()}s: give whole minutes (metrics come in 1-minute periods)`]),
    ...requireRange('checkInterval (s)', checkInterval.toSeconds(), 10, 3600, 'give 10 seconds to 1 hour'),
    ...requireRange('maxHold (s)', maxHold.toSeconds(), 0, 7 * 24 * 3600, 'give at most 7 days'),
    ...emailProblems(o.alertEmails ?? []),
    ...signalProblems(o),
    ...(o.preTrafficChecks ?? []).flatMap((c, i) => [
      ...requireRange(`preTrafficChecks[${i}].repeat`, c.repeat, 1, 100, 'send each request 1 to 100 times'),
      ...requireRange(`preTrafficChecks[${i}].retries`, c.retries, 0, 10, 'retry failed requests 0 to 10 times in all'),
      ...payloadProblems(i, c.payload),
      ...(c.retries === undefined || Number.isInteger(c.retries) ? [] : [`preTrafficChecks[${i}].retries is ${c.retries}: give a whole number`]),
    ]),
  ];
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

/** Risky but legal options: each a warning with the fix. */
export function optionWarnings(o: ModelCanaryOptions): { id: string; text: string }[] {
  const warnings: { id: string; text: string }[] = [];
  const percents: [string, number | undefined, string][] = [
    ['maxErrorRatePercent', o.maxErrorRatePercent, '%'],
    ['maxErrorRateIncrease', o.maxErrorRateIncrease, ' points'],
    ['maxSchemaFailurePercent', o.maxSchemaFailurePercent, '%'],
  ];
  for (const [name, value, unit] of percents) {
    if (value !== undefined && !Token.isUnresolved(value) && value > 0 && value < 1) {
      warnings.push({
        id: `cdk-model-canary:${name}Fraction`,
        text: `${name} is ${value}, which means ${value}${unit}, not ${value * 100}${unit}: the value is a percentage; if you meant ${value * 100}${unit}, give ${name}: ${value * 100}`,
      });
    }
  }
  const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
  const window = (o.guardWindow ?? Duration.minutes(5)).toSeconds();
  const short = schedule.steps
    .map((st, i) => ({ n: i + 1, bake: st.bake.toSeconds(), instant: i === schedule.steps.length - 1 && st.percent === 100 && st.bake.toSeconds() === 0 }))
    .filter((st) => !Token.isUnresolved(st.bake) && !Token.isUnresolved(window) && !st.instant && st.bake < window);
  if (short.length > 0) {
    warnings.push({
      id: 'cdk-model-canary:guardWindowLongerThanBake',
      text: `guardWindow (${window / 60} min) is longer than the bake of step${short.length > 1 ? 's' : ''} ${short.map((st) => st.n).join(', ')} (${short.map((st) => `${st.bake / 60} min`).join(', ')}): a guard needs ${window / 60} minutes of bad data, so the canary moves to its next share before a guard can fire on that step; bake each step at least guardWindow or shorten guardWindow`,
    });
  }
  return warnings;
}

/** Failed smoke requests retried per pre-traffic check, by default. */
export const DEFAULT_PRE_TRAFFIC_RETRIES = 2;

/** What bounds the workflow's history and run time, from the options (defaults filled in). */
export function historyInputsOf(o: ModelCanaryOptions): HistoryInputs {
  const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
  const holds = (o.onInsufficientTraffic ?? InsufficientTrafficAction.HOLD) === InsufficientTrafficAction.HOLD;
  return {
    steps: schedule.steps.map((s) => ({ bakeSeconds: s.bake.toSeconds() })),
    checkIntervalSeconds: (o.checkInterval ?? Duration.seconds(30)).toSeconds(),
    maxHoldSeconds: holds ? (o.maxHold ?? Duration.hours(6)).toSeconds() : 0,
  };
}

/** Problems with the AI-model signal guard options. */
export function signalProblems(o: ModelCanaryOptions): string[] {
  const problems = [
    ...requireRange('maxTokensPerRequestRatio', o.maxTokensPerRequestRatio, 1, 1000, 'give a multiple of the stable version\'s tokens per request from 1 to 1000 (1.5 = 150 %)'),
    ...requireRange('maxGuardrailBlocksPerMinute', o.maxGuardrailBlocksPerMinute, 0, 1e9, 'give a number of blocked requests per minute, 0 or more'),
    ...requireRange('maxGuardrailBlockRateIncrease', o.maxGuardrailBlockRateIncrease, 0, 100, 'give percentage points from 0 to 100'),
    ...requireRange('maxSchemaFailurePercent', o.maxSchemaFailurePercent, 0, 100, 'give a percentage from 0 to 100'),
    ...requireRange('maxResponseLengthShiftPercent', o.maxResponseLengthShiftPercent, 1, 1e6, 'give a percentage change of the median length from 1 to 1,000,000'),
    ...requireRange('inputTokenPricePer1k', o.inputTokenPricePer1k, 0, 1e6, 'give a price of 0 or more'),
    ...requireRange('outputTokenPricePer1k', o.outputTokenPricePer1k, 0, 1e6, 'give a price of 0 or more'),
    ...requireRange('maxCostPerRequest', o.maxCostPerRequest, 0, 1e6, 'give a cost of 0 or more'),
    ...requireRange('maxCostPerRequestRatio', o.maxCostPerRequestRatio, 1, 1000, 'give a multiple of the stable version\'s cost from 1 to 1000'),
    ...requireRange('maxPredictionShift', o.maxPredictionShift, 0.001, 10, 'give a population stability index from 0.001 to 10 (0.1 is a moderate shift)'),
    ...requireRange('minPredictionsForShift', o.minPredictionsForShift, 1, 1e9, 'give a whole number of predictions, at least 1'),
    ...(o.minPredictionsForShift === undefined || Number.isInteger(o.minPredictionsForShift) ? [] : [`minPredictionsForShift is ${o.minPredictionsForShift}: give a whole number`]),
    ...requireRange('tokensWindow (minutes)', o.tokensWindow ? o.tokensWindow.toSeconds() / 60 : undefined, 1, 1440, 'give whole minutes from 1 to 1440'),
    ...(o.tokensWindow === undefined || o.tokensWindow.toSeconds() % 60 === 0 ? [] : [`tokensWindow is ${o.tokensWindow.toSeconds()}s: give whole minutes (metrics come in 1-minute periods)`]),
  ];
  const signalProps = {
    maxTokensPerRequestRatio: o.maxTokensPerRequestRatio,
    tokensWindow: o.tokensWindow,
    maxGuardrailBlocksPerMinute: o.maxGuardrailBlocksPerMinute,
    maxSchemaFailurePercent: o.maxSchemaFailurePercent,
    maxResponseLengthShiftPercent: o.maxResponseLengthShiftPercent,
    inputTokenPricePer1k: o.inputTokenPricePer1k,
    outputTokenPricePer1k: o.outputTokenPricePer1k,
    maxCostPerRequest: o.maxCostPerRequest,
    maxCostPerRequestRatio: o.maxCostPerRequestRatio,
    predictionClasses: o.predictionClasses,
    maxPredictionShift: o.maxPredictionShift,
    minPredictionsForShift: o.minPredictionsForShift,
    signalsNamespace: o.signalsNamespace,
  };
  const set = Object.entries(signalProps).filter(([, v]) => v !== undefined).map(([k]) => k);
  const bedrock = [o.bedrockGuardrailArn, o.canaryGuardrailVersion, o.stableGuardrailVersion];
  if (o.maxGuardrailBlockRateIncrease !== undefined && !o.modelSignals && bedrock.every((b) => b === undefined)) {
    set.push('maxGuardrailBlockRateIncrease');
  }
  if (set.length > 0 && !o.modelSignals) {
    problems.push(`${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set but modelSignals is not: set modelSignals: true (and record the signals with cdk-model-canary/runtime in the model code)`);
  }
  if ((o.inputTokenPricePer1k === undefined) !== (o.outputTokenPricePer1k === undefined)) {
    problems.push('give both inputTokenPricePer1k and outputTokenPricePer1k for the cost guards, or neither');
  }
  if ((o.maxCostPerRequest !== undefined || o.maxCostPerRequestRatio !== undefined) && o.inputTokenPricePer1k === undefined) {
    problems.push('maxCostPerRequest and maxCostPerRequestRatio need inputTokenPricePer1k and outputTokenPricePer1k to compute a cost');
  }
  if ((o.maxPredictionShift !== undefined || o.minPredictionsForShift !== undefined) && !o.predictionClasses) {
    problems.push('maxPredictionShift and minPredictionsForShift need predictionClasses (the class names the model records)');
  }
  const minRequests = o.minRequestsPerStep ?? 100;
  const minPredictions = o.minPredictionsForShift ?? 100;
  if (o.predictionClasses && !Token.isUnresolved(minRequests) && !Token.isUnresolved(minPredictions) && minPredictions > minRequests) {
    problems.push(`minPredictionsForShift (${o.minPredictionsForShift ?? 100}) is above minRequestsPerStep (${minRequests}): a step could pass before the prediction shift is judged; lower it or raise minRequestsPerStep`);
  }
  const classes = o.predictionClasses ?? [];
  if (o.predictionClasses) {
    const bad = classes.filter((k) => k.trim() !== k || k.length < 1 || k.length > 255);
    if (classes.length < 2 || new Set(classes).size !== classes.length || bad.length > 0 || classes.length > 100) {
      problems.push(`predictionClasses is ${JSON.stringify(classes.slice(0, 10))}${classes.length > 10 ? '…' : ''}: give 2 to 100 distinct class names of 1-255 characters without surrounding spaces, as the model code records them`);
    }
  }
  if (bedrock.some((b) => b !== undefined) && bedrock.some((b) => b === undefined)) {
    problems.push('the Bedrock guardrail guard needs bedrockGuardrailArn, canaryGuardrailVersion and stableGuardrailVersion together');
  }
  if (o.canaryGuardrailVersion !== undefined && o.canaryGuardrailVersion === o.stableGuardrailVersion) {
    problems.push(`canaryGuardrailVersion and stableGuardrailVersion are both ${o.canaryGuardrailVersion}: the Bedrock guard compares two different guardrail versions (leave these props out when both versions call the same one)`);
  }
  return problems;
}
