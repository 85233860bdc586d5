import { ALTERNATIVES, ConditionalMinute, logEvidence, minuteLogRatios, type MinuteTable, oddsRatioEstimate, oddsRatioInterval } from '../../../../lambda/shared/judge/odds-ratio';
import { logChoose, logFactorial, logMeanExp, logSumExp } from '../../../../lambda/shared/judge/log-factorial';
import { rateBound } from '../../../../lambda/shared/judge/rate-bounds';
import { Random } from '../../../../sim/aws/core/random';

function minute(random: Random, nc: number, pc: number, ns: number, ps: number): MinuteTable {
  return { canaryTrials: nc, canaryEvents: random.binomial(nc, pc), stableTrials: ns, stableEvents: random.binomial(ns, ps) };
}

/** Minutes until the evidence first reaches 1/alpha (looking after every minute), or null. */
function firstRejection(tables: MinuteTable[], psi0: number, alpha: number): number | null {
  const sums = ALTERNATIVES.map(() => 0);
  for (let i = 0; i < tables.length; i++) {
    minuteLogRatios(new ConditionalMinute(tables[i]), psi0).forEach((x, j) => (sums[j] += x));
    if (logMeanExp(sums) >= Math.log(1 / alpha)) return i + 1;
  }
  return null;
}

describe('log factorial', () => {
  test('exact in the table and continuous into Stirling', () => {
    expect(logFactorial(0)).toBe(0);
    expect(logFactorial(10)).toBeCloseTo(Math.log(3628800), 12);
    let direct = 0;
    for (let i = 2; i <= 1000; i++) direct += Math.log(i);
    expect(logFactorial(1000)).toBeCloseTo(direct, 8);
    expect(Math.exp(logChoose(10, 3))).toBeCloseTo(120, 9);
    expect(() => logFactorial(1.5)).toThrow(/not a non-negative integer/);
  });
});

describe('conditional odds-ratio e-process', () => {
  test('the normalizer, summed outward from the mode, equals the full sum over the support', () => {
    for (const [n1, k, n0, k0] of [[60, 3, 1140, 11], [6000, 3000, 6000, 3100], [300, 290, 900, 10], [5, 5, 5, 0], [1000, 1, 50, 49]]) {
      const total = k + k0;
      for (const logPsi of [-3, -1, 0, 0.4, 1.2, 3]) {
        const terms: number[] = [];
        for (let i = Math.max(0, total - n0); i <= Math.min(n1, total); i++) terms.push(logChoose(n1, i) + logChoose(n0, total - i) + i * logPsi);
        const m = new ConditionalMinute({ canaryTrials: n1, canaryEvents: k, stableTrials: n0, stableEvents: k0 });
        expect(m.logNormalizer(logPsi)).toBeCloseTo(logSumExp(terms), 8);
      }
    }
  });

  test('a degenerate minute carries no evidence', () => {
    const none = new ConditionalMinute({ canaryTrials: 50, canaryEvents: 0, stableTrials: 500, stableEvents: 0 });
    const noStable = new ConditionalMinute({ canaryTrials: 50, canaryEvents: 20, stableTrials: 0, stableEvents: 0 });
    expect(none.degenerate).toBe(true);
    expect(noStable.degenerate).toBe(true);
    expect(logEvidence([none, noStable], 1.5)).toBeCloseTo(0, 12);
  });

  test('identical versions, looked at every minute for 30 minutes: false rejections stay below alpha', () => {
    const random = new Random(11);
    const alpha = 0.05;
    const runs = 600;
    let rejected = 0;
    for (let r = 0; r < runs; r++) {
      const tables = Array.from({ length: 30 }, () => minute(random, 60, 0.02, 600, 0.02));
      if (firstRejection(tables, 1, alpha) !== null) rejected++;
    }
    // Ville: at most alpha over every look. A fixed-sample test peeked at 30 times would exceed it.
    expect(rejected / runs).toBeLessThanOrEqual(alpha);
  });

  test('a true but irrelevant difference (1.2 % vs 1 %) inside the 1.5 margin is not rejected', () => {
    const random = new Random(12);
    let rejected = 0;
    for (let r = 0; r < 200; r++) {
      const tables = Array.from({ length: 40 }, () => minute(random, 300, 0.012, 900, 0.01));
      if (firstRejection(tables, 1.5, 0.01) !== null) rejected++;
    }
    expect(rejected).toBeLessThanOrEqual(2);
  });

  test('1 % → 8 % at a 5 % share of 20 requests a second is rejected within a few minutes', () => {
    const random = new Random(13);
    const times: number[] = [];
    for (let r = 0; r < 100; r++) {
      const tables = Array.from({ length: 10 }, () => minute(random, 60, 0.08, 1140, 0.01));
      times.push(firstRejection(tables, 1.5, 0.0025) ?? 99);
    }
    times.sort((a, b) => a - b);
    expect(times[50]).toBeLessThanOrEqual(3);
    expect(times[90]).toBeLessThanOrEqual(6);
  });

  test('a minute that hits both versions alike (a burst of errors on both) is no evidence against the canary', () => {
    const random = new Random(14);
    const calm = Array.from({ length: 10 }, () => minute(random, 60, 0.01, 1140, 0.01));
    const shock = minute(random, 60, 0.4, 1140, 0.4);
    expect(logEvidence([...calm, shock].map((t) => new ConditionalMinute(t)), 1.5)).toBeLessThan(Math.log(100));
  });

  test('the estimate and the anytime-valid interval cover the true odds ratio', () => {
    const random = new Random(15);
    let covered = 0;
    const runs = 60;
    const trueOr = (0.1 / 0.9) / (0.02 / 0.98);
    for (let r = 0; r < runs; r++) {
      const tables = Array.from({ length: 8 }, () => minute(random, 100, 0.1, 500, 0.02));
      const { lower, upper } = oddsRatioInterval(tables.map((t) => new ConditionalMinute(t)), 0.05);
      if (lower <= trueOr && trueOr <= upper) covered++;
      if (r === 0) expect(oddsRatioEstimate(tables)).toBeGreaterThan(2);
    }
    expect(covered / runs).toBeGreaterThanOrEqual(0.9);
  });
});

describe('rate bounds (absolute margin)', () => {
  test('bound the estimate from both sides and cover the true rate', () => {
    const random = new Random(16);
    let covered = 0;
    for (let r = 0; r < 200; r++) {
      const x = random.binomial(400, 0.05);
      const lo = rateBound(x, 400, 0.05, 'lower');
      const hi = rateBound(x, 400, 0.05, 'upper');
      expect(lo).toBeLessThanOrEqual(x / 400);
      expect(hi).toBeGreaterThanOrEqual(x / 400);
      if (lo <= 0.05 && 0.05 <= hi) covered++;
    }
    expect(covered).toBeGreaterThanOrEqual(190);
    expect(rateBound(0, 0, 0.05, 'upper')).toBe(1);
  });
});
