/**
 * PutMetricAlarm's documented limits, enforced where the simulator creates or loads an alarm
 * (CloudWatchSim.putMetricAlarm, which both the template loader and the PutMetricAlarm mock use).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 */
import { type AlarmDefinition, CloudWatchSim, MetricStore, synthesizeExampleStack } from '../../sim';
import type { CfnMetricDataQuery } from '../../sim/aws/cloudwatch/alarm-types';

const dims = [{ Name: 'FunctionName', Value: 'fn' }];
const metricQuery = (id: string, overrides: Partial<NonNullable<CfnMetricDataQuery['MetricStat']>> = {}): CfnMetricDataQuery => ({
  Id: id,
  ReturnData: false,
  MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: dims }, Period: 60, Stat: 'Sum', ...overrides },
});

const single = (overrides: Partial<AlarmDefinition> = {}): AlarmDefinition => ({
  AlarmName: 'single',
  ComparisonOperator: 'GreaterThanThreshold',
  Threshold: 1,
  EvaluationPeriods: 3,
  Namespace: 'AWS/Lambda',
  MetricName: 'Errors',
  Dimensions: dims,
  Period: 60,
  Statistic: 'Sum',
  ...overrides,
});

const math = (metrics: CfnMetricDataQuery[], expression = 'm0', overrides: Partial<AlarmDefinition> = {}): AlarmDefinition => ({
  AlarmName: 'math',
  ComparisonOperator: 'GreaterThanThreshold',
  Threshold: 1,
  EvaluationPeriods: 3,
  Metrics: [{ Id: 'expr', Expression: expression, ReturnData: true }, ...metrics],
  ...overrides,
});

function put(def: AlarmDefinition): void {
  new CloudWatchSim(new MetricStore(), () => 0, () => undefined).putMetricAlarm(def);
}

function rejection(def: AlarmDefinition): { name: string; status?: number; message: string } | undefined {
  try {
    put(def);
    return undefined;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
}

const tenMetrics = Array.from({ length: 10 }, (_, i) => metricQuery(`m${i}`));

describe('metric math alarms', () => {
  it('take up to 10 metrics and up to 10 expressions', () => {
    expect(rejection(math(tenMetrics, 'm0 + m9'))).toBeUndefined();
    expect(rejection(math([...tenMetrics, metricQuery('m10')]))).toMatchObject({
      name: 'ValidationError',
      status: 400,
      message: expect.stringMatching(/11 metrics .* at most 10/),
    });
    const tenExpressions = Array.from({ length: 9 }, (_, i): CfnMetricDataQuery => ({ Id: `e${i}`, Expression: 'm0 * 2', ReturnData: false }));
    expect(rejection(math([metricQuery('m0'), ...tenExpressions]))).toBeUndefined();
    const eleven = [...tenExpressions, { Id: 'e9', Expression: 'm0 * 3', ReturnData: false }];
    expect(rejection(math([metricQuery('m0'), ...eleven]))?.message).toMatch(/11 expressions; an alarm takes at most 10/);
  });

  it('use one period for every metric', () => {
    expect(rejection(math([metricQuery('m0'), metricQuery('m1', { Period: 300 })], 'm0 / m1'))?.message).toMatch(/same period; found 60, 300/);
    expect(rejection(math([metricQuery('m0', { Period: 300 }), metricQuery('m1', { Period: 300 })], 'm0 / m1'))).toBeUndefined();
  });

  it('have exactly one entry that returns data', () => {
    const both = math([{ ...metricQuery('m0'), ReturnData: true }]);
    expect(rejection(both)?.message).toMatch(/exactly one entry of Metrics must have ReturnData true \(found 2\)/);
  });

  it('reject function names that are not in uppercase letters ("All functions must be written in uppercase letters")', () => {
    expect(rejection(math([metricQuery('m0')], 'fill(m0, 0)'))).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/fill must be written in uppercase letters \(FILL\)/) });
    expect(rejection(math([metricQuery('m0')], 'If(m0 > 1, 1, 0)'))?.message).toMatch(/If must be written in uppercase/);
    expect(rejection(math([metricQuery('m0')], 'IF(m0 > 1, 1, FILL(m0, 0))'))).toBeUndefined();
  });

  it('reject an expression that reads an id not in Metrics, or does not parse', () => {
    expect(rejection(math([metricQuery('m0')], 'm0 / m1'))?.message).toMatch(/reads m1, which is not an id/);
    expect(rejection(math([metricQuery('m0')], 'm0 +'))?.message).toMatch(/not valid metric math/);
  });

  it('reject a statistic spelled in the wrong case', () => {
    expect(rejection(math([metricQuery('m0', { Stat: 'average' })]))?.message).toMatch(/case-sensitive, use Average/);
  });
});

describe('evaluation periods', () => {
  // "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period
  // of less than one hour (3,600 seconds), the total evaluation period can't be longer than one day."
  it('span at most one day when the period is under an hour', () => {
    expect(rejection(single({ Period: 300, EvaluationPeriods: 288 }))).toBeUndefined();
    expect(rejection(single({ Period: 300, EvaluationPeriods: 289 }))?.message).toMatch(/86700 s, more than 86400 s \(one day/);
    expect(rejection(math([metricQuery('m0', { Period: 60 })], 'm0', { EvaluationPeriods: 1441 }))?.message).toMatch(/more than 86400 s/);
  });

  it('span at most seven days with periods of an hour or more', () => {
    expect(rejection(single({ Period: 3600, EvaluationPeriods: 168 }))).toBeUndefined();
    expect(rejection(single({ Period: 3600, EvaluationPeriods: 169 }))?.message).toMatch(/608400 s, more than 604800 s \(seven days\)/);
  });

  it('use a period of 10, 20, 30 or a multiple of 60 seconds', () => {
    for (const Period of [10, 20, 30, 60, 120]) expect(rejection(single({ Period }))).toBeUndefined();
    expect(rejection(single({ Period: 90 }))?.message).toMatch(/Period 90 is not valid/);
  });
});

describe('statistics', () => {
  it('accept the Statistic enumeration only, case-sensitive', () => {
    for (const Statistic of ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']) expect(rejection(single({ Statistic }))).toBeUndefined();
    expect(rejection(single({ Statistic: 'average' }))?.message).toMatch(/Statistic average is not valid: statistics are case-sensitive, use Average/);
    expect(rejection(single({ Statistic: 'p95' }))?.message).toMatch(/percentiles go in ExtendedStatistic/);
  });

  it('accept the documented ExtendedStatistic forms', () => {
    for (const ExtendedStatistic of ['p0.0', 'p95', 'p99.9', 'p100', 'tm90', 'tc90', 'ts90', 'wm90', 'IQM', 'PR(10:50)', 'TM(10%:90%)', 'TC(20%:80%)', 'TS(10%:)', 'WM(:90%)']) {
      expect({ ExtendedStatistic, problem: rejection(single({ Statistic: undefined, ExtendedStatistic })) }).toEqual({ ExtendedStatistic, problem: undefined });
    }
    for (const ExtendedStatistic of ['p101', 'P95', 'TM(5%:90%)', 'median']) {
      expect(rejection(single({ Statistic: undefined, ExtendedStatistic }))?.name).toBe('ValidationError');
    }
  });

  it('need exactly one of Statistic and ExtendedStatistic', () => {
    expect(rejection(single({ ExtendedStatistic: 'p95' }))?.message).toMatch(/either Statistic or ExtendedStatistic/);
    expect(rejection(single({ Statistic: undefined }))?.message).toMatch(/either Statistic or ExtendedStatistic/);
  });
});

describe('other fields', () => {
  it('reject an unknown TreatMissingData and DatapointsToAlarm above EvaluationPeriods', () => {
    expect(rejection(single({ TreatMissingData: 'NotBreaching' }))?.message).toMatch(/TreatMissingData NotBreaching is not valid/);
    expect(rejection(single({ DatapointsToAlarm: 4 }))?.message).toMatch(/DatapointsToAlarm must be between 1 and EvaluationPeriods/);
  });
});

/** Intrinsics (Ref, Fn::Join, ...) become placeholder strings: the limits do not depend on them. */
function placeholders(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(placeholders);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return 'resolved';
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, placeholders(v)]));
  }
  return value;
}

describe('the alarms the library synthesizes', () => {
  it('all pass PutMetricAlarm validation (example app: Lambda and SageMaker canaries)', () => {
    const { template } = synthesizeExampleStack();
    const alarms = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(10);
    const failures = alarms.flatMap(([id, r]) => {
      const problem = rejection({ ...(placeholders(r.Properties) as AlarmDefinition), AlarmName: id });
      return problem ? [{ id, problem: problem.message }] : [];
    });
    expect(failures).toEqual([]);
  });
});
