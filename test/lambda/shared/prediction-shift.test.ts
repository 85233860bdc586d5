import {
  judgeShift,
  populationStabilityIndex,
  predictionCounts,
  predictionMetrics,
} from '../../../lambda/shared/prediction-shift';
import type { PredictionShiftPlan } from '../../../lambda/shared/types';
import { CANARY_DIMENSION, CLASS_DIMENSION, SIGNAL_NAMESPACE, SIGNALS, VERSION_DIMENSION } from '../../../runtime/signal-names';

const BINARY = ['positive', 'negative'];

function shiftPlan(overrides: Partial<PredictionShiftPlan> = {}): PredictionShiftPlan {
  return { namespace: 'ModelCanary', canaryName: 'sentiment', classes: BINARY, maxPsi: 0.1, minSamples: 200, ...overrides };
}

/** PSI straight from its definition, on shares: sum of (c - s) * ln(c / s). */
const psiOfShares = (c: number[], s: number[]) => c.reduce((sum, ci, i) => sum + (ci - s[i]) * Math.log(ci / s[i]), 0);

describe('populationStabilityIndex', () => {
  test('the seed example: stable 60 % positive, canary 80 %, is about 0.196 (a moderate shift, above 0.1)', () => {
    const psi = populationStabilityIndex({ positive: 8000, negative: 2000 }, { positive: 6000, negative: 4000 }, BINARY);
    expect(psiOfShares([0.8, 0.2], [0.6, 0.4])).toBeCloseTo(0.196, 3);
    expect(psi).toBeCloseTo(psiOfShares([0.8, 0.2], [0.6, 0.4]), 4);
    expect(psi).toBeGreaterThan(0.1);
  });

  test('identical distributions score about 0, whatever the totals', () => {
    expect(populationStabilityIndex({ positive: 600, negative: 400 }, { positive: 600, negative: 400 }, BINARY)).toBeCloseTo(0, 10);
    expect(populationStabilityIndex({ positive: 300, negative: 200 }, { positive: 6000, negative: 4000 }, BINARY)).toBeLessThan(0.001);
  });

  test('it is symmetric and grows with the shift', () => {
    const stable = { positive: 6000, negative: 4000 };
    const small = { positive: 6500, negative: 3500 };
    const large = { positive: 9000, negative: 1000 };
    expect(populationStabilityIndex(small, stable, BINARY)).toBeCloseTo(populationStabilityIndex(stable, small, BINARY), 10);
    expect(populationStabilityIndex(small, stable, BINARY)).toBeLessThan(populationStabilityIndex({ positive: 8000, negative: 2000 }, stable, BINARY));
    expect(populationStabilityIndex({ positive: 8000, negative: 2000 }, stable, BINARY)).toBeLessThan(populationStabilityIndex(large, stable, BINARY));
  });

  test('a class one side never predicted keeps the index finite (and large)', () => {
    const classes = ['positive', 'negative', 'neutral'];
    const psi = populationStabilityIndex({ positive: 600, negative: 400 }, { positive: 500, negative: 300, neutral: 200 }, classes);
    expect(Number.isFinite(psi)).toBe(true);
    expect(psi).toBeGreaterThan(0.25);
  });

  test('a class neither side predicted adds nothing; counts of classes outside the list are ignored', () => {
    const canary = { positive: 8000, negative: 2000 };
    const stable = { positive: 6000, negative: 4000 };
    const two = populationStabilityIndex(canary, stable, BINARY);
    expect(populationStabilityIndex(canary, stable, [...BINARY, 'neutral'])).toBeCloseTo(two, 3);
    expect(populationStabilityIndex({ ...canary, spam: 5000 }, { ...stable, spam: 10 }, BINARY)).toBeCloseTo(two, 10);
  });

  test('no predictions at all on either side: 0, not NaN', () => {
    expect(populationStabilityIndex({}, {}, BINARY)).toBe(0);
  });
});

describe('judgeShift', () => {
  test('the seed example with enough predictions on both sides: judged, shifted, PSI about 0.196', () => {
    const v = judgeShift(shiftPlan(), { positive: 800, negative: 200 }, { positive: 600, negative: 400 });
    expect(v).toMatchObject({ judged: true, shifted: true, canaryTotal: 1000, stableTotal: 1000 });
    expect(v.psi).toBeCloseTo(0.196, 2);
  });

  test('the same distribution is judged and not shifted', () => {
    const v = judgeShift(shiftPlan(), { positive: 610, negative: 390 }, { positive: 6000, negative: 4000 });
    expect(v).toMatchObject({ judged: true, shifted: false });
    expect(v.psi).toBeLessThan(0.01);
  });

  test.each([
    ['the canary', { positive: 160, negative: 39 }, { positive: 6000, negative: 4000 }],
    ['stable', { positive: 8000, negative: 2000 }, { positive: 119, negative: 80 }],
  ])('fewer than minSamples on %s: not judged, so not shifted however large the PSI', (_side, canary, stable) => {
    const v = judgeShift(shiftPlan(), canary, stable);
    expect(v.psi).toBeGreaterThan(0.1);
    expect(v).toMatchObject({ judged: false, shifted: false });
  });

  test('exactly minSamples on both sides is enough', () => {
    const v = judgeShift(shiftPlan(), { positive: 160, negative: 40 }, { positive: 120, negative: 80 });
    expect(v).toMatchObject({ judged: true, shifted: true, canaryTotal: 200, stableTotal: 200 });
  });

  test('only the plan\'s classes count towards the sample totals', () => {
    const v = judgeShift(shiftPlan(), { positive: 150, negative: 40, unknown: 500 }, { positive: 600, negative: 400 });
    expect(v).toMatchObject({ canaryTotal: 190, judged: false, shifted: false });
  });

  test('shifted only above maxPsi', () => {
    const canary = { positive: 8000, negative: 2000 };
    const stable = { positive: 6000, negative: 4000 };
    const psi = judgeShift(shiftPlan(), canary, stable).psi;
    expect(judgeShift(shiftPlan({ maxPsi: psi + 0.001 }), canary, stable).shifted).toBe(false);
    expect(judgeShift(shiftPlan({ maxPsi: psi - 0.001 }), canary, stable).shifted).toBe(true);
    expect(judgeShift(shiftPlan({ maxPsi: 0.25 }), canary, stable).shifted).toBe(false);
  });

  test('the summary names the class whose share changed most, with both shares', () => {
    const plan = shiftPlan({ classes: ['billing', 'tech', 'other'] });
    // billing 50 → 45 %, tech 30 → 15 %, other 20 → 40 %: "other" moved most.
    const v = judgeShift(plan, { billing: 450, tech: 150, other: 400 }, { billing: 500, tech: 300, other: 200 });
    expect(v.summary).toBe('other 40% on the canary vs 20% on stable');
    // Another order of the classes does not change which one is named.
    const reordered = judgeShift(shiftPlan({ classes: ['other', 'tech', 'billing'] }), { billing: 450, tech: 150, other: 400 }, { billing: 500, tech: 300, other: 200 });
    expect(reordered.summary).toBe(v.summary);
  });

  test('the seed example\'s summary reads as the shift people see', () => {
    const v = judgeShift(shiftPlan(), { positive: 800, negative: 200 }, { positive: 600, negative: 400 });
    expect(v.summary).toMatch(/^(positive 80% on the canary vs 60%|negative 20% on the canary vs 40%) on stable$/);
  });
});

describe('predictionMetrics and predictionCounts', () => {
  const plan = shiftPlan({ namespace: 'Acme/Models', classes: ['positive', 'negative', 'needs review'] });
  const versions = { canary: '6', stable: '5' };

  test('one Prediction metric per class and version, with the runtime helper\'s dimensions and namespace', () => {
    const metrics = predictionMetrics(plan, versions);
    expect(Object.keys(metrics)).toHaveLength(6);
    const seen = Object.values(metrics).map((m) => `${m.dimensions[VERSION_DIMENSION]}/${m.dimensions[CLASS_DIMENSION]}`);
    expect(seen.sort()).toEqual(['5/needs review', '5/negative', '5/positive', '6/needs review', '6/negative', '6/positive']);
    for (const m of Object.values(metrics)) {
      expect(m.namespace).toBe('Acme/Models');
      expect(m.metricName).toBe(SIGNALS.prediction);
      // Exactly the runtime helper's dimension set: CloudWatch matches on the whole set.
      expect(Object.keys(m.dimensions).sort()).toEqual([CANARY_DIMENSION, CLASS_DIMENSION, VERSION_DIMENSION].sort());
      expect(m.dimensions[CANARY_DIMENSION]).toBe('sentiment');
    }
  });

  test('the default namespace of the plan is the runtime helper\'s', () => {
    const metrics = predictionMetrics(shiftPlan({ namespace: SIGNAL_NAMESPACE }), versions);
    expect(new Set(Object.values(metrics).map((m) => m.namespace))).toEqual(new Set([SIGNAL_NAMESPACE]));
  });

  test('query ids are valid GetMetricData ids whatever the class names, and do not collide with the request counts', () => {
    const ids = Object.keys(predictionMetrics(plan, versions));
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    for (const taken of ['canary_requests', 'canary_errors', 'stable_requests', 'stable_errors']) expect(ids).not.toContain(taken);
  });

  test('counts read back per class and version from sums keyed by those ids; a missing id counts 0', () => {
    const metrics = predictionMetrics(plan, versions);
    const sums: Record<string, number> = {};
    for (const [id, m] of Object.entries(metrics)) {
      const version = m.dimensions[VERSION_DIMENSION];
      const k = m.dimensions[CLASS_DIMENSION];
      if (version === '6' && k === 'needs review') continue;
      sums[id] = (version === '6' ? 100 : 1000) + k.length;
    }
    sums.canary_requests = 999_999;
    expect(predictionCounts(plan, sums)).toEqual({
      canary: { positive: 108, negative: 108, 'needs review': 0 },
      stable: { positive: 1008, negative: 1008, 'needs review': 1012 },
    });
  });
});
