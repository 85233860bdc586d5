/**
 * Issue 16's findings, at the judge: a quiet stable at deploy (finding 2) and a shared outage in
 * the minute of a step change (finding 4), read from CloudWatch aggregates like the check step
 * reads them. (Finding 1, a late regression, is in detector.test.ts; finding 3, promotion on
 * evidence, in rollout.test.ts and test/workflow/rollout-over-time.test.ts.)
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { judgeGuards, readGuards } from '../../../../lambda/shared/judge';
import { Random } from '../../../../sim/aws/core/random';
import { answer, secondsTraffic, plan, START, versions } from './fake-cloudwatch';

const cloudwatch = mockClient(CloudWatchClient);
beforeEach(() => cloudwatch.reset());

const healthy = { errorRate: 0.01, p50: 120, p95: 300 };

describe('a canary deployed while stable is quiet (finding 2)', () => {
  // 0.2 requests a second (12 a minute: no minute has the 20 a threshold needs), from minute 8 on
  // 6 a second and from minute 16 on 20; the canary 1.8 × slower, at 5 % then 25 % from minute 10.
  const data = secondsTraffic(
    new Random(2),
    START - 5 * 60,
    START + 24 * 60,
    (t) => (t < START + 8 * 60 ? 0.2 : t < START + 16 * 60 ? 6 : 20),
    (t) => (t < START ? 0 : t < START + 10 * 60 ? 0.05 : 0.25),
    (arm) => (arm === 'canary' ? { errorRate: 0.01, p50: 216, p95: 540 } : healthy),
    versions,
  );

  test('takes the latency threshold from stable\'s pooled minutes, and finds the slow canary worse', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(answer(data));
    const readings = await readGuards(plan, versions, START, START + 24 * 60);
    const latency = readings.find((r) => r.guard.name === 'LatencyVsStable')!;
    expect(latency.undecided).toBeUndefined();
    const verdict = judgeGuards(plan, readings).find((v) => v.name === 'LatencyVsStable')!;
    expect(verdict.worse).toBe(true);
  });
});

describe.each([
  ['0 → 5 % (the first step)', 0, 0, 0.05],
  ['5 → 25 %', 10, 0.05, 0.25],
])('a shared outage 2 s after the step %s (finding 4)', (_name, stepMinute, before, after) => {
  // 100 requests a second; the canary's share changes at second 50 of its minute; 2 s later a
  // dependency both versions call fails 90 % of requests and triples latency for a minute. In the
  // minute of the change the canary had a small part of the requests but its full share of the outage's.
  const change = START + stepMinute * 60 + 50;
  const outage = (t: number) => t >= change + 2 && t < change + 62;
  const data = secondsTraffic(
    new Random(4),
    START - 5 * 60,
    START + (stepMinute + 2) * 60,
    () => 100,
    (t) => (t < change ? before : after),
    (_arm, t) => (outage(t) ? { errorRate: 0.9, p50: 360, p95: 900 } : healthy),
    versions,
  );

  test('does not find an identical canary worse at any look: the minute with two weights is not judged as one table', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(answer(data));
    // The look right after the minute of the change is published, and the one after the next minute.
    for (const minutesDone of [1, 2]) {
      const readings = await readGuards(plan, versions, START, START + (stepMinute + minutesDone) * 60, { weightChanges: [{ from: change, to: change + 5 }] });
      const verdicts = judgeGuards(plan, readings);
      expect(verdicts.map((v) => [minutesDone, v.name, v.worse])).toEqual([
        [minutesDone, 'ErrorRateVsStable', false],
        [minutesDone, 'LatencyVsStable', false],
      ]);
      // The minute of the change is left out (a table of zeros); the next one (still in the outage) is judged.
      const minutes = readings[0].comparisons[0].minutes;
      expect(minutes[stepMinute]).toEqual({ canaryTrials: 0, canaryEvents: 0, stableTrials: 0, stableEvents: 0 });
      if (minutesDone === 2) expect(minutes[stepMinute + 1].canaryEvents).toBeGreaterThan(0.3 * minutes[stepMinute + 1].canaryTrials);
    }
  });
});
