import { GUARD_NAMES, type JudgePlan } from '../../../lambda/shared/judge-plan';
import type { MetricId, MetricStore } from '../cloudwatch/metrics';

/** The guardrail a canary's BedrockGuardrailBlockRateVsStable guard judges, read from its rollout plan. */
export interface GuardrailVersions {
  readonly guardrailArn: string;
  readonly canaryGuardrailVersion: string;
  readonly stableGuardrailVersion: string;
}

/** Reads GuardrailArn and the two guardrail versions from the judge plan's Bedrock guard (the shared contract). */
export function guardrailVersionsOf(judge: JudgePlan | undefined): GuardrailVersions | undefined {
  const guard = judge?.guards.find((g) => g.name === GUARD_NAMES.bedrockGuardrailBlockRateVsStable);
  if (!guard || guard.test !== 'rate' || !guard.versions) return undefined;
  const arn = guard.trials.dimensions.GuardrailArn;
  if (!arn) return undefined;
  return { guardrailArn: arn, canaryGuardrailVersion: guard.versions.canary, stableGuardrailVersion: guard.versions.stable };
}

/**
 * Bedrock Guardrails' own metrics (namespace AWS/Bedrock/Guardrails, {GuardrailArn, GuardrailVersion}):
 * per request of a model version whose signals include a guardrail, Invocations = 1 and
 * InvocationsIntervened = 0/1. The model version of the latest deploy uses the canary guardrail
 * version, every other one the stable version, unless `modelToGuardrailVersion` says otherwise.
 */
export class BedrockGuardrailsSim {
  private latestDeploy: string | undefined;
  private readonly ids = new Map<string, [MetricId, MetricId]>();

  constructor(
    private readonly store: MetricStore,
    private readonly guardrail: () => GuardrailVersions | undefined,
    private readonly modelToGuardrailVersion?: Readonly<Record<string, string>>,
  ) {}

  public deployed(modelVersion: string): void {
    this.latestDeploy = modelVersion;
  }

  public record(modelVersion: string, intervened: boolean, at: number): void {
    const g = this.guardrail();
    if (!g) return;
    const version =
      this.modelToGuardrailVersion?.[modelVersion] ?? (modelVersion === this.latestDeploy ? g.canaryGuardrailVersion : g.stableGuardrailVersion);
    const key = `${g.guardrailArn}|${version}`;
    let ids = this.ids.get(key);
    if (!ids) {
      const dimensions = { GuardrailArn: g.guardrailArn, GuardrailVersion: version };
      ids = [
        { namespace: 'AWS/Bedrock/Guardrails', metricName: 'Invocations', dimensions },
        { namespace: 'AWS/Bedrock/Guardrails', metricName: 'InvocationsIntervened', dimensions },
      ];
      this.ids.set(key, ids);
    }
    this.store.put(ids[0], at, 1);
    this.store.put(ids[1], at, intervened ? 1 : 0);
  }
}
