/**
 * High-resolution (1-second) custom metrics and 10-second alarms: PutMetricData StorageResolution 1,
 * EMF "StorageResolution": 1, periods of 1–30 s over them (none over standard data), minute periods
 * that aggregate the seconds, when each is readable, and alarms of 10 s evaluated every 10 s.
 */
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { type AlarmDefinition, CloudWatchSim, DEFAULT_HIGH_RESOLUTION_DELAY_MS, type MetricId, MetricStore, putEmf, SimWorld } from '../../sim';
import { validateScenario } from '../../sim/scenarios/scenario';
import { worldOptions } from '../../sim/scenarios/scenario-run';
import { exampleStack } from '../workflow/helpers';
import { dimList, queryMetric } from './metric-query';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const S = 1000;
const MIN = 60_000;
const HIRES: MetricId = { namespace: 'App', metricName: 'Fast', dimensions: { Service: 'router' } };
const STANDARD: MetricId = { namespace: 'App', metricName: 'Slow', dimensions: { Service: 'router' } };

function cloudwatch(publishDelayMs = 0, highResolutionDelayMs?: number) {
  let now = T0;
  const store = new MetricStore(publishDelayMs, highResolutionDelayMs);
  const cw = new CloudWatchSim(store, () => now, () => undefined);
  return {
    store,
    cw,
    at: (ms: number) => {
      now = ms;
    },
    query: (id: MetricId, stat: string, period: number, start: number, end: number) => queryMetric(cw, id, stat, period, start, end),
  };
}

/** One value a second over [from, from + seconds): the value is the second's index in the minute. */
function everySecond(id: MetricId, from: number, seconds: number, storageResolution?: number): { Namespace: string; MetricData: MetricDatum[] } {
  return {
    Namespace: id.namespace,
    MetricData: Array.from({ length: seconds }, (_, i) => ({
      MetricName: id.metricName,
      Dimensions: dimList(id.dimensions),
      Timestamp: new Date(from + i * S),
      Value: ((from + i * S) % MIN) / S,
      StorageResolution: storageResolution,
    })),
  };
}

describe('PutMetricData StorageResolution 1', () => {
  it('gives datapoints at periods of 1, 5, 10, 20 and 30 s, each the values of its seconds', () => {
    const w = cloudwatch();
    w.at(T0 + MIN);
    w.cw.putMetricData(everySecond(HIRES, T0, 60, 1));
    const tens = w.query(HIRES, 'Sum', 10, T0, T0 + MIN);
    // 0..9, 10..19, ...: 45, 145, 245, ...
    expect(tens.Values).toEqual([45, 145, 245, 345, 445, 545]);
    expect(tens.Timestamps).toEqual([0, 1, 2, 3, 4, 5].map((k) => new Date(T0 + k * 10 * S)));
    expect(w.query(HIRES, 'Maximum', 30, T0, T0 + MIN).Values).toEqual([29, 59]);
    expect(w.query(HIRES, 'SampleCount', 20, T0, T0 + MIN).Values).toEqual([20, 20, 20]);
    expect(w.query(HIRES, 'Sum', 5, T0, T0 + MIN).Values).toHaveLength(12);
    expect(w.query(HIRES, 'Average', 1, T0, T0 + MIN).Values).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Raw values by second: percentiles too.
    expect(w.query(HIRES, 'p50', 10, T0, T0 + 10 * S).Values).toEqual([4]);
  });

  it('the same data at StorageResolution 60 (or none) has no datapoint at a 10-s period, only by minute', () => {
    const w = cloudwatch();
    w.at(T0 + MIN);
    w.cw.putMetricData(everySecond(STANDARD, T0, 60, 60));
    expect(w.query(STANDARD, 'Sum', 10, T0, T0 + MIN).Values).toEqual([]);
    expect(w.query(STANDARD, 'Sum', 1, T0, T0 + MIN).Values).toEqual([]);
    expect(w.query(STANDARD, 'Sum', 60, T0, T0 + MIN).Values).toEqual([1770]);
    const none = { ...STANDARD, metricName: 'NoResolution' };
    w.cw.putMetricData(everySecond(none, T0, 60));
    expect(w.query(none, 'Sum', 30, T0, T0 + MIN).Values).toEqual([]);
  });

  it('a minute period over high-resolution data aggregates its seconds: the same numbers as standard data', () => {
    const w = cloudwatch();
    w.at(T0 + 3 * MIN);
    w.cw.putMetricData(everySecond(HIRES, T0, 120, 1));
    w.cw.putMetricData(everySecond(STANDARD, T0, 120));
    const tens = w.query(HIRES, 'Sum', 10, T0, T0 + MIN).Values!;
    expect(w.query(HIRES, 'Sum', 60, T0, T0 + 2 * MIN).Values).toEqual([tens.reduce((a, b) => a + b, 0), 1770]);
    for (const stat of ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum', 'p90', 'TM(10%:90%)']) {
      expect(w.query(HIRES, stat, 60, T0, T0 + 2 * MIN).Values).toEqual(w.query(STANDARD, stat, 60, T0, T0 + 2 * MIN).Values);
      expect(w.query(HIRES, stat, 120, T0, T0 + 2 * MIN).Values).toEqual(w.query(STANDARD, stat, 120, T0, T0 + 2 * MIN).Values);
    }
  });

  it('is readable once stored (the second in progress included), like standard PutMetricData data', () => {
    const w = cloudwatch(90_000);
    w.at(T0 + 12_300);
    w.cw.putMetricData({ Namespace: HIRES.namespace, MetricData: [{ MetricName: HIRES.metricName, Dimensions: dimList(HIRES.dimensions), Value: 7, StorageResolution: 1 }] });
    expect(w.query(HIRES, 'Maximum', 10, T0, T0 + MIN).Values).toEqual([7]);
    expect(w.query(HIRES, 'Maximum', 60, T0, T0 + MIN).Values).toEqual([7]);
  });

  it('keeps seconds for 3 hours ("Data points with a period of less than 60 seconds are available for 3 hours"); minutes stay', () => {
    const w = cloudwatch();
    w.at(T0 + 10 * S);
    w.cw.putMetricData(everySecond(HIRES, T0, 10, 1));
    w.at(T0 + 3 * 3_600_000);
    expect(w.store.series(HIRES, 'Sum', 10, T0, T0 + MIN, T0 + 3 * 3_600_000)).toHaveLength(1);
    expect(w.store.series(HIRES, 'Sum', 10, T0, T0 + MIN, T0 + 3 * 3_600_000 + 10 * S)).toEqual([]);
    expect(w.store.series(HIRES, 'Sum', 60, T0, T0 + MIN, T0 + 3 * 3_600_000 + 10 * S).map((d) => d.value)).toEqual([45]);
  });
});

describe('the simulator\'s own writers: MetricStore.put(id, ts, value, { highResolution: true })', () => {
  it('keeps seconds for put and putStatisticSet; without `direct` each second is readable at its end plus the delay', () => {
    const store = new MetricStore(0, 5_000);
    store.put(HIRES, T0 + 3_400, 2, { highResolution: true });
    store.putStatisticSet(HIRES, T0 + 3_900, { sampleCount: 2, sum: 10, minimum: 4, maximum: 6 }, { highResolution: true });
    store.put(STANDARD, T0 + 3_400, 2);
    const sums = (id: MetricId, now: number) => store.series(id, 'Sum', 10, T0, T0 + MIN, now).map((d) => d.value);
    expect(sums(HIRES, T0 + 8_999)).toEqual([]);
    expect(sums(HIRES, T0 + 9_000)).toEqual([12]);
    expect(sums(STANDARD, T0 + 2 * MIN)).toEqual([]);
    expect(store.series(HIRES, 'SampleCount', 1, T0, T0 + MIN, T0 + MIN).map((d) => [d.timestamp - T0, d.value])).toEqual([[3_000, 3]]);
  });

  it('with `direct` too, is readable once stored', () => {
    const store = new MetricStore(0, 5_000);
    store.put(HIRES, T0 + 3_400, 2, { highResolution: true, direct: true });
    expect(store.series(HIRES, 'Sum', 10, T0, T0 + MIN, T0 + 3_400).map((d) => d.value)).toEqual([2]);
  });
});

describe('EMF with "StorageResolution": 1 (CloudWatch Logs extraction)', () => {
  const emf = (timestamp: number, value: number | number[], resolution?: number) => ({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: 'App', Dimensions: [['Service']], Metrics: [{ Name: 'Fast', Unit: 'Count', ...(resolution ? { StorageResolution: resolution } : {}) }] }],
    },
    Service: 'router',
    Fast: value,
  });

  it('is readable after its second ends plus the high-resolution delay, not before', () => {
    const w = cloudwatch(60_000, 5_000);
    expect(putEmf(w.store, JSON.stringify(emf(T0 + 12_250, [3, 4], 1)))).toBe(1);
    // Second 09:00:12 ends at 12 s + 1 s; plus 5 s: readable from 09:00:18.
    w.at(T0 + 17_999);
    expect(w.query(HIRES, 'Sum', 10, T0, T0 + MIN).Values).toEqual([]);
    expect(w.query(HIRES, 'Sum', 60, T0, T0 + MIN).Values).toEqual([]);
    w.at(T0 + 18_000);
    expect(w.query(HIRES, 'Sum', 10, T0, T0 + MIN)).toMatchObject({ Values: [7], Timestamps: [new Date(T0 + 10 * S)] });
    // A minute of only such data shows the seconds readable so far, and not the minute's later ones.
    expect(w.query(HIRES, 'Sum', 60, T0, T0 + MIN).Values).toEqual([7]);
    putEmf(w.store, emf(T0 + 40_000, 5, 1));
    w.at(T0 + 45_999);
    expect(w.query(HIRES, 'Sum', 60, T0, T0 + MIN).Values).toEqual([7]);
    w.at(T0 + 46_000);
    expect(w.query(HIRES, 'Sum', 60, T0, T0 + MIN).Values).toEqual([12]);
    expect(w.query(HIRES, 'Sum', 10, T0, T0 + MIN).Values).toEqual([7, 5]);
  });

  it('without StorageResolution is standard: nothing under a minute, the minute at its end plus the publication delay', () => {
    const w = cloudwatch(60_000, 5_000);
    putEmf(w.store, emf(T0 + 12_250, 3));
    w.at(T0 + 10 * MIN);
    expect(w.query(HIRES, 'Sum', 10, T0, T0 + MIN).Values).toEqual([]);
    w.at(T0 + 2 * MIN - 1);
    expect(w.query(HIRES, 'Sum', 60, T0, T0 + MIN).Values).toEqual([]);
    w.at(T0 + 2 * MIN);
    expect(w.query(HIRES, 'Sum', 60, T0, T0 + MIN).Values).toEqual([3]);
  });

  it.each([
    ['a StorageResolution other than 1 or 60', { ...emf(T0, 1), _aws: { Timestamp: T0, CloudWatchMetrics: [{ Namespace: 'App', Dimensions: [['Service']], Metrics: [{ Name: 'Fast', StorageResolution: 10 }] }] } }],
    ['a value that is not a number', { ...emf(T0, 1, 1), Fast: '1' }],
    ['no Timestamp', { ...emf(T0, 1, 1), _aws: { CloudWatchMetrics: [] } }],
    ['text around the JSON', `x ${JSON.stringify(emf(T0, 1, 1))}`],
  ])('extracts nothing from a document with %s', (_what, doc) => {
    const store = new MetricStore();
    expect(putEmf(store, doc)).toBe(0);
    expect(store.list()).toEqual([]);
  });
});

describe('alarms of 10 s in a SimWorld (evaluated every 10 s)', () => {
  let world: SimWorld | undefined;
  afterEach(() => world?.dispose());

  const alarm = (name: string, id: MetricId, period: number, treatMissingData = 'notBreaching'): AlarmDefinition => ({
    AlarmName: name,
    Namespace: id.namespace,
    MetricName: id.metricName,
    Dimensions: dimList(id.dimensions),
    Statistic: 'Maximum',
    Period: period,
    EvaluationPeriods: 1,
    Threshold: 5,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: treatMissingData,
  });

  it('a 10-s alarm on high-resolution data alarms within 10 s of the breach; a 60-s alarm on the same data at the minute tick', async () => {
    world = SimWorld.fromStack(exampleStack());
    const w = world;
    const m = w.now();
    expect(m % MIN).toBe(0);
    w.cloudwatch.putMetricAlarm(alarm('Fast10', HIRES, 10));
    w.cloudwatch.putMetricAlarm(alarm('Fast60', HIRES, 60));
    await w.advance(75);
    const breachAt = w.now();
    w.cloudwatch.putMetricData({ Namespace: HIRES.namespace, MetricData: [{ MetricName: HIRES.metricName, Dimensions: dimList(HIRES.dimensions), Value: 9, StorageResolution: 1 }] });
    await w.advance(60);
    const of = (name: string) => w.cloudwatch.transitions.filter((t) => t.alarmName === name).map((t) => [(t.at - m) / S, t.to]);
    // Both OK at the first minute tick (09:01:00). The 10-s alarm reads [09:01:10, 09:01:20) at 09:01:20,
    // and its evaluation range (1 + 2 periods) holds that datapoint until 09:01:50; the 60-s alarm
    // reads the minute at 09:02:00.
    expect(of('Fast10')).toEqual([[60, 'OK'], [80, 'ALARM'], [110, 'OK']]);
    expect(of('Fast60')).toEqual([[60, 'OK'], [120, 'ALARM']]);
    const alarmed = w.cloudwatch.transitions.find((t) => t.alarmName === 'Fast10' && t.to === 'ALARM')!;
    expect(alarmed.at - breachAt).toBeLessThanOrEqual(10 * S);
  });

  it('EMF high-resolution data reaches a 10-s alarm after the second plus the delay (highResolutionPublishDelaySeconds)', async () => {
    world = SimWorld.fromStack(exampleStack(), { highResolutionPublishDelaySeconds: 20 });
    const w = world;
    expect(w.metrics.highResolutionDelay).toBe(20 * S);
    const m = w.now();
    w.cloudwatch.putMetricAlarm(alarm('Emf10', HIRES, 10));
    await w.advance(65);
    putEmf(w.metrics, { _aws: { Timestamp: w.now(), CloudWatchMetrics: [{ Namespace: 'App', Dimensions: [['Service']], Metrics: [{ Name: 'Fast', StorageResolution: 1 }] }] }, Service: 'router', Fast: 9 });
    await w.advance(60);
    // Second 09:01:05 is readable from 09:01:26 (its end plus 20 s): the 09:01:30 evaluation is the
    // first to see it (09:01:20's with the default 5 s); at 09:01:40 it has left the evaluation range.
    expect(w.cloudwatch.transitions.filter((t) => t.alarmName === 'Emf10').map((t) => [(t.at - m) / S, t.to])).toEqual([[60, 'OK'], [90, 'ALARM'], [100, 'OK']]);
  });

  it('a 10-s alarm on standard data never has a datapoint: INSUFFICIENT_DATA, never ALARM', async () => {
    world = SimWorld.fromStack(exampleStack());
    const w = world;
    w.cloudwatch.putMetricAlarm(alarm('Slow10', STANDARD, 10, 'missing'));
    w.cloudwatch.putMetricAlarm(alarm('Slow60', STANDARD, 60, 'missing'));
    for (let i = 0; i < 180; i++) {
      w.cloudwatch.putMetricData({ Namespace: STANDARD.namespace, MetricData: [{ MetricName: STANDARD.metricName, Dimensions: dimList(STANDARD.dimensions), Value: 9 }] });
      await w.advance(1);
    }
    expect(w.alarm('Slow10')?.state).toBe('INSUFFICIENT_DATA');
    expect(w.cloudwatch.transitions.filter((t) => t.alarmName === 'Slow10')).toEqual([]);
    expect(w.alarm('Slow10')?.lastEvaluation?.points.every((p) => p.value === undefined)).toBe(true);
    // The same data alarms a 60-s alarm: the data is there, only not by second.
    expect(w.alarm('Slow60')?.state).toBe('ALARM');
  });

  it('ticks every 10 s only while an alarm has a period under a minute', async () => {
    world = SimWorld.fromStack(exampleStack());
    const w = world;
    const ticks: boolean[] = [];
    const evaluateDue = w.cloudwatch.evaluateDue.bind(w.cloudwatch);
    w.cloudwatch.evaluateDue = (subMinuteOnly = false) => {
      ticks.push(subMinuteOnly);
      evaluateDue(subMinuteOnly);
    };
    await w.advance(120);
    expect(ticks).toEqual([false, false]);
    // Created after the 09:02:00 tick: evaluated from 09:03:00 on, then every 10 s.
    w.cloudwatch.putMetricAlarm(alarm('Fast10', HIRES, 10));
    await w.advance(110);
    expect(ticks).toEqual([false, false, false, true, true, true, true, true]);
  });
});

describe('the option', () => {
  it(`defaults to ${DEFAULT_HIGH_RESOLUTION_DELAY_MS / S} s, in SimWorld and in a bare MetricStore`, () => {
    expect(DEFAULT_HIGH_RESOLUTION_DELAY_MS).toBe(5_000);
    expect(new MetricStore().highResolutionDelay).toBe(5_000);
    const w = SimWorld.fromStack(exampleStack());
    try {
      expect(w.metrics.highResolutionDelay).toBe(5_000);
    } finally {
      w.dispose();
    }
  });

  it('is taken from a scenario file when given (0 to 600), and left to SimWorld otherwise', () => {
    const version = { errorRate: 0.01, latencyMs: { p50: 100, p95: 200 }, tokensPerRequest: 400, guardrailBlockRate: 0 };
    const file = (extra: Record<string, unknown> = {}) => ({ name: 't', target: 'lambda', durationMinutes: 30, requestsPerSecond: 5, stable: version, canary: version, ...extra });
    expect(worldOptions(validateScenario(file({ highResolutionPublishDelaySeconds: 2 })), 1).highResolutionPublishDelaySeconds).toBe(2);
    expect('highResolutionPublishDelaySeconds' in worldOptions(validateScenario(file()), 1)).toBe(false);
    expect(() => validateScenario(file({ highResolutionPublishDelaySeconds: 601 }))).toThrow('highResolutionPublishDelaySeconds must be a number from 0 to 600');
  });
});
