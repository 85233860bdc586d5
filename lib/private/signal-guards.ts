import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CANARY_DIMENSION, SIGNAL_NAMESPACE, SIGNALS, STACK_DIMENSION, VERSION_DIMENSION } from '../../runtime/signal-names';
import type { ModelCanaryOptions } from '../model-canary-options';
import type { GuardAlarms } from './guard-alarms';

const PERIOD = Duration.minutes(1);

export interface SignalGuardContext {
  readonly canaryName: string;
  /** The Stack dimension's value: canaries of one name in two stacks must not mix their signals. */
  readonly stackName: string;
  readonly canaryVersion: string;
  readonly stableVersion: string;
  readonly guardWindow: Duration;
}

/** What the check step needs to judge the prediction-shift guard (part of the rollout plan). */
export interface PredictionShiftPlan {
  readonly namespace: string;
  readonly canaryName: string;
  readonly stackName: string;
  readonly classes: string[];
  readonly maxPsi: number;
  readonly minSamples: number;
}

/**
 * The AI-model guards, on the per-request signals the runtime helper emits (namespace
 * `ModelCanary`, dimensions Canary + Stack + Version), plus Bedrock Guardrails' own metrics when the two
 * versions call different guardrail versions. Missing data is not breaching, as for every guard.
 */
export function addModelSignalGuards(guards: GuardAlarms, o: ModelCanaryOptions, ctx: SignalGuardContext): void {
  if (o.bedrockGuardrailArn && o.canaryGuardrailVersion && o.stableGuardrailVersion) {
    addBedrockGuardrailGuard(guards, o, ctx);
  }
  if (!o.modelSignals) return;
  const namespace = o.signalsNamespace ?? SIGNAL_NAMESPACE;
  const signal = (version: string, name: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace,
      metricName: name,
      dimensionsMap: { [CANARY_DIMENSION]: ctx.canaryName, [STACK_DIMENSION]: ctx.stackName, [VERSION_DIMENSION]: version },
      statistic,
      period: PERIOD,
    });
  const c = ctx.canaryVersion;
  const s = ctx.stableVersion;
  const window = minutes(ctx.guardWindow);
  const tokensWindow = minutes(o.tokensWindow ?? Duration.minutes(10));

  const tokenRatio = o.maxTokensPerRequestRatio ?? 1.5;
  guards.addGuard('TokensPerRequestVsStable', {
    metric: math('IF(stableTokens, canaryTokens / stableTokens)', 'canary / stable tokens per request', {
      canaryTokens: signal(c, SIGNALS.totalTokens, 'Average'),
      stableTokens: signal(s, SIGNALS.totalTokens, 'Average'),
    }),
    threshold: tokenRatio,
    minutes: tokensWindow,
    description: `Canary tokens per request above ${ofStable(tokenRatio)} for ${tokensWindow} min`,
  });

  const blocks = o.maxGuardrailBlocksPerMinute ?? 10;
  // Blocks a minute grow with the canary's share of traffic: count them only in minutes where the
  // canary is blocked more often than stable, so a canary that behaves like stable never fires as
  // its share grows (at a 100 % step there is no stable traffic to blame it against: no datapoint).
  guards.addGuard('GuardrailBlocks', {
    metric: math(
      'IF(stableRequests, IF(canaryBlocks / canaryRequests > FILL(stableBlocks, 0) / stableRequests, canaryBlocks, 0))',
      'canary guardrail blocks a minute (where its block rate is above stable\'s)',
      {
        canaryBlocks: signal(c, SIGNALS.guardrailIntervened, 'Sum'),
        canaryRequests: signal(c, SIGNALS.requests, 'Sum'),
        stableBlocks: signal(s, SIGNALS.guardrailIntervened, 'Sum'),
        stableRequests: signal(s, SIGNALS.requests, 'Sum'),
      },
    ),
    threshold: blocks,
    minutes: window,
    description: `Guardrails blocked more than ${blocks} canary requests a minute, at a higher rate than stable, for ${window} min`,
  });

  const blockIncrease = o.maxGuardrailBlockRateIncrease ?? 5;
  guards.addGuard('GuardrailBlockRateVsStable', {
    metric: math(
      'IF(stableRequests, 100 * FILL(canaryBlocks, 0) / canaryRequests - 100 * FILL(stableBlocks, 0) / stableRequests)',
      'canary minus stable guardrail block rate (points)',
      {
        canaryBlocks: signal(c, SIGNALS.guardrailIntervened, 'Sum'),
        canaryRequests: signal(c, SIGNALS.requests, 'Sum'),
        stableBlocks: signal(s, SIGNALS.guardrailIntervened, 'Sum'),
        stableRequests: signal(s, SIGNALS.requests, 'Sum'),
      },
    ),
    threshold: blockIncrease,
    minutes: window,
    description: `Canary guardrail block rate more than ${blockIncrease} points above stable for ${window} min`,
  });

  const schema = o.maxSchemaFailurePercent ?? 1;
  guards.addGuard('SchemaFailureRate', {
    metric: math('100 * canaryInvalid', 'canary schema failure rate (%)', { canaryInvalid: signal(c, SIGNALS.schemaInvalid, 'Average') }),
    threshold: schema,
    minutes: window,
    description: `More than ${schema}% of canary responses failed the output schema for ${window} min`,
  });

  const lengthShift = o.maxResponseLengthShiftPercent ?? 50;
  guards.addGuard('ResponseLengthShift', {
    metric: math('IF(stableLength, IF(canaryLength, 100 * ABS(canaryLength / stableLength - 1)))', 'canary vs stable median response length (% change)', {
      canaryLength: signal(c, SIGNALS.responseLength, 'p50'),
      stableLength: signal(s, SIGNALS.responseLength, 'p50'),
    }),
    threshold: lengthShift,
    minutes: tokensWindow,
    description: `Canary median response length more than ${lengthShift}% away from stable's for ${tokensWindow} min`,
  });

  if (o.inputTokenPricePer1k !== undefined && o.outputTokenPricePer1k !== undefined) {
    const cost = (version: string, prefix: string) => ({
      [`${prefix}In`]: signal(version, SIGNALS.inputTokens, 'Average'),
      [`${prefix}Out`]: signal(version, SIGNALS.outputTokens, 'Average'),
    });
    // No FILL: a minute whose signals have not arrived must give no datapoint, never a cost of 0
    // (a 0 would keep an every-minute-breaches alarm OK); IF(stableIn…) drops minutes without stable data.
    const costOf = (prefix: string) =>
      `(${prefix}In * ${o.inputTokenPricePer1k} + ${prefix}Out * ${o.outputTokenPricePer1k}) / 1000`;
    if (o.maxCostPerRequest !== undefined) {
      guards.addGuard('CostPerRequest', {
        metric: math(costOf('canary'), 'canary cost per request', cost(c, 'canary')),
        threshold: o.maxCostPerRequest,
        minutes: tokensWindow,
        description: `Canary cost per request above ${o.maxCostPerRequest} for ${tokensWindow} min`,
      });
    }
    const costRatio = o.maxCostPerRequestRatio ?? 1.5;
    guards.addGuard('CostPerRequestVsStable', {
      metric: math(`IF(stableIn, ${costOf('canary')} / (${costOf('stable')}))`, 'canary / stable cost per request', {
        ...cost(c, 'canary'),
        ...cost(s, 'stable'),
      }),
      threshold: costRatio,
      minutes: tokensWindow,
      description: `Canary cost per request above ${ofStable(costRatio)} for ${tokensWindow} min`,
    });
  }
}

/** The prediction-shift guard is judged by the check step (PSI over the step), not by an alarm. */
export function predictionShiftPlan(o: ModelCanaryOptions, canaryName: string, stackName: string): PredictionShiftPlan | undefined {
  if (!o.modelSignals || !o.predictionClasses || o.predictionClasses.length === 0) return undefined;
  return {
    namespace: o.signalsNamespace ?? SIGNAL_NAMESPACE,
    canaryName,
    stackName,
    classes: [...o.predictionClasses],
    maxPsi: o.maxPredictionShift ?? 0.1,
    minSamples: o.minPredictionsForShift ?? 100,
  };
}

function addBedrockGuardrailGuard(guards: GuardAlarms, o: ModelCanaryOptions, ctx: SignalGuardContext): void {
  const metric = (version: string, name: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/Bedrock/Guardrails',
      metricName: name,
      dimensionsMap: { GuardrailArn: o.bedrockGuardrailArn!, GuardrailVersion: version },
      statistic: 'Sum',
      period: PERIOD,
    });
  const increase = o.maxGuardrailBlockRateIncrease ?? 5;
  const window = minutes(ctx.guardWindow);
  guards.addGuard('BedrockGuardrailBlockRateVsStable', {
    metric: math(
      'IF(stableInvocations, 100 * FILL(canaryIntervened, 0) / canaryInvocations - 100 * FILL(stableIntervened, 0) / stableInvocations)',
      'canary minus stable Bedrock guardrail intervention rate (points)',
      {
        canaryIntervened: metric(o.canaryGuardrailVersion!, 'InvocationsIntervened'),
        canaryInvocations: metric(o.canaryGuardrailVersion!, 'Invocations'),
        stableIntervened: metric(o.stableGuardrailVersion!, 'InvocationsIntervened'),
        stableInvocations: metric(o.stableGuardrailVersion!, 'Invocations'),
      },
    ),
    threshold: increase,
    minutes: window,
    description: `Guardrail version ${o.canaryGuardrailVersion} intervenes more than ${increase} points more often than ${o.stableGuardrailVersion} for ${window} min`,
    // Scoped to guardrail versions, not to the model version.
    versionScoped: false,
  });
}

function math(expression: string, label: string, usingMetrics: Record<string, cloudwatch.IMetric>): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({ expression, usingMetrics, period: PERIOD, label });
}

function minutes(d: Duration): number {
  return Math.max(1, Math.round(d.toSeconds() / 60));
}

/**
 * "150% of stable's"; "<ratio> times stable's" when the ratio is a token (a CfnParameter, say),
 * which cannot be multiplied at synth time.
 */
function ofStable(ratio: number): string {
  return Token.isUnresolved(ratio) ? `${ratio} times stable's` : `${Math.round(ratio * 100)}% of stable's`;
}
