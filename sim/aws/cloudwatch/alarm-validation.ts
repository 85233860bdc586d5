/**
 * What PutMetricAlarm (and so CloudFormation's AWS::CloudWatch::Alarm) rejects, from the API
 * reference (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html) and the
 * user guide's metric-math rules
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
 * Each failure is a ValidationError (HTTP 400) whose message says what to change.
 */
import { awsError } from '../core/aws-errors';
import type { AlarmDefinition } from './alarm-types';
import { calledFunctions, referencedIds, SUPPORTED_FUNCTIONS } from './metric-math';

/** PutMetricAlarm's Statistic enumeration (case-sensitive). */
export const STATISTICS: readonly string[] = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];
export const TREAT_MISSING_DATA: readonly string[] = ['breaching', 'notBreaching', 'ignore', 'missing'];
const ONE_DAY = 86_400;
const SEVEN_DAYS = 604_800;
/** "up to 20 MetricDataQuery structures ... as many as 10 ... MetricStat ... as many as 10 ... Expression". */
export const MAX_ALARM_QUERIES = 20;
export const MAX_ALARM_METRICS = 10;
export const MAX_ALARM_EXPRESSIONS = 10;

const NUMBER = String.raw`\d+(?:\.\d+)?`;
/** p0.0–p100, and the shorthand tmNN / tcNN / tsNN / wmNN. */
const SHORT = new RegExp(`^(p|tm|tc|ts|wm)(${NUMBER})$`);
/** TM(10%:90%) and friends, where each bound is 10–90 (PR takes metric values instead). */
const RANGE = new RegExp(`^(TM|TC|TS|WM)\\((${NUMBER})?%?:(${NUMBER})?%?\\)$`);
const PR = new RegExp(`^PR\\((${NUMBER})?:(${NUMBER})?\\)$`);

/** Why `stat` is not a statistic PutMetricAlarm accepts, or undefined when it is one. */
export function extendedStatisticProblem(stat: string): string | undefined {
  if (stat === 'IQM' || PR.test(stat)) return undefined;
  const short = SHORT.exec(stat);
  if (short) return Number(short[2]) <= 100 ? undefined : `${stat}: the percentile must be between 0 and 100`;
  const range = RANGE.exec(stat);
  if (range) {
    const bounds = [range[2], range[3]].filter((b): b is string => b !== undefined).map(Number);
    return bounds.every((b) => b >= 10 && b <= 90) ? undefined : `${stat}: each bound must be between 10 and 90`;
  }
  return `${stat} is not a valid extended statistic: use p0.0-p100 (for example p95), tm90, tc90, ts90, wm90, IQM, PR(n:m), TM(X%:X%), TC(X%:X%), TS(X%:X%) or WM(X%:X%)`;
}

function statProblem(stat: string): string | undefined {
  if (STATISTICS.includes(stat)) return undefined;
  const wrongCase = STATISTICS.find((s) => s.toLowerCase() === stat.toLowerCase());
  if (wrongCase) return `${stat} is not a valid statistic: statistics are case-sensitive, use ${wrongCase}`;
  return extendedStatisticProblem(stat);
}

function periodProblem(where: string, period: number | undefined): string | undefined {
  if (period === undefined) return `${where}: Period is required`;
  if ([10, 20, 30].includes(period) || (Number.isInteger(period) && period > 0 && period % 60 === 0)) return undefined;
  return `${where}: Period ${period} is not valid; valid values are 10, 20, 30 and any multiple of 60`;
}

/** Throws a ValidationError for the first rule of PutMetricAlarm the definition breaks. */
export function validateAlarmDefinition(def: AlarmDefinition): void {
  const invalid = (message: string) => awsError('cloudwatch', 'ValidationError', 400, `Alarm ${def.AlarmName || '(no name)'}: ${message}`);
  if (!def.AlarmName) throw invalid('AlarmName is required');
  if (!Number.isInteger(def.EvaluationPeriods) || def.EvaluationPeriods < 1) throw invalid('EvaluationPeriods must be a whole number of at least 1');
  const m = def.DatapointsToAlarm;
  if (m !== undefined && (!Number.isInteger(m) || m < 1 || m > def.EvaluationPeriods)) {
    throw invalid('DatapointsToAlarm must be between 1 and EvaluationPeriods');
  }
  if (def.TreatMissingData !== undefined && !TREAT_MISSING_DATA.includes(def.TreatMissingData)) {
    throw invalid(`TreatMissingData ${def.TreatMissingData} is not valid; use one of ${TREAT_MISSING_DATA.join(', ')}`);
  }
  if (def.EvaluateLowSampleCountPercentile !== undefined && !['evaluate', 'ignore'].includes(def.EvaluateLowSampleCountPercentile)) {
    throw invalid(`EvaluateLowSampleCountPercentile ${def.EvaluateLowSampleCountPercentile} is not valid; use evaluate or ignore`);
  }
  const period = def.Metrics ? validateMetrics(def, invalid) : validateSingleMetric(def, invalid);
  // "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a
  // period of less than one hour, the total evaluation period can't be longer than one day."
  const total = period * def.EvaluationPeriods;
  const limit = period < 3600 ? ONE_DAY : SEVEN_DAYS;
  if (total > limit) {
    throw invalid(
      `Period x EvaluationPeriods is ${total} s, more than ${limit} s (${limit === ONE_DAY ? 'one day, the limit for periods under an hour' : 'seven days'}); use fewer evaluation periods or a longer period`,
    );
  }
}

function validateSingleMetric(def: AlarmDefinition, invalid: (message: string) => Error): number {
  if (!def.MetricName) throw invalid('Either MetricName or Metrics is required');
  if ((def.Statistic === undefined) === (def.ExtendedStatistic === undefined)) throw invalid('specify either Statistic or ExtendedStatistic, not both and not neither');
  if (def.Statistic !== undefined && !STATISTICS.includes(def.Statistic)) {
    const wrongCase = STATISTICS.find((s) => s.toLowerCase() === def.Statistic!.toLowerCase());
    throw invalid(
      wrongCase
        ? `Statistic ${def.Statistic} is not valid: statistics are case-sensitive, use ${wrongCase}`
        : `Statistic ${def.Statistic} is not valid; use one of ${STATISTICS.join(', ')} (percentiles go in ExtendedStatistic)`,
    );
  }
  if (def.ExtendedStatistic !== undefined) {
    const problem = extendedStatisticProblem(def.ExtendedStatistic);
    if (problem) throw invalid(`ExtendedStatistic ${problem}`);
  }
  const problem = periodProblem('the alarm', def.Period);
  if (problem) throw invalid(problem);
  return def.Period!;
}

function validateMetrics(def: AlarmDefinition, invalid: (message: string) => Error): number {
  const queries = def.Metrics!;
  if (def.MetricName || def.Namespace || def.Dimensions?.length || def.Period || def.Unit || def.Statistic || def.ExtendedStatistic) {
    throw invalid('Metrics cannot be combined with Namespace, MetricName, Dimensions, Period, Unit, Statistic or ExtendedStatistic');
  }
  const metrics = queries.filter((q) => q.MetricStat);
  const expressions = queries.filter((q) => q.Expression !== undefined);
  if (queries.length > MAX_ALARM_QUERIES) throw invalid(`Metrics has ${queries.length} entries; an alarm takes at most ${MAX_ALARM_QUERIES}`);
  if (metrics.length > MAX_ALARM_METRICS) throw invalid(`Metrics has ${metrics.length} metrics (MetricStat); an alarm takes at most ${MAX_ALARM_METRICS}`);
  if (expressions.length > MAX_ALARM_EXPRESSIONS) throw invalid(`Metrics has ${expressions.length} expressions; an alarm takes at most ${MAX_ALARM_EXPRESSIONS}`);
  const ids = new Set<string>();
  for (const q of queries) {
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) throw invalid(`the id ${q.Id} must start with a lowercase letter and hold only letters, digits and _`);
    if (ids.has(q.Id)) throw invalid(`the id ${q.Id} is used twice in Metrics`);
    ids.add(q.Id);
    if (Boolean(q.MetricStat) === (q.Expression !== undefined)) throw invalid(`${q.Id} must have exactly one of MetricStat and Expression`);
  }
  const returned = queries.filter((q) => q.ReturnData !== false);
  if (returned.length !== 1) throw invalid(`exactly one entry of Metrics must have ReturnData true (found ${returned.length}); set ReturnData false on the others`);
  for (const q of metrics) {
    const stat = statProblem(q.MetricStat!.Stat);
    if (stat) throw invalid(`${q.Id}: Stat ${stat}`);
    const period = periodProblem(q.Id, q.MetricStat!.Period);
    if (period) throw invalid(period);
  }
  const periods = [...new Set(metrics.map((q) => q.MetricStat!.Period))];
  // "Each metric must be using the same period."
  if (periods.length > 1) throw invalid(`every metric of a math alarm must use the same period; found ${periods.join(', ')} s`);
  for (const q of expressions) {
    let fns: string[];
    let refs: string[];
    try {
      fns = calledFunctions(q.Expression!);
      refs = referencedIds(q.Expression!);
    } catch (e) {
      throw invalid(`${q.Id}: the expression ${q.Expression} is not valid metric math (${(e as Error).message})`);
    }
    const lower = fns.find((f) => f !== f.toUpperCase());
    if (lower) throw invalid(`${q.Id}: the function ${lower} must be written in uppercase letters (${lower.toUpperCase()}) in ${q.Expression}`);
    const unsupported = fns.find((f) => !SUPPORTED_FUNCTIONS.includes(f));
    if (unsupported) throw new Error(`Alarm ${def.AlarmName}: metric math function ${unsupported} is not supported by the simulator`);
    const unknown = refs.find((r) => !ids.has(r));
    if (unknown) throw invalid(`${q.Id}: the expression ${q.Expression} reads ${unknown}, which is not an id in Metrics`);
  }
  return periods[0] ?? (queries.find((q) => q.Period)?.Period ?? 60);
}
