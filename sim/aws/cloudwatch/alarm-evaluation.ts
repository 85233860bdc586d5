/**
 * How CloudWatch turns the datapoints of an alarm's evaluation range into a state, as documented in
 * "How alarm state is evaluated when data is missing" and "Avoiding premature transitions to alarm
 * state" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
 *
 * - CloudWatch retrieves more periods than EvaluationPeriods (the evaluation range).
 * - At least N real datapoints in the range: the most recent N real ones are evaluated and
 *   TreatMissingData is not used.
 * - Fewer: the missing ones are filled per TreatMissingData, every real datapoint in the range is
 *   included, and fills are used as few times as possible. `breaching`/`notBreaching` fill with
 *   breaching/non-breaching points. `missing` and `ignore` cannot fill: a non-breaching real point
 *   decides by count; otherwise `ignore` keeps the state and `missing` goes to INSUFFICIENT_DATA,
 *   unless the premature-alarm rule applies: the oldest breaching point is at least
 *   DatapointsToAlarm periods old and every newer point is breaching or missing, which is ALARM
 *   whatever M is (the documented `- - X - -` 3-of-3 and `- - - X -` 2-of-3 rows).
 * - Then: at least DatapointsToAlarm breaching among the N evaluated → ALARM, else OK.
 */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';

export interface RangePoint {
  /** Epoch ms of the period start. */
  readonly timestamp: number;
  readonly value?: number;
  readonly sampleCount?: number;
  /** Fewer samples than a percentile needs (see lowSampleThreshold). */
  readonly lowSample?: boolean;
}

export interface EvaluationInput {
  /** The evaluation range, oldest first. */
  readonly points: readonly RangePoint[];
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  readonly breaches: (value: number) => boolean;
  readonly current: AlarmState;
  /** EvaluateLowSampleCountPercentile = ignore: low-sample periods do not change the state. */
  readonly ignoreLowSample?: boolean;
}

export interface Evaluation {
  readonly state: AlarmState;
  /** The real datapoints that were evaluated, oldest first. */
  readonly evaluated: readonly RangePoint[];
  readonly breaching: number;
  /** How many of the N evaluated datapoints had to be filled (the docs' "# of data points that must be filled"). */
  readonly filled: number;
  readonly kind: 'datapoints' | 'allMissing' | 'partial' | 'lowSampleIgnored';
}

export function evaluateAlarm(input: EvaluationInput): Evaluation {
  const n = input.evaluationPeriods;
  const m = input.datapointsToAlarm;
  const real = input.points.filter((p) => p.value !== undefined);
  const isBreaching = (p: RangePoint) => input.breaches(p.value!);

  if (real.length >= n) {
    const evaluated = real.slice(real.length - n);
    if (input.ignoreLowSample && evaluated.some((p) => p.lowSample)) {
      return { state: input.current, evaluated, breaching: evaluated.filter(isBreaching).length, filled: 0, kind: 'lowSampleIgnored' };
    }
    const breaching = evaluated.filter(isBreaching).length;
    return { state: breaching >= m ? 'ALARM' : 'OK', evaluated, breaching, filled: 0, kind: 'datapoints' };
  }

  const fills = n - real.length;
  if (input.ignoreLowSample && real.some((p) => p.lowSample)) {
    return { state: input.current, evaluated: real, breaching: real.filter(isBreaching).length, filled: 0, kind: 'lowSampleIgnored' };
  }
  if (real.length === 0) {
    const state: AlarmState = {
      missing: 'INSUFFICIENT_DATA' as const,
      ignore: input.current,
      breaching: (n >= m ? 'ALARM' : 'OK') as AlarmState,
      notBreaching: 'OK' as const,
    }[input.treatMissingData];
    return { state, evaluated: [], breaching: input.treatMissingData === 'breaching' ? n : 0, filled: n, kind: 'allMissing' };
  }

  const realBreaching = real.filter(isBreaching).length;
  switch (input.treatMissingData) {
    case 'breaching': {
      const breaching = realBreaching + fills;
      return { state: breaching >= m ? 'ALARM' : 'OK', evaluated: real, breaching, filled: fills, kind: 'partial' };
    }
    case 'notBreaching':
      return { state: realBreaching >= m ? 'ALARM' : 'OK', evaluated: real, breaching: realBreaching, filled: fills, kind: 'partial' };
    case 'missing':
    case 'ignore': {
      const hasNonBreaching = realBreaching < real.length;
      if (hasNonBreaching || realBreaching >= m) {
        return { state: realBreaching >= m ? 'ALARM' : 'OK', evaluated: real, breaching: realBreaching, filled: fills, kind: 'partial' };
      }
      if (input.treatMissingData === 'ignore') {
        return { state: input.current, evaluated: real, breaching: realBreaching, filled: fills, kind: 'partial' };
      }
      // Only breaching and missing points remain: ALARM once the oldest breaching one is M periods old.
      const points = input.points;
      const oldestBreaching = points.findIndex((p) => p.value !== undefined && input.breaches(p.value));
      const age = points.length - oldestBreaching;
      return { state: age >= m ? 'ALARM' : 'INSUFFICIENT_DATA', evaluated: real, breaching: realBreaching, filled: fills, kind: 'partial' };
    }
  }
}

export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export function comparator(op: string, threshold: number): (v: number) => boolean {
  switch (op) {
    case 'GreaterThanThreshold':
      return (v) => v > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return (v) => v >= threshold;
    case 'LessThanThreshold':
      return (v) => v < threshold;
    case 'LessThanOrEqualToThreshold':
      return (v) => v <= threshold;
    default:
      throw new Error(`ComparisonOperator ${op} is not supported by the simulator`);
  }
}

export function comparisonText(op: string): string {
  return (
    {
      GreaterThanThreshold: 'greater than',
      GreaterThanOrEqualToThreshold: 'greater than or equal to',
      LessThanThreshold: 'less than',
      LessThanOrEqualToThreshold: 'less than or equal to',
    } as Record<string, string>
  )[op] ?? op;
}
