/** The alarm records CloudWatch keeps: definitions as PutMetricAlarm / CloudFormation spell them, states, transitions. */
import type { AlarmState, Evaluation, RangePoint } from './alarm-evaluation';
import { ACCOUNT, PARTITION, REGION } from '../core/account';

/** An AWS::CloudWatch::Alarm's properties, resolved (CloudFormation's spelling). */
export interface AlarmDefinition {
  readonly AlarmName: string;
  readonly AlarmDescription?: string;
  readonly ActionsEnabled?: boolean;
  readonly ComparisonOperator: string;
  readonly Threshold: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly TreatMissingData?: string;
  readonly EvaluateLowSampleCountPercentile?: string;
  // single metric
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: { Name: string; Value: string }[];
  readonly Period?: number;
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Unit?: string;
  // metric math
  readonly Metrics?: CfnMetricDataQuery[];
}

export interface CfnMetricDataQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly Label?: string;
  readonly ReturnData?: boolean;
  readonly Period?: number;
  readonly MetricStat?: {
    readonly Metric: { readonly Namespace: string; readonly MetricName: string; readonly Dimensions?: { Name: string; Value: string }[] };
    readonly Period: number;
    readonly Stat: string;
    readonly Unit?: string;
  };
}

export interface AlarmTransition {
  readonly at: number;
  readonly alarmName: string;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
  readonly reasonData?: string;
}

export interface AlarmRecord {
  definition: AlarmDefinition;
  state: AlarmState;
  reason: string;
  reasonData?: string;
  /** Last change of the state value (or creation). */
  transitionedAt: number;
  /** Last update of the state (value or evaluation state). */
  updatedAt: number;
  configurationUpdatedAt: number;
  /** The last evaluation, for inspection. */
  lastEvaluation?: { at: number; points: RangePoint[]; result: Evaluation };
  /** The last evaluation that had a datapoint (a ratio to stable has none once stable serves nothing). */
  lastEvaluationWithData?: { at: number; points: RangePoint[]; result: Evaluation };
}

export function alarmArn(name: string): string {
  return `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
}
