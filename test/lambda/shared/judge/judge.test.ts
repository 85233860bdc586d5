import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { judgeGuards, publishEvidence, readGuards } from '../../../../lambda/shared/judge';
import { EVIDENCE_METRIC, JUDGE_NAMESPACE, type JudgePlan } from '../../../../lambda/shared/judge-plan';
import { Random } from '../../../../sim/aws/core/random';
import { answer, traffic, plan, START, versions } from './fake-cloudwatch';

const cloudwatch = mockClient(CloudWatchClient);
beforeEach(() => cloudwatch.reset());


const minutes = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => START + (from + i) * 60);

describe('the judge on CloudWatch aggregates', () => {
  test('reads thresholds from stable before the rollout and asks for PR(:1.2 × T) on the canary, PR(:T) on stable', async () => {
    const random = new Random(3);
    const data = traffic(random, minutes(-5, 6), { '6': 500, '7': 0 }, { '6': { errorRate: 0.01, p50: 100, p95: 700 } });
    cloudwatch.on(GetMetricDataCommand).callsFake(answer(data));
    await readGuards(plan, versions, START + 10, START + 6 * 60 + 5);
    const second = cloudwatch.commandCalls(GetMetricDataCommand)[1].args[0].input;
    const stats = second.MetricDataQueries!.map((q) => `${q.MetricStat!.Metric!.Dimensions!.find((d) => d.Name === 'ExecutedVersion')!.Value}:${q.MetricStat!.Stat}`);
    const t50 = Number(/6:PR\(:([\d.]+)\)/.exec(stats.join(' '))![1]);
    expect(t50).toBeGreaterThan(80);
    expect(t50).toBeLessThan(125);
    expect(stats).toContain(`7:PR(:${Number((t50 * 1.2).toFixed(6))})`);
    expect(second.StartTime!.getTime() / 1000).toBe(START);
  });

  test('a canary failing 25 % of requests from its first minute fires ErrorRateVsStable after one minute; identical latency does not fire', async () => {
    const random = new Random(4);
    const data = traffic(random, minutes(-5, 2), { '6': 1140, '7': 60 }, { '6': { errorRate: 0.01, p50: 100, p95: 700 }, '7': { errorRate: 0.25, p50: 100, p95: 700 } });
    for (const t of minutes(-5, 0)) data.get('7')!.set(t, []);
    cloudwatch.on(GetMetricDataCommand).callsFake(answer(data));
    const verdicts = judgeGuards(plan, await readGuards(plan, versions, START, START + 2 * 60));
    const errors = verdicts.find((v) => v.name === 'ErrorRateVsStable')!;
    const latency = verdicts.find((v) => v.name === 'LatencyVsStable')!;
    expect(errors.worse).toBe(true);
    expect(errors.canary!.trials).toBe(120);
    expect(errors.oddsRatio!.lower).toBeGreaterThan(1.5);
    expect(errors.summary).toMatch(/canary \d+ of 120 .*stable \d+ of 2280 .*odds ratio .*anytime-valid interval .*alpha 0.005/);
    expect(latency.worse).toBe(false);
    expect(latency.log10Evidence).toBeLessThan(latency.threshold);
  });

  test('with an absolute margin (maxIncreasePoints), the canary must also be proven that many points above stable', async () => {
    const random = new Random(7);
    const data = traffic(random, minutes(-5, 3), { '6': 1140, '7': 60 }, { '6': { errorRate: 0.01, p50: 100, p95: 700 }, '7': { errorRate: 0.25, p50: 100, p95: 700 } });
    for (const t of minutes(-5, 0)) data.get('7')!.set(t, []);
    cloudwatch.on(GetMetricDataCommand).callsFake(answer(data));
    const withPoints = (points: number): JudgePlan => ({ ...plan, guards: [{ ...plan.guards[0], maxIncreasePoints: points } as JudgePlan['guards'][number]] });
    const judged = async (points: number) => judgeGuards(withPoints(points), await readGuards(withPoints(points), versions, START, START + 3 * 60))[0];
    // About 24 points above stable, from 180 canary requests: provably more than 2 points, not more than 40.
    expect((await judged(2)).worse).toBe(true);
    const far = await judged(40);
    expect(far.worse).toBe(false);
    expect(far.summary).toMatch(/at least -?[\d.]+ points above stable \(margin 40\)/);
  });

  test('a canary 1.6 × slower at a 25 % share is caught by LatencyVsStable; its errors are not', async () => {
    const random = new Random(5);
    const data = traffic(random, minutes(-5, 4), { '6': 900, '7': 300 }, { '6': { errorRate: 0.01, p50: 800, p95: 6000 }, '7': { errorRate: 0.01, p50: 1280, p95: 9600 } });
    for (const t of minutes(-5, 0)) data.get('7')!.set(t, []);
    cloudwatch.on(GetMetricDataCommand).callsFake(answer(data));
    const verdicts = judgeGuards(plan, await readGuards(plan, versions, START, START + 4 * 60));
    expect(verdicts.find((v) => v.name === 'LatencyVsStable')!.worse).toBe(true);
    expect(verdicts.find((v) => v.name === 'ErrorRateVsStable')!.worse).toBe(false);
  });

  test('without stable traffic before the rollout, the first minute sets the thresholds and is not judged', async () => {
    const random = new Random(6);
    const data = traffic(random, minutes(0, 3), { '6': 600, '7': 60 }, { '6': { errorRate: 0.01, p50: 100, p95: 700 }, '7': { errorRate: 0.01, p50: 100, p95: 700 } });
    cloudwatch.on(GetMetricDataCommand).callsFake(answer(data));
    const readings = await readGuards(plan, versions, START, START + 3 * 60);
    const latency = readings.find((r) => r.guard.name === 'LatencyVsStable')!;
    expect(latency.undecided).toBeUndefined();
    expect(latency.references!.map((r) => r.from)).toEqual([START + 60, START + 60]);
    // One table per minute of the rollout; the first one set the thresholds and is left out.
    expect(latency.comparisons[0].minutes).toHaveLength(3);
    expect(latency.comparisons[0].minutes[0]).toEqual({ canaryTrials: 0, canaryEvents: 0, stableTrials: 0, stableEvents: 0 });
    expect(latency.comparisons[0].minutes[1].canaryTrials).toBe(60);
    const none = await readGuards(plan, versions, START + 3600, START + 3600 + 120);
    expect(none.find((r) => r.guard.name === 'LatencyVsStable')!.undecided).toMatch(/no reference from stable/);
  });

  test('publishes each decided guard as log10 evidence under Canary, Stack, Guard and the canary Version', async () => {
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const verdicts = [
      { name: 'ErrorRateVsStable', test: 'rate' as const, alpha: 0.005, log10Evidence: 2.5, threshold: 2.3, worse: true, minutes: 2, summary: '' },
      { name: 'LatencyVsStable', test: 'scale' as const, alpha: 0.005, log10Evidence: 0, threshold: 2.3, worse: false, minutes: 0, undecided: 'no reference', summary: '' },
    ];
    await publishEvidence(plan, '7', verdicts, START);
    const input = cloudwatch.commandCalls(PutMetricDataCommand)[0].args[0].input;
    expect(input.Namespace).toBe(JUDGE_NAMESPACE);
    expect(input.MetricData).toHaveLength(1);
    expect(input.MetricData![0]).toMatchObject({
      MetricName: EVIDENCE_METRIC,
      Value: 2.5,
      Dimensions: [
        { Name: 'Canary', Value: 'sentiment' },
        { Name: 'Stack', Value: 'Stack' },
        { Name: 'Guard', Value: 'ErrorRateVsStable' },
        { Name: 'Version', Value: '7' },
      ],
    });
  });
});
