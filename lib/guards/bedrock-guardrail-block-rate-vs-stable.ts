import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { GUARD_NAMES, type JudgedGuardPlan, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, PERIOD, ratioProblems, throwGuardProblems } from '../private/guard-kit';

/** Properties of {@link Guard.bedrockGuardrailBlockRateVsStable}. */
export interface BedrockGuardrailBlockRateVsStableGuardProps {
  /** The Bedrock guardrail both versions call. */
  readonly guardrailArn: string;
  /** The guardrail version the canary calls. */
  readonly canaryVersion: string;
  /** The guardrail version the stable version calls (a different one). */
  readonly stableVersion: string;

  /**
   * The canary's guardrail version is worse only when its odds of intervening are more than this
   * multiple of the stable guardrail version's.
   * @default 1.5
   */
  readonly maxRatio?: number;
}

/**
 * Bedrock Guardrails' own intervention rate (`AWS/Bedrock/Guardrails` InvocationsIntervened of
 * Invocations, by GuardrailArn and GuardrailVersion), canary's guardrail version against stable's,
 * judged as a rate. Both versions calling the same guardrail version cannot be told apart there:
 * use `Guard.guardrailBlockRateVsStable` (the runtime helper's signal) instead.
 */
export class BedrockGuardrailBlockRateVsStableGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.bedrockGuardrailBlockRateVsStable;
  private readonly maxRatio: number;

  constructor(private readonly props: BedrockGuardrailBlockRateVsStableGuardProps) {
    const missing = (['guardrailArn', 'canaryVersion', 'stableVersion'] as const).filter((k) => typeof props?.[k] !== 'string' || props[k].length === 0);
    throwGuardProblems('bedrockGuardrailBlockRateVsStable', [
      ...(missing.length > 0 ? [`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: give the guardrail's ARN and the guardrail version each model version calls`] : []),
      ...(missing.length === 0 && !Token.isUnresolved(props.canaryVersion) && props.canaryVersion === props.stableVersion
        ? [`canaryVersion and stableVersion are both ${props.canaryVersion}: the guard compares two different guardrail versions (leave it out when both model versions call the same one)`]
        : []),
      ...ratioProblems(props?.maxRatio, 'intervention odds'),
    ]);
    this.maxRatio = props.maxRatio ?? 1.5;
  }

  public bind(_scope: Construct, _ctx: GuardContext): GuardBinding {
    const p = this.props;
    // The versions compared here are the guardrail's, not the model's: the dimension holds the
    // placeholder and the plan names the literal guardrail versions to put in it (`versions`).
    const metric = (name: string) =>
      judgedMetric(
        new cloudwatch.Metric({ namespace: 'AWS/Bedrock/Guardrails', metricName: name, dimensionsMap: { GuardrailArn: p.guardrailArn, GuardrailVersion: VERSION_PLACEHOLDER }, statistic: 'Sum', period: PERIOD }),
        `the Bedrock ${name} metric`,
      );
    const judged: JudgedGuardPlan & { readonly versions: { readonly canary: string; readonly stable: string } } = {
      name: this.guardName,
      test: 'rate',
      eventsLabel: 'guardrail interventions',
      events: metric('InvocationsIntervened'),
      trials: metric('Invocations'),
      maxRatio: this.maxRatio,
      versions: { canary: p.canaryVersion, stable: p.stableVersion },
      description: `guardrail version ${p.canaryVersion} intervenes with odds more than ${this.maxRatio} × version ${p.stableVersion}'s`,
    };
    return { judged };
  }
}
