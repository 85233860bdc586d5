import { Duration, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';
import { GUARD_NAMES } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, checkWindowAgainstSchedule, windowScheduleProblems, targetMetric, throwGuardProblems, windowOf } from '../private/guard-kit';
import { requireRange } from '../private/validation';
import { latencyUnitsPerMillisecond } from '../private/target-binding';

/** Properties of {@link Guard.latencyP95}. */
export interface LatencyP95GuardProps {
  /**
   * Roll back when the canary's p95 latency is above this in every minute of `window`.
   * @default Duration.seconds(10)
   */
  readonly max?: Duration;

  /**
   * How long the condition must hold: every 1-minute datapoint in this window must breach.
   * @default Duration.minutes(5)
   */
  readonly window?: Duration;
}

/**
 * The seed's p95 ceiling as a CloudWatch alarm. It evaluates low-sample periods
 * (`EvaluateLowSampleCountPercentile: evaluate`): a 5 % canary rarely has the samples a p95 needs,
 * and "ignore" would keep the alarm OK through a real regression; the window of consecutive
 * breaching minutes keeps one slow request from firing it.
 */
export class LatencyP95Guard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.latencyP95;
  private readonly maxMillis: number;
  private readonly minutes: number;

  constructor(props: LatencyP95GuardProps) {
    const window = windowOf(props.window, Duration.minutes(5));
    throwGuardProblems('latencyP95', [
      ...requireRange('max (ms)', props.max?.toMilliseconds(), 1, 15 * 60 * 1000, 'give a positive duration of at most 15 minutes'),
      ...window.problems,
    ]);
    this.maxMillis = (props.max ?? Duration.seconds(10)).toMilliseconds();
    this.minutes = window.minutes;
  }

  public scheduleProblems(schedule: RolloutSchedule): string[] {
    return windowScheduleProblems('latencyP95', this.minutes, schedule);
  }

  public bind(scope: Construct, ctx: GuardContext): GuardBinding {
    checkWindowAgainstSchedule(scope, 'latencyP95', this.minutes, ctx.schedule);
    ctx.alarms.addAlarm(this.guardName, {
      metric: targetMetric(ctx, ctx.canaryVersion, 'latency', 'p95'),
      threshold: Token.isUnresolved(this.maxMillis) ? this.maxMillis : this.maxMillis * latencyUnitsPerMillisecond(ctx.binding),
      minutes: this.minutes,
      description: `Canary p95 latency above ${this.maxMillis} ms for ${this.minutes} min`,
      percentile: true,
    });
    return {};
  }
}
