import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { firingAlarms, newestValue, readAlarms, type AlarmView } from '../../../lambda/shared/alarms';
import { NOW, metricAlarm } from '../helpers';

const cloudwatch = mockClient(CloudWatchClient);

beforeEach(() => cloudwatch.reset());

describe('readAlarms', () => {
  test('reports the names CloudWatch does not know', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm('ErrorRate')] });
    const { alarms, missing } = await readAlarms(['ErrorRate', 'LatencyP95', 'typo-alarm']);
    expect(alarms.map((a) => a.name)).toEqual(['ErrorRate']);
    expect(missing).toEqual(['LatencyP95', 'typo-alarm']);
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['ErrorRate', 'LatencyP95', 'typo-alarm'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });

  test('versions come from single-metric Dimensions and from Metrics[].MetricStat', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'single',
          StateValue: 'OK',
          Dimensions: [
            { Name: 'FunctionName', Value: 'fn' },
            { Name: 'ExecutedVersion', Value: '6' },
          ],
        },
        { ...metricAlarm('math', { versions: ['6', '5'] }), Metrics: [...metricAlarm('math', { versions: ['6', '5'] }).Metrics!, { Id: 'e1', Expression: 'm0/m1' }] },
        {
          AlarmName: 'sagemaker',
          StateValue: 'OK',
          Dimensions: [
            { Name: 'EndpointName', Value: 'ep' },
            { Name: 'VariantName', Value: 'canary-variant' },
          ],
        },
        { AlarmName: 'unscoped', StateValue: 'OK', Dimensions: [{ Name: 'FunctionName', Value: 'fn' }] },
      ],
    });
    const { alarms } = await readAlarms(['single', 'math', 'sagemaker', 'unscoped']);
    const versions = Object.fromEntries(alarms.map((a) => [a.name, a.versions]));
    expect(versions).toEqual({ single: ['6'], math: ['6', '5'], sagemaker: ['canary-variant'], unscoped: [] });
  });

  test('value is the newest datapoint from StateReasonData; threshold, reason and state-change time are kept', async () => {
    const reasonData = JSON.stringify({ version: '1.0', statistic: 'Average', period: 60, recentDatapoints: [0.01, 0.02, 0.31], threshold: 0.05 });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [metricAlarm('ErrorRate', { state: 'ALARM', reasonData, threshold: 0.05, updatedAt: NOW - 42, reason: 'Threshold Crossed' })],
    });
    const [alarm] = (await readAlarms(['ErrorRate'])).alarms;
    expect(alarm).toEqual({
      name: 'ErrorRate',
      state: 'ALARM',
      updatedAt: NOW - 42,
      reason: 'Threshold Crossed',
      threshold: 0.05,
      value: 0.31,
      configuredAt: expect.any(Number),
      versions: [],
    });
  });

  test('the state-change time is StateTransitionedTimestamp, not a later StateUpdatedTimestamp', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          ...metricAlarm('user-alarm', { state: 'ALARM' }),
          StateTransitionedTimestamp: new Date((NOW - 9000) * 1000),
          StateUpdatedTimestamp: new Date((NOW - 10) * 1000),
        },
      ],
      CompositeAlarms: [
        {
          AlarmName: 'composite',
          StateValue: 'ALARM',
          StateTransitionedTimestamp: new Date((NOW - 8000) * 1000),
          StateUpdatedTimestamp: new Date((NOW - 5) * 1000),
        },
      ],
    });
    const { alarms } = await readAlarms(['user-alarm', 'composite']);
    expect(alarms.map((a) => [a.name, a.updatedAt])).toEqual([
      ['user-alarm', NOW - 9000],
      ['composite', NOW - 8000],
    ]);
  });

  test('reads composite alarms and follows NextToken', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [metricAlarm('a')], NextToken: 't1' })
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'c', StateValue: 'ALARM', StateReason: 'children' }] });
    const { alarms, missing } = await readAlarms(['a', 'c']);
    expect(alarms.map((a) => [a.name, a.state])).toEqual([
      ['a', 'OK'],
      ['c', 'ALARM'],
    ]);
    expect(missing).toEqual([]);
    expect(cloudwatch).toHaveReceivedNthCommandWith(2, DescribeAlarmsCommand, { NextToken: 't1' });
  });

  test('asks for at most 100 names per call', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
      MetricAlarms: input.AlarmNames.map((n) => metricAlarm(n)),
    }));
    const { alarms, missing } = await readAlarms(names);
    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames?.length)).toEqual([100, 50]);
    expect(alarms).toHaveLength(150);
    expect(missing).toEqual([]);
  });

  test('a throttled DescribeAlarms becomes TransientAwsError', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await expect(readAlarms(['a'])).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('newestValue', () => {
  test.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['not json', undefined],
    [JSON.stringify({ recentDatapoints: [1, 2, 3] }), 3],
    [JSON.stringify({ recentDatapoints: [], evaluatedDatapoints: [{ timestamp: 't2' }, { timestamp: 't1', value: 7 }] }), 7],
    [JSON.stringify({ threshold: 1 }), undefined],
  ])('%s -> %s', (data, expected) => {
    expect(newestValue(data)).toBe(expected);
  });
});

describe('firingAlarms', () => {
  const started = NOW - 600;
  const view = (name: string, state: string, updatedAt: number): AlarmView => ({ name, state, updatedAt, reason: '', configuredAt: 0, versions: [] });

  test('only alarms in ALARM count', () => {
    const alarms = [view('ok', 'OK', NOW), view('nodata', 'INSUFFICIENT_DATA', NOW), view('bad', 'ALARM', NOW)];
    expect(firingAlarms(alarms, [], started).map((a) => a.name)).toEqual(['bad']);
  });

  test('an ignored alarm still in the ALARM it was in before the start does not count', () => {
    const alarms = [view('stale', 'ALARM', started - 3600), view('stale-at-start', 'ALARM', started)];
    expect(firingAlarms(alarms, ['stale', 'stale-at-start'], started)).toEqual([]);
  });

  test('an ignored alarm that changed state after the start counts again', () => {
    const alarms = [view('stale', 'ALARM', started + 60)];
    expect(firingAlarms(alarms, ['stale'], started).map((a) => a.name)).toEqual(['stale']);
  });

  test('an alarm that is not on the ignore list counts however old its state', () => {
    const alarms = [view('old', 'ALARM', started - 3600)];
    expect(firingAlarms(alarms, ['other'], started).map((a) => a.name)).toEqual(['old']);
  });
});
