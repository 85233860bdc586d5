import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';
import { GUARD_NAMES } from '../../lambda/shared/judge-plan';
import { SIGNALS } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, checkWindowAgainstSchedule, windowScheduleProblems, math, signalMetric, throwGuardProblems, warnIfFraction, windowOf } from '../private/guard-kit';
import { requireRange } from '../private/validation';

/** Properties of {@link Guard.schemaFailureRate}. */
export interface SchemaFailureRateGuardProps {
  /**
   * Roll back when more than this share of canary responses fail the output schema, in percent,
   * in every minute of `window`. A response that breaks its schema breaks its caller: the
   * ceiling is low and absolute.
   * @default 1
   */
  readonly maxPercent?: number;

  /**
   * How long the condition must hold.
   * @default Duration.minutes(5)
   */
  readonly window?: Duration;
}

/** Output-schema failures (the runtime helper's `SchemaInvalid`, 1 or 0 per request) as an alarm. */
export class SchemaFailureRateGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.schemaFailureRate;
  private readonly maxPercent: number;
  private readonly minutes: number;

  constructor(private readonly props: SchemaFailureRateGuardProps) {
    const window = windowOf(props.window, Duration.minutes(5));
    throwGuardProblems('schemaFailureRate', [...requireRange('maxPercent', props.maxPercent, 0, 100, 'give a percentage from 0 to 100'), ...window.problems]);
    this.maxPercent = props.maxPercent ?? 1;
    this.minutes = window.minutes;
  }

  public scheduleProblems(schedule: RolloutSchedule): string[] {
    return windowScheduleProblems('schemaFailureRate', this.minutes, schedule);
  }

  public bind(scope: Construct, ctx: GuardContext): GuardBinding {
    checkWindowAgainstSchedule(scope, 'schemaFailureRate', this.minutes, ctx.schedule);
    warnIfFraction(scope, 'schemaFailureRate', 'maxPercent', this.props.maxPercent, '%');
    ctx.alarms.addAlarm(this.guardName, {
      metric: math('100 * canaryInvalid', 'canary schema failure rate (%)', { canaryInvalid: signalMetric(ctx, ctx.canaryVersion, SIGNALS.schemaInvalid, 'Average') }),
      threshold: this.maxPercent,
      minutes: this.minutes,
      description: `More than ${this.maxPercent}% of canary responses failed the output schema for ${this.minutes} min`,
    });
    return {};
  }
}
