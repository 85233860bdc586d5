import { detectionPath, FIRST_MINUTE_WEIGHT, logStartWeight } from '../../../../lambda/shared/judge/detector';
import { ConditionalMinute, type MinuteTable } from '../../../../lambda/shared/judge/odds-ratio';
import { judgeGuards, type GuardReading } from '../../../../lambda/shared/judge/verdict';
import type { JudgePlan, RateGuardPlan } from '../../../../lambda/shared/judge-plan';
import { Random } from '../../../../sim/aws/core/random';

/** A minute with canary odds `ratio` × stable's (stable's event rate `p`). */
function minute(random: Random, canary: number, stable: number, p: number, ratio: number): MinuteTable {
  const odds = (ratio * p) / (1 - p);
  return { canaryTrials: canary, canaryEvents: random.binomial(canary, odds / (1 + odds)), stableTrials: stable, stableEvents: random.binomial(stable, p) };
}

const metric = { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: {} };
const ERRORS: RateGuardPlan & { name: string; description: string } = { name: 'ErrorRateVsStable', description: 'errors', test: 'rate', events: metric, trials: metric, maxRatio: 1.5 };

describe('the change detector (a mixture of e-processes over change times)', () => {
  test('its weights sum to 1: half on the first minute, the rest over the horizon and a tail beyond it', () => {
    const prior = { horizonMinutes: 50 };
    let sum = 0;
    for (let k = 0; k < 100_000; k++) sum += Math.exp(logStartWeight(k, prior));
    // The tail beyond 100,000 minutes holds 0.5 × 0.2 × 50 / 10^5 of it.
    expect(sum).toBeCloseTo(1 - 0.5 * 0.2 * 50e-5, 8);
    expect(Math.exp(logStartWeight(0, prior))).toBe(FIRST_MINUTE_WEIGHT);
    expect(Math.exp(logStartWeight(1, prior))).toBeCloseTo(Math.exp(logStartWeight(50, prior)), 12);
    expect(Math.exp(logStartWeight(51, prior))).toBeLessThan(Math.exp(logStartWeight(50, prior)));
  });

  test('with no minute it is 1, and a minute without information leaves it at 1', () => {
    const prior = { horizonMinutes: 10 };
    expect(detectionPath([], 1.5, prior).logEvidence).toEqual([]);
    const empty = new ConditionalMinute({ canaryTrials: 0, canaryEvents: 0, stableTrials: 0, stableEvents: 0 });
    for (const x of detectionPath([empty, empty, empty], 1.5, prior).logEvidence) expect(x).toBeCloseTo(0, 12);
  });

  // Ville's inequality for the mixture: at the edge of the null (canary odds exactly 1.5 × stable's)
  // every e-process is a martingale, so is the mixture, and it crosses 1/alpha with chance ≤ alpha
  // at any minute, looking after every minute. 2,000 rollouts of 30 minutes (past their 20-minute
  // horizon) at alpha = 0.1; the bench's script checks it at the rollout's alpha over more runs.
  test('under the null, looking after every minute, it crosses 1/alpha in at most alpha of the rollouts', () => {
    const random = new Random(2024);
    const alpha = 0.1;
    const runs = 2000;
    let crossed = 0;
    for (let r = 0; r < runs; r++) {
      const minutes = Array.from({ length: 30 }, () => new ConditionalMinute(minute(random, 20, 80, 0.1, 1.5)));
      const path = detectionPath(minutes, 1.5, { horizonMinutes: 20 }).logEvidence;
      if (path.some((x) => x >= Math.log(1 / alpha))) crossed++;
    }
    // Binomial(2000, 0.1): sd 0.0067; three of them above alpha would mean the bound does not hold.
    expect(crossed / runs).toBeLessThanOrEqual(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs));
  });
});

// Issue 16, finding 1: a regression that starts after a healthy period. 40 requests a second at the
// 50 % step (20 on the canary), errors from 1 % to 3 % after 22 healthy minutes. A single e-process
// from the rollout's start has sunk far below 1 by then and must pay that debt back first; the
// mixture over change times pays at most ln(1/π_k).
describe('a regression that starts after 22 healthy minutes (finding 1)', () => {
  const plan: JudgePlan = { alpha: 0.01, canaryName: 'c', stackName: 's', guards: [ERRORS], horizonMinutes: 50 };
  const tables = (bad: number): MinuteTable[] => {
    const random = new Random(16);
    return Array.from({ length: 22 + bad }, (_, t) => minute(random, 1200, 1200, 0.01, t < 22 ? 1 : 3.06));
  };
  const reading = (minutes: MinuteTable[]): GuardReading[] => [{ guard: ERRORS, comparisons: [{ label: 'errors', psi0: 1.5, side: 'above', minutes }] }];

  test('is not found worse during the healthy minutes', () => {
    expect(judgeGuards(plan, reading(tables(0)))[0].worse).toBe(false);
  });

  test('is found worse within 8 minutes of its onset, naming about when it began', () => {
    const verdict = judgeGuards(plan, reading(tables(8)))[0];
    expect(verdict.worse).toBe(true);
    expect(verdict.summary).toMatch(/the change began about minute 2[0-4] of the rollout/);
    expect(verdict.changeMinute).toBeGreaterThanOrEqual(20);
  });
});
