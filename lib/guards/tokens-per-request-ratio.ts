import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';
import { GUARD_NAMES } from '../../lambda/shared/judge-plan';
import { SIGNALS } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, checkWindowAgainstSchedule, windowScheduleProblems, math, ofStable, signalMetric, throwGuardProblems, windowOf } from '../private/guard-kit';
import { requireRange } from '../private/validation';

/** Properties of {@link Guard.tokensPerRequestRatio}. */
export interface TokensPerRequestRatioGuardProps {
  /**
   * Roll back when the canary's average tokens per request exceed this multiple of stable's in
   * every minute of `window` (the seed guidance: 150 % for 10 minutes).
   * @default 1.5
   */
  readonly maxRatio?: number;

  /**
   * How long the condition must hold.
   * @default Duration.minutes(10)
   */
  readonly window?: Duration;
}

/**
 * The seed's token ceiling relative to stable, as a CloudWatch alarm on the runtime helper's
 * `TotalTokens` signal. A minute without stable data gives no datapoint (the 100 % step).
 */
export class TokensPerRequestRatioGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.tokensPerRequestRatio;
  private readonly maxRatio: number;
  private readonly minutes: number;

  constructor(props: TokensPerRequestRatioGuardProps) {
    const window = windowOf(props.window, Duration.minutes(10));
    throwGuardProblems('tokensPerRequestRatio', [
      ...requireRange('maxRatio', props.maxRatio, 1, 1000, 'give a multiple of the stable version\'s tokens per request from 1 to 1000 (1.5 = 150 %)'),
      ...window.problems,
    ]);
    this.maxRatio = props.maxRatio ?? 1.5;
    this.minutes = window.minutes;
  }

  public scheduleProblems(schedule: RolloutSchedule): string[] {
    return windowScheduleProblems('tokensPerRequestRatio', this.minutes, schedule);
  }

  public bind(scope: Construct, ctx: GuardContext): GuardBinding {
    checkWindowAgainstSchedule(scope, 'tokensPerRequestRatio', this.minutes, ctx.schedule);
    ctx.alarms.addAlarm(this.guardName, {
      metric: math('IF(stableTokens, canaryTokens / stableTokens)', 'canary / stable tokens per request', {
        canaryTokens: signalMetric(ctx, ctx.canaryVersion, SIGNALS.totalTokens, 'Average'),
        stableTokens: signalMetric(ctx, ctx.stableVersion, SIGNALS.totalTokens, 'Average'),
      }),
      threshold: this.maxRatio,
      minutes: this.minutes,
      description: `Canary tokens per request above ${ofStable(this.maxRatio)} for ${this.minutes} min`,
    });
    return {};
  }
}
