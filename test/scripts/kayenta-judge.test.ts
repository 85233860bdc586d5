/**
 * The Kayenta-like anchor's judge (sim/bench/kayenta.ts): the Mann-Whitney interval against the
 * pairwise-difference order statistics it approximates, and the classifier's decisions.
 */
import { classifyMetric, mannWhitney, score, wilcoxonDiff } from '../../sim/bench/kayenta';
import { materialRegression } from '../../sim/bench/practical-margin';
import type { ScenarioFile } from '../../sim/scenarios/scenario';

/** A small deterministic generator, so the samples are fixed. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}
const sample = (n: number, shift: number, seed: number) => {
  const r = lcg(seed);
  return Array.from({ length: n }, () => shift + Math.round(-Math.log(1 - r()) * 1000) / 10);
};

describe('mannWhitney (asymptotic interval on the shift, as Kayenta and R compute it)', () => {
  const x = sample(40, 25, 1);
  const y = sample(30, 0, 2);
  const diffs = x.flatMap((a) => y.map((b) => a - b)).sort((a, b) => a - b);

  it('the estimate is the Hodges-Lehmann estimator: the median of the pairwise differences', () => {
    const m = diffs.length / 2;
    const hl = (diffs[m - 1] + diffs[m]) / 2;
    expect(mannWhitney(x, y, 0.98).estimate).toBeCloseTo(hl, 0);
  });

  it('the 98 % bounds sit at the normal-approximation ranks of the pairwise differences', () => {
    const nx = x.length;
    const ny = y.length;
    const k = Math.floor((nx * ny) / 2 - 2.3263478740408408 * Math.sqrt((nx * ny * (nx + ny + 1)) / 12));
    const r = mannWhitney(x, y, 0.98);
    // Within one order statistic of the textbook position (continuity correction).
    expect(r.lower).toBeGreaterThanOrEqual(diffs[k - 2]);
    expect(r.lower).toBeLessThanOrEqual(diffs[k + 1]);
    expect(r.upper).toBeGreaterThanOrEqual(diffs[diffs.length - k - 2]);
    expect(r.upper).toBeLessThanOrEqual(diffs[diffs.length - k + 1]);
    expect(r.lower).toBeLessThan(r.estimate);
    expect(r.estimate).toBeLessThan(r.upper);
  });

  it('the standardized statistic decreases with the shift and refuses all-tied data', () => {
    expect(wilcoxonDiff(-100, 0, x, y)).toBeGreaterThan(wilcoxonDiff(0, 0, x, y));
    expect(wilcoxonDiff(0, 0, x, y)).toBeGreaterThan(wilcoxonDiff(100, 0, x, y));
    expect(() => wilcoxonDiff(0, 0, [1, 1], [1, 1])).toThrow(/tied/);
  });
});

describe('classifyMetric and score (NetflixACAJudge defaults)', () => {
  const stable = sample(20, 0, 3);
  it('High for a clearly higher canary, Pass for the same distribution or a lower one (direction increase)', () => {
    // Exponential points with mean 100: +300 is far outside the noise, a tenth of stable far below it.
    expect(classifyMetric(sample(20, 300, 4), stable, 'increase')).toBe('High');
    expect(classifyMetric(sample(20, 0, 5), stable, 'increase')).toBe('Pass');
    const lower = sample(20, 0, 6).map((v) => v / 10);
    expect(classifyMetric(lower, stable, 'increase')).toBe('Pass');
    expect(classifyMetric(lower, stable, 'either')).toBe('Low');
  });
  it('no data, identical data and one repeated value', () => {
    expect(classifyMetric([], stable, 'increase')).toBe('Nodata');
    expect(classifyMetric([...stable].reverse(), stable, 'increase')).toBe('Pass');
    expect(classifyMetric([0, 0, 0], [0, 0], 'increase')).toBe('Pass');
  });
  it('the score is the share of passing groups; no data adds nothing', () => {
    expect(score(['Pass', 'Pass'])).toBe(100);
    expect(score(['Pass', 'High'])).toBe(50);
    expect(score(['Pass', 'Nodata'])).toBe(50);
    expect(score([])).toBe(0);
  });
});

describe('materialRegression (what the bench calls a regression)', () => {
  const base: ScenarioFile = {
    name: 'x',
    target: 'lambda',
    durationMinutes: 10,
    requestsPerSecond: 10,
    stable: { errorRate: 0.01, latencyMs: { p50: 120, p95: 300 }, tokensPerRequest: 400, guardrailBlockRate: 0.002 },
    canary: { errorRate: 0.012, latencyMs: { p50: 126, p95: 315 }, tokensPerRequest: 400, guardrailBlockRate: 0.002 },
  };
  it('+0.2 points of errors and +5 % latency are negligible; a later 1 % → 5 % is the onset', () => {
    expect(materialRegression(base)).toEqual({ onset: undefined, negligible: ['errorRate', 'latencyMs.p50', 'latencyMs.p95'] });
    const later = { ...base, changes: [{ atMinute: 7, canary: { errorRate: 0.05 } }] };
    expect(materialRegression(later)).toEqual({ onset: { minute: 7, what: ['errorRate'] }, negligible: ['errorRate', 'latencyMs.p50', 'latencyMs.p95'] });
  });
});
