/**
 * When data becomes readable (the publication delay, for GetMetricData and alarms alike), how
 * GetMetricData lays its periods out, and PutMetricData's limits.
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type AlarmDefinition, CloudWatchSim, type MetricId, MetricStore, SimWorld } from '../../sim';
import { exampleStack } from '../workflow/helpers';
import { dimList, queryMetric } from './metric-query';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const MIN = 60_000;
const EVIDENCE: MetricId = { namespace: 'ModelCanary/Judge', metricName: 'Evidence', dimensions: { Canary: 'c', Stack: 's', Guard: 'g', Version: '2' } };

function world(delayMs = 0) {
  let now = T0;
  const store = new MetricStore(delayMs);
  const transitions: { at: number; to: string }[] = [];
  const cw = new CloudWatchSim(store, () => now, (_a, t) => transitions.push({ at: t.at, to: t.to }));
  return {
    store,
    cw,
    transitions,
    at: (ms: number) => {
      now = ms;
    },
    query: (stat: string, period: number, start: number, end: number, id: MetricId = EVIDENCE) => queryMetric(cw, id, stat, period, start, end),
  };
}

const evidenceAlarm: AlarmDefinition = {
  AlarmName: 'Evidence',
  Namespace: EVIDENCE.namespace,
  MetricName: EVIDENCE.metricName,
  Dimensions: dimList(EVIDENCE.dimensions),
  Statistic: 'Maximum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 2,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'missing',
};

describe('GetMetricData periods', () => {
  it('start at StartTime rounded down to the minute, not at multiples of Period (one 30-minute datapoint from 09:07)', () => {
    const w = world();
    for (let m = 0; m < 45; m++) w.store.put(EVIDENCE, T0 + m * MIN + 1_000, m);
    w.at(T0 + 60 * MIN);
    const r = w.query('SampleCount', 1800, T0 + 7 * MIN + 34_000, T0 + 37 * MIN);
    // Minutes 7..36: 30 values, stamped at 09:07.
    expect(r.Timestamps).toEqual([new Date(T0 + 7 * MIN)]);
    expect(r.Values).toEqual([30]);
    // Sum of 7..36 = 30 * (7 + 36) / 2.
    expect(w.query('Sum', 1800, T0 + 7 * MIN, T0 + 37 * MIN).Values).toEqual([645]);
  });

  it('stop the last period at EndTime (exclusive)', () => {
    const w = world();
    for (let m = 0; m < 45; m++) w.store.put(EVIDENCE, T0 + m * MIN, 1);
    w.at(T0 + 60 * MIN);
    // [09:00, 09:30) and [09:30, 09:40): the second period holds minutes 30..39 only.
    expect(w.query('Sum', 1800, T0, T0 + 40 * MIN).Values).toEqual([30, 10]);
  });
});

describe('the publication delay (metricPublishDelaySeconds)', () => {
  it('hides a minute from GetMetricData until it has ended plus the delay', () => {
    const w = world(90_000);
    w.store.put(EVIDENCE, T0 + 5_000, 3);
    w.at(T0 + MIN + 89_999);
    expect(w.query('Maximum', 60, T0, T0 + 5 * MIN).Values).toEqual([]);
    w.at(T0 + MIN + 90_000);
    expect(w.query('Maximum', 60, T0, T0 + 5 * MIN).Values).toEqual([3]);
  });

  it('does not hold back PutMetricData: its data is readable once stored, the minute in progress included', () => {
    const w = world(90_000);
    w.at(T0 + 20_000);
    w.cw.putMetricData({ Namespace: EVIDENCE.namespace, MetricData: [{ MetricName: EVIDENCE.metricName, Dimensions: dimList(EVIDENCE.dimensions), Value: 2.5 }] });
    expect(w.query('Maximum', 60, T0, T0 + 5 * MIN).Values).toEqual([2.5]);
    // So an alarm on the judge's evidence reads it at the first evaluation after the minute: 09:01.
    w.cw.putMetricAlarm(evidenceAlarm);
    w.at(T0 + MIN);
    w.cw.evaluateDue();
    expect(w.transitions.map((t) => [(t.at - T0) / MIN, t.to])).toEqual([[1, 'ALARM']]);
  });

  it.each([
    // Without delay the 09:00 datapoint is read at 09:01. With 90 s it is visible from 09:02:30, and
    // the first evaluation that reads it is 09:03's (its range is EvaluationPeriods + 2 periods).
    [0, 1],
    [90_000, 3],
  ])('delays an alarm as much (delay %d ms: ALARM at minute %d)', (delay, minute) => {
    const w = world(delay);
    w.cw.putMetricAlarm(evidenceAlarm);
    w.store.put(EVIDENCE, T0 + 5_000, 2.5);
    for (let m = 1; m <= 4; m++) {
      w.at(T0 + m * MIN);
      w.cw.evaluateDue();
    }
    expect(w.transitions.filter((t) => t.to === 'ALARM').map((t) => (t.at - T0) / MIN)).toEqual([minute]);
  });
});

describe('PutMetricData', () => {
  const datum = (d: Partial<MetricDatum> = {}): MetricDatum => ({ MetricName: 'Evidence', Dimensions: dimList(EVIDENCE.dimensions), Value: 1.5, ...d });
  const put = (w: ReturnType<typeof world>, data: MetricDatum[], Namespace = 'ModelCanary/Judge') => w.cw.putMetricData({ Namespace, MetricData: data });

  it('stores a Value at its Timestamp (or now), read like any metric', () => {
    const w = world();
    w.at(T0 + 30_000);
    put(w, [datum({ Value: 1.5 }), datum({ Value: 0.5, Timestamp: new Date(T0 + 40_000) })]);
    expect(w.query('Maximum', 60, T0, T0 + MIN).Values).toEqual([1.5]);
    expect(w.query('SampleCount', 60, T0, T0 + MIN).Values).toEqual([2]);
  });

  it('stores Values with Counts as raw values (percentiles available)', () => {
    const w = world();
    put(w, [datum({ Value: undefined, Values: [1, 10], Counts: [3, 1] })]);
    w.at(T0 + MIN);
    // 1, 1, 1, 10: p50 = 2nd value = 1, TC(1:) = 1.
    expect(w.query('p50', 60, T0, T0 + MIN).Values).toEqual([1]);
    expect(w.query('TC(1:)', 60, T0, T0 + MIN).Values).toEqual([1]);
  });

  it.each([
    ['a namespace beginning with AWS/', [datum()], 'AWS/Lambda', /reserved/],
    ['1,001 metrics', Array.from({ length: 1001 }, () => datum()), undefined, /at most 1000/],
    ['31 dimensions', [datum({ Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'x' })) })], undefined, /at most 30 dimensions/],
    ['NaN', [datum({ Value: NaN })], undefined, /not a supported value/],
    ['a value above 2^360', [datum({ Value: 2 ** 361 })], undefined, /not a supported value/],
    ['a time stamp 3 hours ahead', [datum({ Timestamp: new Date(T0 + 3 * 3_600_000) })], undefined, /Timestamp/],
    ['a time stamp 15 days back', [datum({ Timestamp: new Date(T0 - 15 * 86_400_000) })], undefined, /Timestamp/],
    ['151 values', [datum({ Value: undefined, Values: Array.from({ length: 151 }, () => 1) })], undefined, /at most 150 values/],
    ['Counts of another length', [datum({ Value: undefined, Values: [1, 2], Counts: [1] })], undefined, /as many members/],
    ['Value and StatisticValues', [datum({ StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } })], undefined, /exactly one/],
  ])('rejects %s with InvalidParameterValue and stores nothing of the request', (_what, data, namespace, message) => {
    const w = world();
    const ok = datum({ MetricName: 'Fine' });
    expect(() => put(w, [ok, ...data], namespace)).toThrow(expect.objectContaining({ name: 'InvalidParameterValue', message: expect.stringMatching(message) }));
    expect(w.store.list()).toEqual([]);
  });
});

describe('through the SDK in a SimWorld (what the judge does)', () => {
  let w: SimWorld | undefined;
  afterEach(() => w?.dispose());

  it('GetMetricData sees a Lambda metric only after the publication delay, and PutMetricData data at once', async () => {
    w = SimWorld.fromStack(exampleStack(), { metricPublishDelaySeconds: 120 });
    const world = w;
    const cw = new CloudWatchClient({});
    const t0 = world.now();
    const duration: MetricId = { namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: { FunctionName: 'fn', Resource: 'fn:live', ExecutedVersion: '2' } };
    world.metrics.put(duration, t0, 100);
    await world.drive(cw.send(new PutMetricDataCommand({ Namespace: EVIDENCE.namespace, MetricData: [{ MetricName: EVIDENCE.metricName, Dimensions: dimList(EVIDENCE.dimensions), Value: 1.25 }] })));
    expect(world.apiCalls.map((c) => c.operation)).toContain('PutMetricData');
    const read = async (id: MetricId, Stat: string) =>
      (
        await world.drive(
          cw.send(
            new GetMetricDataCommand({
              StartTime: new Date(t0 - MIN),
              EndTime: new Date(t0 + 10 * MIN),
              MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: id.namespace, MetricName: id.metricName, Dimensions: dimList(id.dimensions) }, Period: 60, Stat } }],
            }),
          ),
        )
      ).MetricDataResults![0].Values;
    expect(await read(EVIDENCE, 'Maximum')).toEqual([1.25]);
    expect(await read(duration, 'Sum')).toEqual([]);
    const minuteEnd = Math.floor(t0 / MIN) * MIN + MIN;
    await world.advance((minuteEnd + 119_000 - world.now()) / 1000);
    expect(await read(duration, 'Sum')).toEqual([]);
    await world.advance(2);
    expect(await read(duration, 'Sum')).toEqual([100]);
  });
});
