/**
 * What the bench counts as a regression: a canary worse than stable by more than a difference too
 * small to matter (issue 8 §2: "+0.2 points on a 1 % error rate" should be promoted). The scenario
 * format has no "expected outcome" field, so the bench decides from the versions' settings: a
 * scenario whose canary is worse only within these margins is a healthy scenario, and a rollback
 * there is a false rollback. The margins are the bench's reading of "too small to matter", not the
 * library's judge margins; every regression scenario in scenarios/ is far outside them.
 */
import { regressionOnsetMinute, type ScenarioFile, specAt, type VersionSpec, worseThan } from '../scenarios/scenario';

export const PRACTICAL_MARGIN = {
  /** Rates (errors, guardrail blocks, schema failures): worse only when above both stable + 0.5 points and 1.5 × stable. */
  ratePoints: 0.005,
  rateRatio: 1.5,
  /** Latency (p50, p95) and tokens: worse only when more than 10 % above stable. */
  relative: 0.1,
} as const;

/** Whether one aspect `worseThan` names exceeds the margin. */
function material(what: string, canary: VersionSpec, stable: VersionSpec): boolean {
  const rate = (k: 'errorRate' | 'guardrailBlockRate' | 'schemaFailureRate') => {
    const c = canary[k] ?? 0;
    const s = stable[k] ?? 0;
    return c > s + PRACTICAL_MARGIN.ratePoints && c > s * PRACTICAL_MARGIN.rateRatio;
  };
  const rel = (c: number | undefined, s: number | undefined) => (c ?? 0) > (s ?? 0) * (1 + PRACTICAL_MARGIN.relative);
  switch (what) {
    case 'errorRate':
    case 'guardrailBlockRate':
    case 'schemaFailureRate':
      return rate(what);
    case 'tokensPerRequest':
      return rel(canary.tokensPerRequest, stable.tokensPerRequest);
    case 'latencyMs.p50':
      return rel(canary.latencyMs?.p50, stable.latencyMs?.p50);
    case 'latencyMs.p95':
      return rel(canary.latencyMs?.p95, stable.latencyMs?.p95);
    default:
      // Predicted classes and anything new: every difference counts.
      return true;
  }
}

/**
 * The first minute the canary is materially worse than stable (`onset`, undefined: never), and
 * what was worse but within the margin before it (`negligible`).
 */
export function materialRegression(file: ScenarioFile): { onset: { minute: number; what: string[] } | undefined; negligible: string[] } {
  const negligible = new Set<string>();
  if (!regressionOnsetMinute(file)) return { onset: undefined, negligible: [] };
  const moments = [...new Set([0, ...(file.changes ?? []).map((c) => c.atMinute).filter((m) => m !== undefined)])].sort((a, b) => a - b);
  for (const m of moments) {
    const canary = specAt(file, 'canary', m);
    const stable = specAt(file, 'stable', m);
    const worse = worseThan(canary, stable);
    const what = worse.filter((w) => material(w, canary, stable));
    if (what.length > 0) return { onset: { minute: m, what }, negligible: [...negligible] };
    for (const w of worse) negligible.add(w);
  }
  return { onset: undefined, negligible: [...negligible] };
}
