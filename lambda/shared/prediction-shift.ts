import { CANARY_DIMENSION, CLASS_DIMENSION, STACK_DIMENSION, VERSION_DIMENSION } from '../../runtime/signal-names';
import type { MetricSpec } from './target';
import type { PredictionShiftPlan } from './types';

export type ClassCounts = Record<string, number>;

export interface ShiftVerdict {
  readonly psi: number;
  readonly canaryTotal: number;
  readonly stableTotal: number;
  /** True when both versions made enough predictions for the PSI to mean something. */
  readonly judged: boolean;
  readonly shifted: boolean;
  /** For a person: the biggest change in share, e.g. "positive 80% vs 60%". */
  readonly summary: string;
}

/**
 * Population stability index of the canary's class shares against the stable version's:
 * sum over classes of (c - s) * ln(c / s). Half a count is added to every class so an unseen class
 * does not make it infinite. 0.1 is the usual line for a moderate shift, 0.25 for a major one.
 */
export function populationStabilityIndex(canary: ClassCounts, stable: ClassCounts, classes: string[]): number {
  const share = (counts: ClassCounts) => {
    const total = classes.reduce((sum, k) => sum + (counts[k] ?? 0) + 0.5, 0);
    return (k: string) => ((counts[k] ?? 0) + 0.5) / total;
  };
  const c = share(canary);
  const s = share(stable);
  return classes.reduce((sum, k) => sum + (c(k) - s(k)) * Math.log(c(k) / s(k)), 0);
}

export function judgeShift(plan: PredictionShiftPlan, canary: ClassCounts, stable: ClassCounts): ShiftVerdict {
  const total = (counts: ClassCounts) => plan.classes.reduce((sum, k) => sum + (counts[k] ?? 0), 0);
  const canaryTotal = total(canary);
  const stableTotal = total(stable);
  const psi = populationStabilityIndex(canary, stable, plan.classes);
  const judged = canaryTotal >= plan.minSamples && stableTotal >= plan.minSamples;
  const shareOf = (counts: ClassCounts, n: number, k: string) => (n > 0 ? (counts[k] ?? 0) / n : 0);
  const biggest = [...plan.classes].sort(
    (a, b) =>
      Math.abs(shareOf(canary, canaryTotal, b) - shareOf(stable, stableTotal, b)) -
      Math.abs(shareOf(canary, canaryTotal, a) - shareOf(stable, stableTotal, a)),
  )[0];
  const p = (x: number) => `${Math.round(x * 100)}%`;
  return {
    psi,
    canaryTotal,
    stableTotal,
    judged,
    shifted: judged && psi > plan.maxPsi,
    summary: `${biggest} ${p(shareOf(canary, canaryTotal, biggest))} on the canary vs ${p(shareOf(stable, stableTotal, biggest))} on stable`,
  };
}

/** Query names and metrics of the per-class prediction counts of both versions. */
export function predictionMetrics(plan: PredictionShiftPlan, versions: { canary: string; stable: string }): Record<string, MetricSpec> {
  const spec = (version: string, k: string): MetricSpec => ({
    namespace: plan.namespace,
    metricName: 'Prediction',
    // Stack: absent in plans from before the dimension (their signals carried none).
    dimensions: { [CANARY_DIMENSION]: plan.canaryName, ...(plan.stackName ? { [STACK_DIMENSION]: plan.stackName } : {}), [VERSION_DIMENSION]: version, [CLASS_DIMENSION]: k },
  });
  const arms = ['canary', 'stable'] as const;
  return Object.fromEntries(arms.flatMap((arm) => plan.classes.map((k, i) => [`${arm}_class${i}`, spec(versions[arm], k)])));
}

/** Reads the per-class counts out of `sumMetrics` results. */
export function predictionCounts(plan: PredictionShiftPlan, sums: Record<string, number>): { canary: ClassCounts; stable: ClassCounts } {
  const counts = (arm: string): ClassCounts => Object.fromEntries(plan.classes.map((k, i) => [k, sums[`${arm}_class${i}`] ?? 0]));
  return { canary: counts('canary'), stable: counts('stable') };
}
