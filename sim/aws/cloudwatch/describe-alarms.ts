/** DescribeAlarms over the metric alarms (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html): names, prefix, state, paging. */
import type { DescribeAlarmsCommandInput, DescribeAlarmsCommandOutput, MetricAlarm, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { awsError } from '../core/aws-errors';
import { type AlarmRecord, alarmArn } from './alarm-types';

const DEFAULT_MAX_RECORDS = 50;

export function describeMetricAlarms(alarms: readonly AlarmRecord[], input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput {
  const names = input.AlarmNames;
  if (names && names.length > 100) throw awsError('cloudwatch', 'ValidationError', 400, 'AlarmNames: at most 100 names');
  const max = input.MaxRecords ?? DEFAULT_MAX_RECORDS;
  if (max < 1 || max > 100) throw awsError('cloudwatch', 'ValidationError', 400, 'MaxRecords must be between 1 and 100');
  const types = input.AlarmTypes ?? ['MetricAlarm'];
  let matched = [...alarms]
    .filter((a) => !names || names.includes(a.definition.AlarmName))
    .filter((a) => !input.AlarmNamePrefix || a.definition.AlarmName.startsWith(input.AlarmNamePrefix))
    .filter((a) => !input.StateValue || a.state === input.StateValue)
    .sort((a, b) => (a.definition.AlarmName < b.definition.AlarmName ? -1 : 1));
  if (!types.includes('MetricAlarm')) matched = [];
  const offset = input.NextToken ? Number(input.NextToken) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw awsError('cloudwatch', 'InvalidNextToken', 400, 'The next token is invalid');
  const page = matched.slice(offset, offset + max);
  const next = offset + max < matched.length ? String(offset + max) : undefined;
  return {
    $metadata: { httpStatusCode: 200 },
    MetricAlarms: page.map(toMetricAlarm),
    CompositeAlarms: [],
    NextToken: next,
  };
}

function toMetricAlarm(a: AlarmRecord): MetricAlarm {
  const d = a.definition;
  return {
    AlarmName: d.AlarmName,
    AlarmArn: alarmArn(d.AlarmName),
    AlarmDescription: d.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: new Date(a.configurationUpdatedAt),
    ActionsEnabled: d.ActionsEnabled ?? true,
    OKActions: [],
    AlarmActions: [],
    InsufficientDataActions: [],
    StateValue: a.state,
    StateReason: a.reason,
    StateReasonData: a.reasonData,
    StateUpdatedTimestamp: new Date(a.updatedAt),
    StateTransitionedTimestamp: new Date(a.transitionedAt),
    MetricName: d.MetricName,
    Namespace: d.Namespace,
    Statistic: d.Statistic as MetricAlarm['Statistic'],
    ExtendedStatistic: d.ExtendedStatistic,
    Dimensions: d.Dimensions?.map((x) => ({ ...x })),
    Period: d.Period,
    Unit: d.Unit as MetricAlarm['Unit'],
    EvaluationPeriods: d.EvaluationPeriods,
    DatapointsToAlarm: d.DatapointsToAlarm,
    Threshold: d.Threshold,
    ComparisonOperator: d.ComparisonOperator as MetricAlarm['ComparisonOperator'],
    TreatMissingData: d.TreatMissingData,
    EvaluateLowSampleCountPercentile: d.EvaluateLowSampleCountPercentile,
    Metrics: d.Metrics?.map(
      (q): MetricDataQuery => ({
        Id: q.Id,
        Expression: q.Expression,
        Label: q.Label,
        ReturnData: q.ReturnData,
        Period: q.Period,
        MetricStat: q.MetricStat
          ? {
              Metric: {
                Namespace: q.MetricStat.Metric.Namespace,
                MetricName: q.MetricStat.Metric.MetricName,
                Dimensions: q.MetricStat.Metric.Dimensions?.map((x) => ({ ...x })),
              },
              Period: q.MetricStat.Period,
              Stat: q.MetricStat.Stat,
              Unit: q.MetricStat.Unit as never,
            }
          : undefined,
      }),
    ),
  };
}
