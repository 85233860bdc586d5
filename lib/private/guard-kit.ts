import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { JudgedGuardPlan, JudgedMetric } from '../../lambda/shared/judge-plan';
import { CANARY_DIMENSION, STACK_DIMENSION, VERSION_DIMENSION } from '../../runtime/signal-names';
import type { RolloutSchedule } from '../rollout-schedule';
import type { GuardAlarms } from './guard-alarms';
import { type GuardSignal, type TargetBinding, targetMetric as bindingMetric } from './target-binding';
import { requireRange, scheduleProblems } from './validation';

/** Every guard reads 1-minute datapoints (Lambda, SageMaker and EMF all publish per minute). */
export const PERIOD = Duration.minutes(1);

/** What a guard gets when it is added to a canary. */
export interface GuardContext {
  readonly binding: TargetBinding;
  readonly alarms: GuardAlarms;
  readonly canaryName: string;
  /** The Stack dimension of the model signals and of the evidence metric. */
  readonly stackName: string;
  readonly canaryVersion: string;
  /** A token at synth time (the release resource's StableVersion). */
  readonly stableVersion: string;
  /** Where the runtime helper writes the model signals. */
  readonly signalsNamespace: string;
  readonly schedule: RolloutSchedule;
}

/** What binding a guard gives back: a judged guard its plan (the controller adds its evidence alarm). */
export interface GuardBinding {
  readonly judged?: JudgedGuardPlan;
}

/** A guard's implementation, one per file under lib/guards/ (wrapped by Guard's factories). */
export interface GuardImplementation {
  readonly guardName: string;
  /** Problems with the rollout's schedule, reported with the construct's other problems. */
  scheduleProblems?(schedule: RolloutSchedule): string[];
  bind(scope: Construct, ctx: GuardContext): GuardBinding;
}

/** Throws the problems of a guard's props, each saying what to change. */
export function throwGuardProblems(factory: string, problems: string[]): void {
  if (problems.length === 0) return;
  throw new Error(`Guard.${factory}: ${problems.length === 1 ? problems[0] : '\n- ' + problems.join('\n- ')}`);
}

/** A `window` prop in whole minutes, with its problems (1-minute metrics, at most a day). */
export function windowOf(window: Duration | undefined, fallback: Duration): { minutes: number; problems: string[] } {
  const w = window ?? fallback;
  const seconds = w.toSeconds();
  if (Token.isUnresolved(seconds)) return { minutes: Math.max(1, Math.round(fallback.toSeconds() / 60)), problems: [] };
  const problems = [
    ...requireRange('window (minutes)', seconds / 60, 1, 1440, 'give whole minutes from 1 to 1440 (1-minute metrics)'),
    ...(seconds % 60 === 0 ? [] : [`window is ${seconds}s: give whole minutes (metrics come in 1-minute periods)`]),
  ];
  return { minutes: Math.max(1, Math.round(seconds / 60)), problems };
}

/**
 * An alarm guard needs `minutes` of breaching data: longer than the whole schedule bakes and it can
 * never fire before promotion (a problem).
 */
export function windowScheduleProblems(factory: string, minutes: number, schedule: RolloutSchedule): string[] {
  const bakes = schedule.steps.map((s) => s.bake.toSeconds());
  if (scheduleProblems(schedule).length > 0 || bakes.some((b) => Token.isUnresolved(b) || !Number.isFinite(b))) return [];
  const total = bakes.reduce((a, b) => a + b, 0);
  return minutes * 60 > total
    ? [`Guard.${factory}: window (${minutes} min) is longer than the whole schedule bakes (${total / 60} min): the guard needs that many minutes of bad data, so the canary would be promoted before it could fire; shorten the window or bake longer`]
    : [];
}

/**
 * At bind: the problem above throws (a guard added with addGuard() after the construct); a window
 * longer than one step's bake is a warning (that step moves on before the guard can fire on it).
 */
export function checkWindowAgainstSchedule(scope: Construct, factory: string, minutes: number, schedule: RolloutSchedule): void {
  const problems = windowScheduleProblems(factory, minutes, schedule);
  if (problems.length > 0) throw new Error(problems[0]);
  const bakes = schedule.steps.map((s) => s.bake.toSeconds());
  if (scheduleProblems(schedule).length > 0 || bakes.some((b) => Token.isUnresolved(b) || !Number.isFinite(b))) return;
  const window = minutes * 60;
  const short = schedule.steps
    .map((st, i) => ({ n: i + 1, bake: st.bake.toSeconds(), instant: i === schedule.steps.length - 1 && st.percent === 100 && st.bake.toSeconds() === 0 }))
    .filter((st) => !st.instant && st.bake < window);
  if (short.length > 0) {
    Annotations.of(scope).addWarningV2(
      'cdk-model-canary:guardWindowLongerThanBake',
      `Guard.${factory}: window (${minutes} min) is longer than the bake of step${short.length > 1 ? 's' : ''} ${short.map((st) => st.n).join(', ')} (${short.map((st) => `${st.bake / 60} min`).join(', ')}): the guard needs ${minutes} minutes of bad data, so the canary moves to its next share before it can fire on that step; bake each step at least the window or shorten it`,
    );
  }
}

/** A percentage given as a fraction (0.05 for 5 %) is legal but likely a mistake: a warning. */
export function warnIfFraction(scope: Construct, factory: string, prop: string, value: number | undefined, unit: string): void {
  if (value === undefined || Token.isUnresolved(value) || !(value > 0 && value < 1)) return;
  Annotations.of(scope).addWarningV2(
    `cdk-model-canary:${factory}.${prop}Fraction`,
    `Guard.${factory}: ${prop} is ${value}, which means ${value}${unit}, not ${value * 100}${unit}: the value is a percentage; if you meant ${value * 100}${unit}, give ${prop}: ${value * 100}`,
  );
}

/** A target metric (requests, errors, latency) of one version, 1-minute period. */
export function targetMetric(ctx: GuardContext, version: string, signal: GuardSignal, statistic: string): cloudwatch.Metric {
  return bindingMetric(ctx.binding, version, signal, statistic).with({ period: PERIOD });
}

/** A runtime-helper signal of one version (dimensions Canary, Stack, Version: the helper's set). */
export function signalMetric(ctx: GuardContext, version: string, name: string, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: ctx.signalsNamespace,
    metricName: name,
    dimensionsMap: { [CANARY_DIMENSION]: ctx.canaryName, [STACK_DIMENSION]: ctx.stackName, [VERSION_DIMENSION]: version },
    statistic,
    period: PERIOD,
  });
}

export function math(expression: string, label: string, usingMetrics: Record<string, cloudwatch.IMetric>): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({ expression, usingMetrics, period: PERIOD, label });
}

/** A single CloudWatch metric as the judge reads it (GetMetricData MetricStat, no statistic). */
export function judgedMetric(metric: cloudwatch.IMetric, what: string): JudgedMetric {
  const stat = metric.toMetricConfig().metricStat;
  if (!stat) {
    throw new Error(`${what} is a metric math expression: the judge reads single metrics (namespace, name, dimensions); give a cloudwatch.Metric`);
  }
  const dimensions: Record<string, string> = {};
  for (const d of stat.dimensions ?? []) dimensions[d.name] = String(d.value);
  return { namespace: stat.namespace, metricName: stat.metricName, dimensions };
}

/** "150% of stable's"; "<ratio> times stable's" when the ratio is a token. */
export function ofStable(ratio: number): string {
  return Token.isUnresolved(ratio) ? `${ratio} times stable's` : `${Math.round(ratio * 100)}% of stable's`;
}

/** Problems of a judged guard's maxRatio (canary worse when above this multiple of stable's). */
export function ratioProblems(value: number | undefined, what: string): string[] {
  return requireRange('maxRatio', value, 1, 100, `give a multiple of stable's ${what} from 1 to 100 (1.5 = 50 % more than stable)`);
}

/** Problems of a scale guard's reference percentiles. */
export function percentileProblems(values: number[] | undefined): string[] {
  if (values === undefined) return [];
  const ok = values.length >= 1 && values.length <= 5 && new Set(values).size === values.length && values.every((p) => Token.isUnresolved(p) || (Number.isFinite(p) && p > 0 && p < 100));
  return ok ? [] : [`referencePercentiles is ${JSON.stringify(values)}: give 1 to 5 distinct percentiles of stable's values, each above 0 and below 100 (for example [50, 95])`];
}
