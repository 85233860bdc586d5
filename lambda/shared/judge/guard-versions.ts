/**
 * Guards that compare something each model version names in its own environment (a Bedrock
 * guardrail's version, `versionVariable`): the start step reads both versions' values once, so a
 * release that keeps or changes its guardrail needs no edit of the guard.
 */
import { TargetStateError } from '../errors';
import type { JudgePlan } from '../judge-plan';
import type { TrafficTarget } from '../traffic-target';
import type { Release, RolloutProgress } from '../types';

type GuardVersions = NonNullable<RolloutProgress['guardVersions']>;

export async function readGuardVersions(judge: JudgePlan | null | undefined, release: Release, target: TrafficTarget): Promise<GuardVersions | undefined> {
  const guards = (judge?.guards ?? []).filter((g) => g.versionVariable !== undefined);
  if (guards.length === 0) return undefined;
  if (!target.versionEnvironment) {
    throw new TargetStateError(`${target.description} keeps no environment per version: give ${guards.map((g) => g.name).join(', ')} the versions to compare instead of a variable`);
  }
  const environments = new Map<string, Record<string, string>>();
  for (const version of [release.stableVersion, release.canaryVersion]) environments.set(version, await target.versionEnvironment(version));
  const out: Record<string, { canary: string; stable: string }> = {};
  for (const g of guards) {
    const variable = g.versionVariable!;
    const valueOf = (version: string) => {
      const value = environments.get(version)?.[variable];
      if (value === undefined || value === '') {
        throw new TargetStateError(`guard ${g.name} compares the ${variable} each version sets, and version ${version} sets none: set ${variable} in the model's environment (or give the guard canaryVersion and stableVersion)`);
      }
      return value;
    };
    out[g.name] = { stable: valueOf(release.stableVersion), canary: valueOf(release.canaryVersion) };
  }
  return out;
}

/**
 * The judge plan of this rollout: each `versionVariable` guard with the values read at the start;
 * one whose two versions name the same value compares nothing and is left out.
 */
export function planWithGuardVersions(judge: JudgePlan, progress: RolloutProgress): JudgePlan {
  if (!judge.guards.some((g) => g.versionVariable !== undefined)) return judge;
  const guards = judge.guards.flatMap((g) => {
    if (g.versionVariable === undefined) return [g];
    const versions = progress.guardVersions?.[g.name];
    return versions && versions.canary !== versions.stable ? [{ ...g, versions }] : [];
  });
  return { ...judge, guards };
}
