import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { countRequests } from '../../../lambda/shared/metrics';
import { LambdaAliasTarget } from '../../../lambda/targets/lambda-alias/target';
import { ALIAS_NAME, FUNCTION_NAME, NOW } from '../helpers';

const cloudwatch = mockClient(CloudWatchClient);
const target = new LambdaAliasTarget({ kind: 'lambda-alias', functionName: FUNCTION_NAME, aliasName: ALIAS_NAME });
const versions = { canary: '6', stable: '5' };

beforeEach(() => cloudwatch.reset());

describe('countRequests', () => {
  test('sums the values of each query', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'canary_requests', Values: [10, 20, 5] },
        { Id: 'canary_errors', Values: [1, 0, 2] },
        { Id: 'stable_requests', Values: [400, 380] },
        { Id: 'stable_errors', Values: [] },
      ],
    });
    const counts = await countRequests(target, versions, NOW - 600, NOW);
    expect(counts).toEqual({ canary: { requests: 35, errors: 3 }, stable: { requests: 780, errors: 0 } });
  });

  test('follows NextToken and adds the pages up', async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'canary_requests', Values: [10] }], NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'canary_requests', Values: [15] }, { Id: 'stable_requests', Values: [7] }] });
    const counts = await countRequests(target, versions, NOW - 600, NOW);
    expect(counts.canary.requests).toBe(25);
    expect(counts.stable.requests).toBe(7);
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(cloudwatch).toHaveReceivedNthCommandWith(2, GetMetricDataCommand, { NextToken: 'page-2' });
  });

  test('queries Invocations and Errors per version with Resource "fn:alias" and ExecutedVersion, 60 s Sum', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await countRequests(target, versions, NOW - 600, NOW);
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    const byId = Object.fromEntries((input.MetricDataQueries ?? []).map((q) => [q.Id, q.MetricStat]));
    expect(Object.keys(byId).sort()).toEqual(['canary_errors', 'canary_requests', 'stable_errors', 'stable_requests']);
    expect(byId.canary_requests).toEqual({
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        Dimensions: [
          { Name: 'FunctionName', Value: FUNCTION_NAME },
          { Name: 'Resource', Value: `${FUNCTION_NAME}:${ALIAS_NAME}` },
          { Name: 'ExecutedVersion', Value: '6' },
        ],
      },
      Period: 60,
      Stat: 'Sum',
    });
    expect(byId.stable_errors?.Metric?.MetricName).toBe('Errors');
    expect(byId.stable_errors?.Metric?.Dimensions).toContainEqual({ Name: 'ExecutedVersion', Value: '5' });
  });

  test('the window starts at the minute holding `since` and ends at the next whole minute', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const since = NOW + 90; // 01:30 into the hour
    await countRequests(target, versions, since, NOW + 200);
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date((NOW + 60) * 1000),
      EndTime: new Date((NOW + 240) * 1000),
    });
  });

  test('the window is at least one minute long', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await countRequests(target, versions, NOW, NOW);
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(NOW * 1000),
      EndTime: new Date((NOW + 60) * 1000),
    });
  });

  test('no datapoints count as zero', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({});
    expect(await countRequests(target, versions, NOW - 60, NOW)).toEqual({ canary: { requests: 0, errors: 0 }, stable: { requests: 0, errors: 0 } });
  });
});
