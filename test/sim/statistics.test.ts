/**
 * CloudWatch's statistics as the user guide defines them
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html),
 * each value worked out by hand in the comment beside it.
 */
import { CloudWatchSim, MetricStore, type MetricId } from '../../sim';
import { isStatistic, parseStatistic, statistic } from '../../sim/aws/cloudwatch/statistics';

const ONE_TO_TEN = [10, 3, 7, 1, 9, 2, 8, 4, 6, 5]; // unsorted on purpose

describe('standard statistics and percentiles', () => {
  it.each([
    ['Sum', 55],
    ['SampleCount', 10],
    ['Average', 5.5],
    ['Minimum', 1],
    ['Maximum', 10],
    ['p50', 5], // nearest rank: ceil(0.5 * 10) = 5th value
    ['p90', 9],
    ['p95', 10], // ceil(9.5) = 10th
    ['p0', 1],
    ['p100', 10],
  ])('%s of 1..10 is %d', (stat, expected) => {
    expect(statistic(stat, ONE_TO_TEN)).toBe(expected);
  });
});

describe('trimmed and winsorized statistics with percentage bounds', () => {
  it.each([
    // tm90 = TM(:90%): p90 = 9, keep values <= 9: 1..9, mean 45 / 9 = 5.
    ['tm90', 5],
    ['tc90', 9],
    ['ts90', 45],
    // wm90: the value above p90 (10) counts as 9: (45 + 9) / 10.
    ['wm90', 5.4],
    // TM(10%:90%): p10 = 1 (exclusive), p90 = 9 (inclusive): keep 2..9, mean 44 / 8.
    ['TM(10%:90%)', 5.5],
    ['TC(10%:90%)', 8],
    ['TS(10%:90%)', 44],
    // WM(10%:90%): nothing is below p10 = 1; 10 counts as 9: 54 / 10.
    ['WM(10%:90%)', 5.4],
    // IQM = TM(25%:75%): p25 = 3rd value = 3 (exclusive), p75 = 8th value = 8: keep 4..8, mean 6.
    ['IQM', 6],
    // TS(80%:): drops the lowest 80 % (p80 = 8, exclusive): 9 + 10.
    ['TS(80%:)', 19],
    // TM(0%:50%): a 0 % lower bound cuts nothing; p50 = 5: 1..5, mean 3.
    ['TM(0%:50%)', 3],
  ])('%s of 1..10 is %d', (stat, expected) => {
    expect(statistic(stat, ONE_TO_TEN)).toBeCloseTo(expected, 10);
  });

  it('the short form is the range with only an upper percentage (tm99 = TM(:99%))', () => {
    const values = [...ONE_TO_TEN, 100, 200];
    for (const k of ['tm', 'tc', 'ts', 'wm']) expect(statistic(`${k}75`, values)).toBe(statistic(`${k.toUpperCase()}(:75%)`, values));
  });
});

describe('absolute bounds: lower exclusive, upper inclusive', () => {
  it.each([
    // (3, 7]: 4, 5, 6, 7.
    ['TC(3:7)', 4],
    ['TS(3:7)', 22],
    ['TM(3:7)', 5.5],
    // <= 4: 1, 2, 3, 4.
    ['TC(:4)', 4],
    // > 8: 9, 10.
    ['TC(8:)', 2],
    // > 10: none (the lower bound is exclusive); <= 10: all.
    ['TC(10:)', 0],
    ['TC(:10)', 10],
    // PR(:3): 1, 2, 3 of 10 values = 30 %.
    ['PR(:3)', 30],
    ['PR(3:7)', 40],
    ['PR(10:)', 0],
    // WM(3:7): 1, 2 count as 3; 8, 9, 10 as 7: 3+3+3+4+5+6+7+7+7+7 = 52, / 10.
    ['WM(3:7)', 5.2],
  ])('%s of 1..10 is %d', (stat, expected) => {
    expect(statistic(stat, ONE_TO_TEN)).toBeCloseTo(expected, 10);
  });

  it('counts as the page\'s example says: TC(0.005:0.030) is "between 0.005 (exclusive) and 0.030 (inclusive)"', () => {
    expect(statistic('TC(0.005:0.030)', [0.005, 0.01, 0.03, 0.031])).toBe(2);
  });

  it('counts values above a decimal threshold and at most a threshold (the judge\'s reads)', () => {
    expect(statistic('TC(812.5:)', [812.5, 812.6, 900, 100])).toBe(2);
    expect(statistic('TC(:40)', [40, 40.0001, 10])).toBe(2);
  });

  it('a trimmed mean with no value in range has no value (NaN: no datapoint); counts and sums are 0', () => {
    expect(statistic('TM(100:200)', ONE_TO_TEN)).toBeNaN();
    expect(statistic('TC(100:200)', ONE_TO_TEN)).toBe(0);
    expect(statistic('TS(100:200)', ONE_TO_TEN)).toBe(0);
  });
});

describe('malformed statistics', () => {
  it.each([
    ['tm(10%:90%)', 'lowercase only with one number'],
    ['TM90', 'uppercase only with a range'],
    ['iqm', 'IQM is upper-case'],
    ['sum', 'case-sensitive'],
    ['TM(10%:500)', 'one bound a percentage, the other a value'],
    ['PR(10%:90%)', 'PR takes values'],
    ['TM(90%:10%)', 'lower above upper'],
    ['TC(5:5)', 'empty range'],
    ['TM(:)', 'no bound'],
    ['TM(10%:101%)', 'a percentage over 100'],
    ['tm101', 'a percentage over 100'],
    ['p101', 'a percentile over 100'],
    ['TC(1.12345678901:)', 'more than 10 decimal places'],
    ['TC(-1:)', 'not a number CloudWatch reads'],
    ['TC(500)', 'no colon'],
    ['pr90', 'no short form for PR'],
    ['Median', 'not a statistic'],
    ['', 'empty'],
  ])('%s is rejected (%s)', (stat) => {
    expect(isStatistic(stat)).toBe(false);
    expect(() => parseStatistic(stat)).toThrow(expect.objectContaining({ name: 'ValidationError', $metadata: expect.objectContaining({ httpStatusCode: 400 }) }));
  });

  it.each(['TC(812.5:)', 'TC(:40)', 'tm90', 'tc90', 'ts99.5', 'wm98', 'IQM', 'PR(:300)', 'PR(100:2000)', 'TM(2%:98%)', 'TS(80%:)', 'TC(0.005:0.030)', 'p99.9'])(
    '%s is accepted',
    (stat) => expect(isStatistic(stat)).toBe(true),
  );

  it('GetMetricData names the query: "The value X for parameter MetricDataQueries.member.N.MetricStat.Stat is not a valid statistic."', () => {
    const cw = new CloudWatchSim(new MetricStore(), () => T0 + 10 * MIN, () => undefined);
    const query = (Id: string, Stat: string) => ({ Id, MetricStat: { Metric: { Namespace: 'ModelCanary', MetricName: 'Latency' }, Period: 60, Stat } });
    expect(() =>
      cw.getMetricData({ StartTime: new Date(T0), EndTime: new Date(T0 + 5 * MIN), MetricDataQueries: [query('a', 'Sum'), query('b', 'TM90')] }),
    ).toThrow('The value TM90 for parameter MetricDataQueries.member.2.MetricStat.Stat is not a valid statistic.');
  });
});

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const MIN = 60_000;

describe('which metrics have percentile-family statistics', () => {
  const lambda = (metricName: string): MetricId => ({ namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: 'fn', Resource: 'fn:live', ExecutedVersion: '2' } });
  const sagemaker = (metricName: string): MetricId => ({ namespace: 'AWS/SageMaker', metricName, dimensions: { EndpointName: 'ep', VariantName: 'v2' } });
  const custom = (metricName: string): MetricId => ({ namespace: 'ModelCanary', metricName, dimensions: { Canary: 'c', Version: '2' } });
  const read = (store: MetricStore, id: MetricId, stat: string) => store.window(id, stat, T0, T0 + MIN, T0 + MIN)?.value;

  function filled(ids: MetricId[]): MetricStore {
    const store = new MetricStore();
    for (const id of ids) [1, 2, 3, 4].forEach((v, i) => store.put(id, T0 + i, v));
    return store;
  }

  it('Lambda Duration, SageMaker ModelLatency and custom (EMF) metrics have them', () => {
    const ids = [lambda('Duration'), sagemaker('ModelLatency'), custom('TotalTokens')];
    const store = filled(ids);
    for (const id of ids) {
      expect(read(store, id, 'p50')).toBe(2); // ceil(0.5 * 4) = 2nd value
      expect(read(store, id, 'TC(2:)')).toBe(2); // 3 and 4
      // IQM of 1..4: p25 = 1st value = 1 (exclusive), p75 = 3rd = 3: keep 2, 3, mean 2.5.
      expect(read(store, id, 'IQM')).toBe(2.5);
    }
  });

  it('a service metric kept as a statistic set gives no datapoint for them, and still its Sum', () => {
    const ids = [lambda('Invocations'), lambda('Errors'), sagemaker('Invocation5XXErrors'), sagemaker('OverheadLatency')];
    const store = filled(ids);
    for (const id of ids) {
      for (const stat of ['p50', 'TC(0:)', 'TM(10%:90%)', 'IQM', 'PR(:3)', 'wm90']) expect(read(store, id, stat)).toBeUndefined();
      expect(read(store, id, 'Sum')).toBe(10);
    }
  });

  it('PutMetricData StatisticValues: a set of unequal values has only the standard statistics; equal values count as raw', () => {
    const store = new MetricStore();
    const spread = custom('Spread');
    const equal = custom('Equal');
    store.putStatisticSet(spread, T0, { sampleCount: 3, sum: 6, minimum: 1, maximum: 3 });
    store.putStatisticSet(equal, T0, { sampleCount: 3, sum: 6, minimum: 2, maximum: 2 });
    expect(read(store, spread, 'p50')).toBeUndefined();
    expect([read(store, spread, 'Sum'), read(store, spread, 'SampleCount'), read(store, spread, 'Average'), read(store, spread, 'Minimum'), read(store, spread, 'Maximum')]).toEqual([6, 3, 2, 1, 3]);
    expect(read(store, equal, 'p50')).toBe(2);
    expect(read(store, equal, 'TC(1:)')).toBe(3);
  });

  it('none when any value is negative ("not available for metrics when any of the metric values are negative numbers")', () => {
    const store = new MetricStore();
    const id = custom('Delta');
    [-1, 2, 3].forEach((v, i) => store.put(id, T0 + i, v));
    expect(read(store, id, 'p50')).toBeUndefined();
    expect(read(store, id, 'Sum')).toBe(4);
  });
});
