import type {
  DescribeAlarmsCommandInput,
  DescribeAlarmsCommandOutput,
  GetMetricDataCommandInput,
  GetMetricDataCommandOutput,
  MetricDataResult,
  PutMetricDataCommandInput,
  PutMetricDataCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import {
  type AlarmState,
  comparator,
  evaluateAlarm,
  type Evaluation,
  type RangePoint,
  type TreatMissingData,
} from './alarm-evaluation';
import { explainEvaluation } from './alarm-reason';
import { validateAlarmDefinition } from './alarm-validation';
import { evaluationGrid, windowSeries } from './alarm-windows';
import { awsError } from '../core/aws-errors';
import { evaluateExpression, type TimeSeries } from './metric-math';
import { type Datapoint, lowSampleThreshold, type MetricId, MetricStore, percentileOf } from './metrics';
import { describeMetricAlarms } from './describe-alarms';
import { putMetricData } from './put-metric-data';
import { parseStatistic } from './statistics';
import type { AlarmDefinition, AlarmRecord, AlarmTransition, CfnMetricDataQuery } from './alarm-types';

export interface CloudWatchOptions {
  /** Extra periods retrieved beyond EvaluationPeriods (the evaluation range). The documented example uses 2. */
  readonly evaluationRangeExtra?: number;
}

const MINUTE = 60_000;

function dims(list: { Name: string; Value: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((d) => [d.Name, d.Value]));
}

/**
 * CloudWatch metrics and metric alarms: GetMetricData over the metric store, DescribeAlarms, and
 * alarm evaluation every minute over sliding periods (every 10 s for periods under a minute), the
 * way CloudWatch documents it (alarm-evaluation.ts, alarm-windows.ts), and PutMetricAlarm's limits
 * (alarm-validation.ts).
 * An alarm whose metric (namespace, name, exact dimension set) receives no data never sees a
 * datapoint, so with notBreaching it stays OK forever, as it would on AWS.
 */
export class CloudWatchSim {
  public readonly alarms = new Map<string, AlarmRecord>();
  public readonly transitions: AlarmTransition[] = [];
  private readonly rangeExtra: number;

  constructor(
    public readonly store: MetricStore,
    private readonly now: () => number,
    private readonly onTransition: (alarm: AlarmRecord, transition: AlarmTransition, previous: { state: AlarmState; reason: string; reasonData?: string; at: number }) => void,
    options: CloudWatchOptions = {},
  ) {
    this.rangeExtra = options.evaluationRangeExtra ?? 2;
  }

  /** PutMetricAlarm: a new alarm starts in INSUFFICIENT_DATA; an update keeps the state and replaces the configuration. */
  public putMetricAlarm(definition: AlarmDefinition): void {
    this.validate(definition);
    const now = this.now();
    const existing = this.alarms.get(definition.AlarmName);
    if (existing) {
      existing.definition = definition;
      existing.configurationUpdatedAt = now;
      return;
    }
    this.alarms.set(definition.AlarmName, {
      definition,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      transitionedAt: now,
      updatedAt: now,
      configurationUpdatedAt: now,
    });
  }

  public deleteAlarm(name: string): void {
    this.alarms.delete(name);
  }

  /** SetAlarmState: lasts until the next evaluation, as on AWS. */
  public setAlarmState(name: string, state: AlarmState, reason: string, reasonData?: string): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw awsError('cloudwatch', 'ResourceNotFound', 404, `Alarm ${name} not found`);
    this.transition(alarm, state, reason, reasonData);
  }

  /**
   * Evaluates every alarm: "for any period of one minute or longer, an alarm is evaluated every
   * minute" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation),
   * so the caller ticks once a minute; the periods slide with it (alarm-windows.ts). "If the alarm
   * period is 10 seconds or 30 seconds, the alarm is evaluated every 10 seconds" (same page; 20 s
   * likewise): the caller also ticks every 10 s between minutes with `subMinuteOnly`.
   */
  public evaluateDue(subMinuteOnly = false): void {
    for (const alarm of this.alarms.values()) {
      if (!subMinuteOnly || this.isSubMinute(alarm)) this.evaluate(alarm);
    }
  }

  /** Whether any alarm has a period under a minute (10, 20 or 30 s): evaluated every 10 s. */
  public hasSubMinuteAlarms(): boolean {
    for (const alarm of this.alarms.values()) if (this.isSubMinute(alarm)) return true;
    return false;
  }

  private isSubMinute(alarm: AlarmRecord): boolean {
    return this.periodOf(alarm.definition) < 60;
  }

  /** One evaluation of one alarm at the current time. */
  public evaluate(alarm: AlarmRecord): Evaluation {
    const now = this.now();
    const def = alarm.definition;
    const period = this.periodOf(def);
    const n = def.EvaluationPeriods;
    const m = def.DatapointsToAlarm ?? n;
    const grid = evaluationGrid(now, period, n + this.rangeExtra);
    const { series, lowSample } = this.alarmSeries(def, grid, now);
    const points: RangePoint[] = grid.map((t) => ({
      timestamp: t,
      value: series.get(t)?.value,
      sampleCount: series.get(t)?.sampleCount,
      lowSample: lowSample.has(t),
    }));
    const result = evaluateAlarm({
      points,
      evaluationPeriods: n,
      datapointsToAlarm: m,
      treatMissingData: (def.TreatMissingData ?? 'missing') as TreatMissingData,
      breaches: comparator(def.ComparisonOperator, def.Threshold),
      current: alarm.state,
      ignoreLowSample: def.EvaluateLowSampleCountPercentile === 'ignore',
    });
    alarm.lastEvaluation = { at: now, points, result };
    if (points.some((p) => p.value !== undefined)) alarm.lastEvaluationWithData = alarm.lastEvaluation;
    if (result.state !== alarm.state) {
      const { reason, reasonData } = explainEvaluation(def, result, points, now, grid[0], alarm.state, period);
      this.transition(alarm, result.state, reason, reasonData);
    }
    return result;
  }

  private transition(alarm: AlarmRecord, state: AlarmState, reason: string, reasonData?: string): void {
    const now = this.now();
    const previous = { state: alarm.state, reason: alarm.reason, reasonData: alarm.reasonData, at: alarm.transitionedAt };
    const changed = state !== alarm.state;
    alarm.state = state;
    alarm.reason = reason;
    alarm.reasonData = reasonData;
    alarm.updatedAt = now;
    if (!changed) return;
    alarm.transitionedAt = now;
    const transition: AlarmTransition = { at: now, alarmName: alarm.definition.AlarmName, from: previous.state, to: state, reason, reasonData };
    this.transitions.push(transition);
    this.onTransition(alarm, transition, previous);
  }

  private periodOf(def: AlarmDefinition): number {
    if (def.Period) return def.Period;
    const stat = def.Metrics?.find((q) => q.MetricStat)?.MetricStat;
    return stat?.Period ?? def.Metrics?.find((q) => q.Period)?.Period ?? 60;
  }

  /** The alarm's datapoints over the grid, and which timestamps are low-sample for a percentile. */
  private alarmSeries(def: AlarmDefinition, grid: number[], now: number): { series: Map<number, Datapoint>; lowSample: Set<number> } {
    const periodMs = this.periodOf(def) * 1000;
    const lowSample = new Set<number>();
    const markLow = (stat: string, points: Datapoint[]) => {
      const p = percentileOf(stat);
      if (p === undefined) return;
      const threshold = lowSampleThreshold(p);
      for (const dp of points) if (dp.sampleCount < threshold) lowSample.add(dp.timestamp);
    };
    if (!def.Metrics) {
      const id: MetricId = { namespace: def.Namespace ?? '', metricName: def.MetricName ?? '', dimensions: dims(def.Dimensions) };
      const stat = def.ExtendedStatistic ?? def.Statistic ?? 'Average';
      const points = windowSeries(this.store, id, stat, this.periodOf(def), grid, now);
      markLow(stat, points);
      return { series: new Map(points.map((p) => [p.timestamp, p])), lowSample };
    }
    const result = this.queries(def.Metrics, grid, periodMs, now, true, markLow);
    const returned = def.Metrics.filter((q) => q.ReturnData !== false);
    if (returned.length !== 1) throw new Error(`Alarm ${def.AlarmName}: exactly one query must return data`);
    const ts = result.get(returned[0].Id) ?? new Map();
    return { series: new Map([...ts].map(([t, value]) => [t, { timestamp: t, value, sampleCount: NaN }])), lowSample };
  }

  /** Evaluates a set of metric data queries (metrics and expressions) over a grid of periods. */
  private queries(
    queries: readonly CfnMetricDataQuery[],
    grid: number[],
    periodMs: number,
    now: number,
    sliding: boolean,
    onMetric?: (stat: string, points: Datapoint[]) => void,
    endMs?: number,
  ): Map<string, TimeSeries> {
    const end = endMs ?? grid[grid.length - 1] + periodMs;
    const byId = new Map(queries.map((q) => [q.Id, q]));
    const done = new Map<string, TimeSeries>();
    const inProgress = new Set<string>();
    const seriesOf = (id: string): TimeSeries => {
      const cached = done.get(id);
      if (cached) return cached;
      const q = byId.get(id);
      if (!q) throw awsError('cloudwatch', 'ValidationError', 400, `Metric math: unknown id ${id}`);
      if (inProgress.has(id)) throw awsError('cloudwatch', 'ValidationError', 400, `Metric math: circular reference at ${id}`);
      inProgress.add(id);
      let ts: TimeSeries;
      if (q.MetricStat) {
        const metric = q.MetricStat.Metric;
        const id: MetricId = { namespace: metric.Namespace, metricName: metric.MetricName, dimensions: dims(metric.Dimensions) };
        // Alarms read whole periods; GetMetricData's last period stops at EndTime (`end`).
        const points = windowSeries(this.store, id, q.MetricStat.Stat, q.MetricStat.Period, grid, now, sliding ? undefined : end);
        onMetric?.(q.MetricStat.Stat, points);
        ts = new Map(points.map((p) => [p.timestamp, p.value]));
      } else if (q.Expression) {
        const value = evaluateExpression(q.Expression, { grid, series: seriesOf });
        if (value.kind !== 'ts') throw awsError('cloudwatch', 'ValidationError', 400, `The expression ${q.Expression} must return a time series`);
        ts = value.points;
      } else {
        throw awsError('cloudwatch', 'ValidationError', 400, `Query ${id} has neither MetricStat nor Expression`);
      }
      inProgress.delete(id);
      done.set(id, ts);
      return ts;
    };
    for (const q of queries) seriesOf(q.Id);
    return done;
  }

  private validate(def: AlarmDefinition): void {
    validateAlarmDefinition(def);
    comparator(def.ComparisonOperator, def.Threshold);
  }

  // --- API ---

  public describeAlarms(input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput {
    return describeMetricAlarms([...this.alarms.values()], input);
  }

  /** PutMetricData (put-metric-data.ts): the values land in the store like every other metric's. */
  public putMetricData(input: PutMetricDataCommandInput): PutMetricDataCommandOutput {
    putMetricData(this.store, input, this.now());
    return { $metadata: { httpStatusCode: 200 } };
  }

  public getMetricData(input: GetMetricDataCommandInput): GetMetricDataCommandOutput {
    const start = input.StartTime ? new Date(input.StartTime).getTime() : NaN;
    const end = input.EndTime ? new Date(input.EndTime).getTime() : NaN;
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw awsError('cloudwatch', 'ValidationError', 400, 'StartTime and EndTime are required');
    if (start >= end) throw awsError('cloudwatch', 'ValidationError', 400, 'The parameter StartTime must be less than the parameter EndTime');
    const queries = input.MetricDataQueries ?? [];
    if (queries.length === 0 || queries.length > 500) throw awsError('cloudwatch', 'ValidationError', 400, 'MetricDataQueries: 1 to 500 queries');
    const cfnQueries: CfnMetricDataQuery[] = queries.map((q, i) => {
      if (!q.Id || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) {
        throw awsError('cloudwatch', 'ValidationError', 400, `The value ${q.Id} for parameter MetricDataQueries.member.${i + 1}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.`);
      }
      if (q.MetricStat) parseStatistic(q.MetricStat.Stat ?? '', `MetricDataQueries.member.${i + 1}.MetricStat.Stat`);
      if (q.MetricStat && !q.MetricStat.Period) throw awsError('cloudwatch', 'ValidationError', 400, `Query ${q.Id}: Period is required`);
      return {
        Id: q.Id,
        Expression: q.Expression,
        Label: q.Label,
        ReturnData: q.ReturnData,
        Period: q.Period,
        MetricStat: q.MetricStat
          ? {
              Metric: {
                Namespace: q.MetricStat.Metric?.Namespace ?? '',
                MetricName: q.MetricStat.Metric?.MetricName ?? '',
                Dimensions: (q.MetricStat.Metric?.Dimensions ?? []).map((d) => ({ Name: d.Name ?? '', Value: d.Value ?? '' })),
              },
              Period: q.MetricStat.Period!,
              Stat: q.MetricStat.Stat ?? 'Average',
            }
          : undefined,
      };
    });
    const period = cfnQueries.find((q) => q.MetricStat)?.MetricStat?.Period ?? cfnQueries.find((q) => q.Period)?.Period ?? 60;
    const periodMs = period * 1000;
    // "Start time less than 15 days ago - Round down to the nearest whole minute"; periods of 5, 10,
    // 20 or 30 s round to those divisions of a minute; "The value specified is inclusive": periods
    // run from there, not from multiples of the period, and EndTime is exclusive
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
    const rounding = periodMs % MINUTE === 0 ? MINUTE : periodMs;
    const first = Math.floor(start / rounding) * rounding;
    const grid: number[] = [];
    for (let t = first; t < end; t += periodMs) grid.push(t);
    const now = this.now();
    const series = this.queries(cfnQueries, grid, periodMs, now, false, undefined, Math.ceil(end / MINUTE) * MINUTE);
    const descending = input.ScanBy !== 'TimestampAscending';
    const results: MetricDataResult[] = cfnQueries
      .filter((q) => q.ReturnData !== false)
      .map((q) => {
        const points = [...(series.get(q.Id) ?? new Map<number, number>())].sort(([a], [b]) => (descending ? b - a : a - b));
        return {
          Id: q.Id,
          Label: q.Label ?? q.Id,
          Timestamps: points.map(([t]) => new Date(t)),
          Values: points.map(([, v]) => v),
          StatusCode: 'Complete',
        };
      });
    return { $metadata: { httpStatusCode: 200 }, MetricDataResults: results, Messages: [] };
  }
}
