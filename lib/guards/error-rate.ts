import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';
import { GUARD_NAMES } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, checkWindowAgainstSchedule, windowScheduleProblems, math, targetMetric, throwGuardProblems, warnIfFraction, windowOf } from '../private/guard-kit';
import { requireRange } from '../private/validation';

/** Properties of {@link Guard.errorRate}. */
export interface ErrorRateGuardProps {
  /**
   * Roll back when the canary's error rate (errors / requests, in percent) is above this in every
   * minute of `window`. An absolute ceiling, beside `Guard.errorRateVsStable`: a canary this bad is
   * bad whatever stable does.
   * @default 5
   */
  readonly maxPercent?: number;

  /**
   * How long the condition must hold: every 1-minute datapoint in this window must breach.
   * @default Duration.minutes(5)
   */
  readonly window?: Duration;
}

/** The seed's error-rate ceiling as a CloudWatch alarm (SageMaker adds its ModelErrorRate beside it). */
export class ErrorRateGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.errorRate;
  private readonly maxPercent: number;
  private readonly minutes: number;

  constructor(private readonly props: ErrorRateGuardProps) {
    const window = windowOf(props.window, Duration.minutes(5));
    throwGuardProblems('errorRate', [...requireRange('maxPercent', props.maxPercent, 0, 100, 'give a percentage from 0 to 100'), ...window.problems]);
    this.maxPercent = props.maxPercent ?? 5;
    this.minutes = window.minutes;
  }

  public scheduleProblems(schedule: RolloutSchedule): string[] {
    return windowScheduleProblems('errorRate', this.minutes, schedule);
  }

  public bind(scope: Construct, ctx: GuardContext): GuardBinding {
    checkWindowAgainstSchedule(scope, 'errorRate', this.minutes, ctx.schedule);
    warnIfFraction(scope, 'errorRate', 'maxPercent', this.props.maxPercent, '%');
    const c = ctx.canaryVersion;
    ctx.alarms.addAlarm(this.guardName, {
      metric: math('100 * FILL(canaryErrors, 0) / canaryRequests', 'canary error rate (%)', {
        canaryErrors: targetMetric(ctx, c, 'errors', 'Sum'),
        canaryRequests: targetMetric(ctx, c, 'requests', 'Sum'),
      }),
      threshold: this.maxPercent,
      minutes: this.minutes,
      description: `Canary error rate above ${this.maxPercent}% for ${this.minutes} min`,
    });
    // The target's own error guards (SageMaker: model errors that are not 5XX), same ceiling.
    ctx.binding.addTargetGuards?.(ctx.alarms, { canaryVersion: c, minutes: this.minutes, maxErrorRatePercent: this.maxPercent });
    return {};
  }
}
