import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { GUARD_NAMES, type JudgedGuardPlan, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, PERIOD, ratioProblems, throwGuardProblems } from '../private/guard-kit';

/** Properties of {@link Guard.bedrockGuardrailBlockRateVsStable}. */
export interface BedrockGuardrailBlockRateVsStableGuardProps {
  /** The Bedrock guardrail both versions call. */
  readonly guardrailArn: string;
  /**
   * The guardrail version the canary calls. Give it with `stableVersion`, or neither and
   * `guardrailVersionVariable`.
   * @default - read from `guardrailVersionVariable`
   */
  readonly canaryVersion?: string;
  /**
   * The guardrail version the stable version calls (a different one).
   * @default - read from `guardrailVersionVariable`
   */
  readonly stableVersion?: string;
  /**
   * The environment variable through which the model names the guardrail version it calls (e.g.
   * `GUARDRAIL_VERSION`): at the start of each rollout the workflow reads it from the stable and
   * the canary version (Lambda: each published version keeps its environment), so releases need no
   * edit of the guard. When both name the same guardrail version, the guard judges nothing in that
   * rollout (the STARTED alert says so). Lambda canaries only.
   * @default - the literal `canaryVersion` and `stableVersion`
   */
  readonly guardrailVersionVariable?: string;

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
    throwGuardProblems('bedrockGuardrailBlockRateVsStable', [...versionProblems(props), ...ratioProblems(props?.maxRatio, 'intervention odds')]);
    this.maxRatio = props.maxRatio ?? 1.5;
  }

  public bind(_scope: Construct, ctx: GuardContext): GuardBinding {
    const p = this.props;
    const variable = p.guardrailVersionVariable;
    if (variable !== undefined && !ctx.binding.versionEnvironment) {
      throw new Error(`Guard.bedrockGuardrailBlockRateVsStable: guardrailVersionVariable needs a target whose versions keep their own environment (a Lambda canary); on this ${ctx.binding.contract.kind} canary give canaryVersion and stableVersion`);
    }
    // The versions compared here are the guardrail's, not the model's: the dimension holds the
    // placeholder and the plan names the literal guardrail versions to put in it (`versions`).
    const metric = (name: string) =>
      judgedMetric(
        new cloudwatch.Metric({ namespace: 'AWS/Bedrock/Guardrails', metricName: name, dimensionsMap: { GuardrailArn: p.guardrailArn, GuardrailVersion: VERSION_PLACEHOLDER }, statistic: 'Sum', period: PERIOD }),
        `the Bedrock ${name} metric`,
      );
    const judged: JudgedGuardPlan = {
      name: this.guardName,
      test: 'rate',
      eventsLabel: 'guardrail interventions',
      events: metric('InvocationsIntervened'),
      trials: metric('Invocations'),
      maxRatio: this.maxRatio,
      ...(variable !== undefined ? { versionVariable: variable } : { versions: { canary: p.canaryVersion!, stable: p.stableVersion! } }),
      description: variable !== undefined
        ? `the canary's guardrail version (${variable}) intervenes with odds more than ${this.maxRatio} × the stable version's`
        : `guardrail version ${p.canaryVersion} intervenes with odds more than ${this.maxRatio} × version ${p.stableVersion}'s`,
    };
    return { judged };
  }
}

const ENV_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;

/** Either both literal guardrail versions or the variable that names them, never a mix. */
function versionProblems(p: BedrockGuardrailBlockRateVsStableGuardProps | undefined): string[] {
  const given = (v: string | undefined) => typeof v === 'string' && v.length > 0;
  const problems: string[] = [];
  if (!given(p?.guardrailArn)) problems.push("guardrailArn is missing: give the guardrail's ARN both versions call");
  const variable = p?.guardrailVersionVariable;
  if (variable !== undefined) {
    if (given(p?.canaryVersion) || given(p?.stableVersion)) {
      problems.push('give either guardrailVersionVariable or canaryVersion and stableVersion, not both: the variable reads each version\'s guardrail version at every rollout');
    } else if (!Token.isUnresolved(variable) && !ENV_NAME.test(variable)) {
      problems.push(`guardrailVersionVariable "${variable}" is not an environment variable name: use letters, digits and _, starting with a letter (e.g. GUARDRAIL_VERSION)`);
    }
    return problems;
  }
  const missing = (['canaryVersion', 'stableVersion'] as const).filter((k) => !given(p?.[k]));
  if (missing.length > 0) {
    problems.push(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: give the guardrail version each model version calls, or guardrailVersionVariable (the environment variable the model reads it from) to read them at every rollout`);
  } else if (!Token.isUnresolved(p!.canaryVersion) && p!.canaryVersion === p!.stableVersion) {
    problems.push(`canaryVersion and stableVersion are both ${p!.canaryVersion}: the guard compares two different guardrail versions (leave it out when both model versions call the same one)`);
  }
  return problems;
}
