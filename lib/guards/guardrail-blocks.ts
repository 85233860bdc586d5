import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';
import { GUARD_NAMES } from '../../lambda/shared/judge-plan';
import { SIGNALS } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, checkWindowAgainstSchedule, windowScheduleProblems, math, signalMetric, throwGuardProblems, windowOf } from '../private/guard-kit';
import { requireRange } from '../private/validation';

/** Properties of {@link Guard.guardrailBlocks}. */
export interface GuardrailBlocksGuardProps {
  /**
   * Roll back when guardrails block more than this many canary requests a minute beyond what
   * stable's block rate explains, in every minute of `window` (the seed guidance: 10 a minute).
   * @default 10
   */
  readonly maxPerMinute?: number;

  /**
   * How long the condition must hold.
   * @default Duration.minutes(5)
   */
  readonly window?: Duration;
}

/**
 * Blocks a minute grow with the canary's share of traffic, so a raw count would roll back a canary
 * that behaves exactly like stable once its share is large enough. This guard counts only the
 * EXCESS blocks: canary blocks minus the blocks stable's rate predicts at the canary's requests
 * (expected = stableBlocks × canaryRequests / stableRequests), and only in minutes where that
 * excess is also beyond Poisson noise (more than 3 × √(expected + 1)); other minutes count 0, and
 * a minute without stable requests (the 100 % step) has no datapoint.
 */
export class GuardrailBlocksGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.guardrailBlocks;
  private readonly maxPerMinute: number;
  private readonly minutes: number;

  constructor(props: GuardrailBlocksGuardProps) {
    const window = windowOf(props.window, Duration.minutes(5));
    throwGuardProblems('guardrailBlocks', [...requireRange('maxPerMinute', props.maxPerMinute, 0, 1e9, 'give a number of blocked requests per minute, 0 or more'), ...window.problems]);
    this.maxPerMinute = props.maxPerMinute ?? 10;
    this.minutes = window.minutes;
  }

  public scheduleProblems(schedule: RolloutSchedule): string[] {
    return windowScheduleProblems('guardrailBlocks', this.minutes, schedule);
  }

  public bind(scope: Construct, ctx: GuardContext): GuardBinding {
    checkWindowAgainstSchedule(scope, 'guardrailBlocks', this.minutes, ctx.schedule);
    ctx.alarms.addAlarm(this.guardName, {
      metric: math(GUARDRAIL_EXCESS_EXPRESSION, 'canary guardrail blocks a minute beyond stable\'s rate (where beyond noise)', {
        canaryBlocks: signalMetric(ctx, ctx.canaryVersion, SIGNALS.guardrailIntervened, 'Sum'),
        canaryRequests: signalMetric(ctx, ctx.canaryVersion, SIGNALS.requests, 'Sum'),
        stableBlocks: signalMetric(ctx, ctx.stableVersion, SIGNALS.guardrailIntervened, 'Sum'),
        stableRequests: signalMetric(ctx, ctx.stableVersion, SIGNALS.requests, 'Sum'),
      }),
      threshold: this.maxPerMinute,
      minutes: this.minutes,
      description: `Guardrails blocked more than ${this.maxPerMinute} canary requests a minute beyond stable's rate for ${this.minutes} min`,
    });
    return {};
  }
}

const EXPECTED = '(FILL(stableBlocks, 0) * canaryRequests / stableRequests)';
const EXCESS = `(FILL(canaryBlocks, 0) - ${EXPECTED})`;
/** CloudWatch metric math (IF, FILL and the ^ operator; no SQRT function): exported for tests. */
export const GUARDRAIL_EXCESS_EXPRESSION = `IF(stableRequests, IF(${EXCESS} > 3 * ((${EXPECTED} + 1) ^ 0.5), ${EXCESS}, 0))`;
