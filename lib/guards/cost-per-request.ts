import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';
import { GUARD_NAMES } from '../../lambda/shared/judge-plan';
import { SIGNALS } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, checkWindowAgainstSchedule, windowScheduleProblems, math, signalMetric, throwGuardProblems, windowOf } from '../private/guard-kit';
import { requireRange } from '../private/validation';

/** Token prices of the cost guards. */
export interface TokenPrices {
  /** Price of 1,000 input tokens, in your currency. */
  readonly inputTokenPricePer1k: number;
  /** Price of 1,000 output tokens, in your currency. */
  readonly outputTokenPricePer1k: number;
}

/** Properties of {@link Guard.costPerRequest}. */
export interface CostPerRequestGuardProps extends TokenPrices {
  /** Roll back when a canary request costs more than this on average in every minute of `window`. */
  readonly maxCost: number;

  /**
   * How long the condition must hold.
   * @default Duration.minutes(10)
   */
  readonly window?: Duration;
}

/** Problems of the token prices. */
export function priceProblems(p: TokenPrices): string[] {
  return [
    ...(typeof p.inputTokenPricePer1k === 'number' ? [] : ['inputTokenPricePer1k is missing: give the price of 1,000 input tokens']),
    ...(typeof p.outputTokenPricePer1k === 'number' ? [] : ['outputTokenPricePer1k is missing: give the price of 1,000 output tokens']),
    ...requireRange('inputTokenPricePer1k', p.inputTokenPricePer1k, 0, 1e6, 'give a price of 0 or more'),
    ...requireRange('outputTokenPricePer1k', p.outputTokenPricePer1k, 0, 1e6, 'give a price of 0 or more'),
  ];
}

/** The cost of one request of `prefix` ("canary"/"stable") in metric math, and its metrics. */
export function costOf(ctx: GuardContext, p: TokenPrices, version: string, prefix: string): { expression: string; metrics: Record<string, cloudwatch.IMetric> } {
  return {
    // No FILL: a minute whose signals have not arrived gives no datapoint, never a cost of 0.
    expression: `(${prefix}In * ${p.inputTokenPricePer1k} + ${prefix}Out * ${p.outputTokenPricePer1k}) / 1000`,
    metrics: {
      [`${prefix}In`]: signalMetric(ctx, version, SIGNALS.inputTokens, 'Average'),
      [`${prefix}Out`]: signalMetric(ctx, version, SIGNALS.outputTokens, 'Average'),
    },
  };
}

/** An absolute budget per canary request, from the runtime helper's token signals and your prices. */
export class CostPerRequestGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.costPerRequest;
  private readonly minutes: number;

  constructor(private readonly props: CostPerRequestGuardProps) {
    const window = windowOf(props.window, Duration.minutes(10));
    throwGuardProblems('costPerRequest', [
      ...priceProblems(props),
      ...(typeof props.maxCost === 'number' ? [] : ['maxCost is missing: give the largest average cost of a canary request']),
      ...requireRange('maxCost', props.maxCost, 0, 1e6, 'give a cost of 0 or more'),
      ...window.problems,
    ]);
    this.minutes = window.minutes;
  }

  public scheduleProblems(schedule: RolloutSchedule): string[] {
    return windowScheduleProblems('costPerRequest', this.minutes, schedule);
  }

  public bind(scope: Construct, ctx: GuardContext): GuardBinding {
    checkWindowAgainstSchedule(scope, 'costPerRequest', this.minutes, ctx.schedule);
    const cost = costOf(ctx, this.props, ctx.canaryVersion, 'canary');
    ctx.alarms.addAlarm(this.guardName, {
      metric: math(cost.expression, 'canary cost per request', cost.metrics),
      threshold: this.props.maxCost,
      minutes: this.minutes,
      description: `Canary cost per request above ${this.props.maxCost} for ${this.minutes} min`,
    });
    return {};
  }
}
