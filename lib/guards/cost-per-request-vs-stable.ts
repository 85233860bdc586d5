import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';
import { GUARD_NAMES } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, checkWindowAgainstSchedule, windowScheduleProblems, math, ofStable, throwGuardProblems, windowOf } from '../private/guard-kit';
import { requireRange } from '../private/validation';
import { costOf, priceProblems, type TokenPrices } from './cost-per-request';

/** Properties of {@link Guard.costPerRequestVsStable}. */
export interface CostPerRequestVsStableGuardProps extends TokenPrices {
  /**
   * Roll back when a canary request costs more than this multiple of a stable request in every
   * minute of `window`.
   * @default 1.5
   */
  readonly maxRatio?: number;

  /**
   * How long the condition must hold.
   * @default Duration.minutes(10)
   */
  readonly window?: Duration;
}

/** Cost per request against stable's, as a CloudWatch ratio alarm (no datapoint without stable data). */
export class CostPerRequestVsStableGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.costPerRequestVsStable;
  private readonly maxRatio: number;
  private readonly minutes: number;

  constructor(private readonly props: CostPerRequestVsStableGuardProps) {
    const window = windowOf(props.window, Duration.minutes(10));
    throwGuardProblems('costPerRequestVsStable', [
      ...priceProblems(props),
      ...requireRange('maxRatio', props.maxRatio, 1, 1000, 'give a multiple of the stable version\'s cost from 1 to 1000 (1.5 = 150 %)'),
      ...window.problems,
    ]);
    this.maxRatio = props.maxRatio ?? 1.5;
    this.minutes = window.minutes;
  }

  public scheduleProblems(schedule: RolloutSchedule): string[] {
    return windowScheduleProblems('costPerRequestVsStable', this.minutes, schedule);
  }

  public bind(scope: Construct, ctx: GuardContext): GuardBinding {
    checkWindowAgainstSchedule(scope, 'costPerRequestVsStable', this.minutes, ctx.schedule);
    const canary = costOf(ctx, this.props, ctx.canaryVersion, 'canary');
    const stable = costOf(ctx, this.props, ctx.stableVersion, 'stable');
    ctx.alarms.addAlarm(this.guardName, {
      metric: math(`IF(stableIn, ${canary.expression} / (${stable.expression}))`, 'canary / stable cost per request', { ...canary.metrics, ...stable.metrics }),
      threshold: this.maxRatio,
      minutes: this.minutes,
      description: `Canary cost per request above ${ofStable(this.maxRatio)} for ${this.minutes} min`,
    });
    return {};
  }
}
