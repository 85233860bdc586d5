/**
 * The simulated CloudWatch: the 1-minute metric lag, GetMetricData statistics, metric math as
 * documented, alarms that watch nothing, low-sample percentiles, DescribeAlarms.
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type AlarmDefinition, CloudWatchSim, evaluateExpression, type MetricId, MetricStore } from '../../sim';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const MIN = 60_000;
const dims = (version: string) => ({ FunctionName: 'fn', Resource: 'fn:live', ExecutedVersion: version });
const metric = (name: string, version = '2'): MetricId => ({ namespace: 'AWS/Lambda', metricName: name, dimensions: dims(version) });
const dimList = (version: string) => Object.entries(dims(version)).map(([Name, Value]) => ({ Name, Value }));

function setup() {
  let now = T0;
  const store = new MetricStore();
  const events: { alarm: string; to: string }[] = [];
  const cw = new CloudWatchSim(store, () => now, (a, t) => events.push({ alarm: a.definition.AlarmName, to: t.to }));
  return {
    store,
    cw,
    events,
    at: (ms: number) => {
      now = ms;
    },
    /** Advances minute by minute, evaluating alarms at each boundary as CloudWatch does. */
    minutes: (n: number, each?: (minuteStart: number) => void) => {
      for (let i = 0; i < n; i++) {
        each?.(now);
        now += MIN;
        cw.evaluateDue();
      }
    },
  };
}

/** One minute of canary traffic: `requests` invocations, `errors` of them failed, each lasting `ms`. */
function traffic(store: MetricStore, at: number, requests: number, errors: number, ms = 100, version = '2'): void {
  for (let i = 0; i < requests; i++) {
    store.put(metric('Invocations', version), at + i, 1);
    store.put(metric('Errors', version), at + i, i < errors ? 1 : 0);
    store.put(metric('Duration', version), at + i, ms);
  }
}

const errorRateAlarm = (overrides: Partial<AlarmDefinition> = {}): AlarmDefinition => ({
  AlarmName: 'ErrorRate',
  ComparisonOperator: 'GreaterThanThreshold',
  Threshold: 5,
  EvaluationPeriods: 3,
  DatapointsToAlarm: 3,
  TreatMissingData: 'notBreaching',
  Metrics: [
    { Id: 'expr_1', Expression: '100 * FILL(canaryErrors, 0) / canaryRequests', ReturnData: true },
    { Id: 'canaryErrors', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: dimList('2') }, Period: 60, Stat: 'Sum' } },
    { Id: 'canaryRequests', ReturnData: false, MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dimList('2') }, Period: 60, Stat: 'Sum' } },
  ],
  ...overrides,
});

describe('metrics', () => {
  it('shows a minute only once it has ended, stamped at its start', () => {
    const { store, cw, at } = setup();
    traffic(store, T0 + 5_000, 10, 2);
    const query = () =>
      cw.getMetricData(
        new GetMetricDataCommand({
          StartTime: new Date(T0 - 5 * MIN),
          EndTime: new Date(T0 + 5 * MIN),
          MetricDataQueries: [
            { Id: 'n', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dimList('2') }, Period: 60, Stat: 'Sum' } },
            { Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: dimList('2') }, Period: 60, Stat: 'Average' } },
          ],
        }).input,
      ).MetricDataResults!;
    at(T0 + 59_999);
    expect(query().map((r) => r.Values)).toEqual([[], []]);
    at(T0 + MIN);
    const [n, e] = query();
    expect(n.Values).toEqual([10]);
    expect(n.Timestamps).toEqual([new Date(T0)]);
    expect(e.Values).toEqual([0.2]);
  });

  it('delays visibility further with a publish delay', () => {
    const store = new MetricStore(90_000);
    traffic(store, T0, 3, 0);
    expect(store.series(metric('Invocations'), 'Sum', 60, T0, T0 + MIN, T0 + MIN + 89_999)).toEqual([]);
    expect(store.series(metric('Invocations'), 'Sum', 60, T0, T0 + MIN, T0 + MIN + 90_000)).toHaveLength(1);
  });

  it('computes Sum, SampleCount, Average, Minimum, Maximum and percentiles per period', () => {
    const store = new MetricStore();
    [10, 20, 30, 40, 1000].forEach((v, i) => store.put(metric('Duration'), T0 + i, v));
    const stat = (s: string) => store.series(metric('Duration'), s, 60, T0, T0 + MIN, T0 + MIN)[0].value;
    expect([stat('Sum'), stat('SampleCount'), stat('Average'), stat('Minimum'), stat('Maximum')]).toEqual([1100, 5, 220, 10, 1000]);
    expect(stat('p50')).toBe(30);
    expect(stat('p95')).toBe(1000);
  });

  it('treats a different dimension set as a different metric', () => {
    const store = new MetricStore();
    traffic(store, T0, 5, 0);
    const arn = { ...metric('Invocations'), dimensions: { ...dims('2'), Resource: 'arn:aws:lambda:us-east-1:123456789012:function:fn:live' } };
    const noVersion = { ...metric('Invocations'), dimensions: { FunctionName: 'fn', Resource: 'fn:live' } };
    expect(store.series(arn, 'Sum', 60, T0, T0 + MIN, T0 + MIN)).toEqual([]);
    expect(store.series(noVersion, 'Sum', 60, T0, T0 + MIN, T0 + MIN)).toEqual([]);
  });
});

describe('metric math (documented semantics)', () => {
  const grid = [0, 1, 2, 3].map((i) => T0 + i * MIN);
  const series = (values: (number | undefined)[]) => new Map(values.flatMap((v, i) => (v === undefined ? [] : [[grid[i], v] as [number, number]])));
  const ctx = (m: Record<string, (number | undefined)[]>) => ({ grid, series: (id: string) => series(m[id]) });
  const values = (expr: string, m: Record<string, (number | undefined)[]>) => {
    const out = evaluateExpression(expr, ctx(m));
    if (out.kind !== 'ts') throw new Error('expected a time series');
    return grid.map((t) => out.points.get(t));
  };

  it('drops a datapoint that divides by zero (or by a missing value, which counts as 0)', () => {
    expect(values('100 * FILL(e, 0) / r', { e: [1, undefined, 0, 2], r: [10, 10, undefined, 0] })).toEqual([10, 0, undefined, undefined]);
  });

  it('counts a value missing on one side of a binary operation as 0', () => {
    expect(values('a - b', { a: [150, 150, undefined, 150], b: [140, undefined, 140, undefined] })).toEqual([10, 150, -140, 150]);
  });

  it('IF(cond, x) keeps only the timestamps where cond exists and is non-zero (the documented tables)', () => {
    expect(values('IF(m1, m2, m3)', { m1: [1, 1, 0, 0, undefined].slice(0, 4), m2: [30, undefined, 0, 0], m3: [0, 0, 20, undefined] })).toEqual([30, 0, 20, undefined]);
    expect(values('IF(b, a - b)', { a: [150, 150, undefined, 150], b: [140, undefined, 140, undefined] })).toEqual([10, undefined, -140, undefined]);
  });

  it('compares per timestamp, with 0/1 results (the documented example)', () => {
    const m = { m1: [30, 20, 0, 0], m2: [20, undefined, 20, undefined] };
    expect(values('m1 < m2', m)).toEqual([0, 0, 1, 0]);
    expect(values('m1 >= 30', m)).toEqual([1, 0, 0, 0]);
    expect(values('m1 > 15 AND m2 > 15', m)).toEqual([1, 0, 0, 0]);
  });
});

describe('alarms', () => {
  it('goes to ALARM after N breaching minutes and back to OK, emitting each transition', () => {
    const { store, cw, events, minutes } = setup();
    cw.putMetricAlarm(errorRateAlarm());
    expect(cw.alarms.get('ErrorRate')!.state).toBe('INSUFFICIENT_DATA');
    minutes(2, (m) => traffic(store, m, 100, 1));
    expect(events).toEqual([{ alarm: 'ErrorRate', to: 'OK' }]);
    minutes(2, (m) => traffic(store, m, 100, 20));
    expect(cw.alarms.get('ErrorRate')!.state).toBe('OK');
    minutes(1, (m) => traffic(store, m, 100, 20));
    expect(cw.alarms.get('ErrorRate')!.state).toBe('ALARM');
    minutes(1, (m) => traffic(store, m, 100, 0));
    expect(events.map((e) => e.to)).toEqual(['OK', 'ALARM', 'OK']);
  });

  it('never fires when its dimensions match nothing that is published (Resource given as an ARN)', () => {
    const { store, cw, minutes } = setup();
    const arnDims = dimList('2').map((d) => (d.Name === 'Resource' ? { ...d, Value: 'arn:aws:lambda:us-east-1:123456789012:function:fn:live' } : d));
    cw.putMetricAlarm(
      errorRateAlarm({
        AlarmName: 'Wrong',
        Metrics: errorRateAlarm().Metrics!.map((q) => (q.MetricStat ? { ...q, MetricStat: { ...q.MetricStat, Metric: { ...q.MetricStat.Metric, Dimensions: arnDims } } } : q)),
      }),
    );
    cw.putMetricAlarm(errorRateAlarm({ AlarmName: 'WrongMissing', TreatMissingData: 'missing', Metrics: cw.alarms.get('Wrong')!.definition.Metrics }));
    cw.putMetricAlarm(errorRateAlarm());
    minutes(10, (m) => traffic(store, m, 100, 100));
    expect(cw.alarms.get('ErrorRate')!.state).toBe('ALARM');
    expect(cw.alarms.get('Wrong')!.state).toBe('OK');
    expect(cw.alarms.get('WrongMissing')!.state).toBe('INSUFFICIENT_DATA');
  });

  it('treats missing minutes per TreatMissingData once real datapoints run out', () => {
    const { store, cw, minutes } = setup();
    cw.putMetricAlarm(errorRateAlarm({ AlarmName: 'nb' }));
    cw.putMetricAlarm(errorRateAlarm({ AlarmName: 'br', TreatMissingData: 'breaching' }));
    minutes(3, (m) => traffic(store, m, 100, 0));
    expect([cw.alarms.get('nb')!.state, cw.alarms.get('br')!.state]).toEqual(['OK', 'OK']);
    // Traffic stops: with 3 real points in a 5-period range nothing changes for two minutes...
    minutes(2);
    expect([cw.alarms.get('nb')!.state, cw.alarms.get('br')!.state]).toEqual(['OK', 'OK']);
    // ...then the fills decide.
    minutes(3);
    expect([cw.alarms.get('nb')!.state, cw.alarms.get('br')!.state]).toEqual(['OK', 'ALARM']);
  });

  describe('percentiles with few samples (p95 needs 200 per period)', () => {
    const p95 = (mode: string): AlarmDefinition => ({
      AlarmName: `p95-${mode}`,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 500,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Dimensions: dimList('2'),
      Period: 60,
      ExtendedStatistic: 'p95',
      EvaluateLowSampleCountPercentile: mode,
    });

    it('evaluates anyway with "evaluate", keeps the state with "ignore"', () => {
      const { store, cw, minutes } = setup();
      cw.putMetricAlarm(p95('evaluate'));
      cw.putMetricAlarm(p95('ignore'));
      minutes(3, (m) => traffic(store, m, 30, 0, 900));
      expect(cw.alarms.get('p95-evaluate')!.state).toBe('ALARM');
      expect(cw.alarms.get('p95-ignore')!.state).toBe('INSUFFICIENT_DATA');
      minutes(2, (m) => traffic(store, m, 250, 0, 900));
      expect(cw.alarms.get('p95-ignore')!.state).toBe('ALARM');
    });
  });

  it('describes alarms with state, reason data (recent datapoints, threshold), timestamps and the declared metrics', () => {
    const { store, cw, minutes } = setup();
    cw.putMetricAlarm(errorRateAlarm());
    minutes(4, (m) => traffic(store, m, 50, 10));
    const out = cw.describeAlarms({ AlarmNames: ['ErrorRate', 'DoesNotExist'] });
    expect(out.MetricAlarms).toHaveLength(1);
    const a = out.MetricAlarms![0];
    expect(a).toMatchObject({ AlarmName: 'ErrorRate', StateValue: 'ALARM', Threshold: 5, EvaluationPeriods: 3 });
    expect(a.AlarmArn).toBe('arn:aws:cloudwatch:us-east-1:123456789012:alarm:ErrorRate');
    expect(a.StateTransitionedTimestamp).toEqual(new Date(T0 + 3 * MIN));
    expect(a.Metrics![1].MetricStat!.Metric!.Dimensions).toEqual(dimList('2'));
    const data = JSON.parse(a.StateReasonData!) as { recentDatapoints: number[]; threshold: number };
    expect(data.threshold).toBe(5);
    expect(data.recentDatapoints).toEqual([20, 20, 20]);
    expect(a.StateReason).toMatch(/^Threshold Crossed: 3 out of the last 3 datapoints/);
    expect(cw.describeAlarms({ StateValue: 'OK' }).MetricAlarms).toEqual([]);
    expect(cw.describeAlarms({ AlarmTypes: ['CompositeAlarm'] }).MetricAlarms).toEqual([]);
  });

  it('keeps the state when an alarm is updated (PutMetricAlarm on an existing alarm)', () => {
    const { store, cw, minutes } = setup();
    cw.putMetricAlarm(errorRateAlarm());
    minutes(3, (m) => traffic(store, m, 50, 10));
    expect(cw.alarms.get('ErrorRate')!.state).toBe('ALARM');
    cw.putMetricAlarm(errorRateAlarm({ Threshold: 50 }));
    expect(cw.alarms.get('ErrorRate')!.state).toBe('ALARM');
    minutes(1, (m) => traffic(store, m, 50, 10));
    expect(cw.alarms.get('ErrorRate')!.state).toBe('OK');
  });
});

// "For any period of one minute or longer, an alarm is evaluated every minute": a 5-minute alarm
// evaluated at the end of minute 6 reads minutes 2 to 6.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation
describe('alarms with a period over a minute', () => {
  const fiveMinute = (stat: string, threshold: number, overrides: Partial<AlarmDefinition> = {}): AlarmDefinition => ({
    AlarmName: `five-${stat}`,
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: threshold,
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: dimList('2'),
    Period: 300,
    Statistic: stat,
    ...overrides,
  });

  it('changes state at the minute its data says, not at the next multiple of the period', () => {
    const { store, cw, events, minutes } = setup();
    cw.putMetricAlarm(fiveMinute('Sum', 10));
    minutes(2, (m) => traffic(store, m, 100, 0));
    minutes(1, (m) => traffic(store, m, 100, 20)); // 09:02: 20 errors, visible at 09:03
    expect(cw.alarms.get('five-Sum')!.state).toBe('ALARM');
    expect(cw.alarms.get('five-Sum')!.transitionedAt).toBe(T0 + 3 * MIN);
    // The breaching minute leaves the 5-minute window at 09:08 (window 09:03-09:08), not at 09:10.
    minutes(4, (m) => traffic(store, m, 100, 0));
    expect(cw.alarms.get('five-Sum')!.state).toBe('ALARM');
    minutes(1, (m) => traffic(store, m, 100, 0));
    expect(cw.alarms.get('five-Sum')!.state).toBe('OK');
    expect(cw.alarms.get('five-Sum')!.transitionedAt).toBe(T0 + 8 * MIN);
    expect(events.map((e) => e.to)).toEqual(['OK', 'ALARM', 'OK']);
  });

  it('aggregates each sliding window over its own five minutes (Average, Maximum, SampleCount)', () => {
    const { store, cw, minutes } = setup();
    for (const stat of ['Average', 'Maximum', 'SampleCount', 'Minimum']) cw.putMetricAlarm(fiveMinute(stat, 0));
    minutes(7, (m) => traffic(store, m, 10, m === T0 + 6 * MIN ? 5 : 1));
    // At 09:07 the window is 09:02-09:07: 50 requests, 4 x 1 + 5 errors.
    const value = (stat: string) => cw.alarms.get(`five-${stat}`)!.lastEvaluation!.result.evaluated.at(-1);
    expect(value('Average')).toMatchObject({ timestamp: T0 + 2 * MIN, value: 9 / 50, sampleCount: 50 });
    expect(value('Maximum')!.value).toBe(1);
    expect(value('Minimum')!.value).toBe(0);
    expect(value('SampleCount')!.value).toBe(50);
  });

  it('still reads a percentile over 5 minutes (the latest aligned period until the store exposes raw windows)', () => {
    const { store, cw, minutes } = setup();
    cw.putMetricAlarm(fiveMinute('p95', 500, { Statistic: undefined, ExtendedStatistic: 'p95', MetricName: 'Duration' }));
    minutes(7, (m) => traffic(store, m, 10, 0, 900));
    const evaluated = cw.alarms.get('five-p95')!.lastEvaluation!.result.evaluated.at(-1)!;
    expect(evaluated).toMatchObject({ timestamp: T0 + 2 * MIN, value: 900, sampleCount: 50 });
    expect(cw.alarms.get('five-p95')!.state).toBe('ALARM');
  });

  it('matches the aligned period exactly when the window sits on one (09:05 reads 09:00-09:05)', () => {
    const { store, cw, minutes } = setup();
    cw.putMetricAlarm(fiveMinute('Average', 0));
    minutes(5, (m) => traffic(store, m, 10, (m - T0) / MIN));
    const evaluated = cw.alarms.get('five-Average')!.lastEvaluation!.result.evaluated.at(-1)!;
    const [aligned] = store.series(metric('Errors'), 'Average', 300, T0, T0 + 5 * MIN, T0 + 5 * MIN);
    expect(evaluated).toMatchObject({ timestamp: T0, value: aligned.value, sampleCount: aligned.sampleCount });
  });
});
