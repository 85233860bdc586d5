import type { Construct } from 'constructs';
import { ALPHA_WEIGHTS, GUARD_NAMES, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, ratioProblems, targetMetric, throwGuardProblems } from '../private/guard-kit';
import { requireRange } from '../private/validation';

/** Properties of {@link Guard.errorRateVsStable}. */
export interface ErrorRateVsStableGuardProps {
  /**
   * The canary is worse only when its odds of an error are more than this multiple of stable's.
   * Relative, so the evidence per request grows with the effect: a 1 % → 4 % canary is caught in
   * a minute or two at a 5 % share, while a true but irrelevant +0.2 points on a 1 % rate (×1.2)
   * is promoted.
   * @default 1.5
   */
  readonly maxRatio?: number;

  /**
   * And, when set, only when its error rate is also more than this many percentage points above
   * stable's (the seed's reading of "relevant" was 2 points). An absolute margin that size makes
   * a regression from a low rate slow to prove: leave it out unless small increases are harmless.
   * @default - no absolute margin
   */
  readonly maxIncreasePoints?: number;
}

/** Canary errors against stable's, judged as a rate (errors of requests) in the check step. */
export class ErrorRateVsStableGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.errorRateVsStable;
  private readonly maxRatio: number;

  constructor(private readonly props: ErrorRateVsStableGuardProps) {
    throwGuardProblems('errorRateVsStable', [
      ...ratioProblems(props.maxRatio, 'error odds'),
      ...requireRange('maxIncreasePoints', props.maxIncreasePoints, 0.001, 100, 'give percentage points above 0 and at most 100 (2 = the seed\'s margin), or leave it out'),
    ]);
    this.maxRatio = props.maxRatio ?? 1.5;
  }

  public bind(_scope: Construct, ctx: GuardContext): GuardBinding {
    const points = this.props.maxIncreasePoints;
    return {
      judged: {
        name: this.guardName,
        alphaWeight: ALPHA_WEIGHTS.errors,
        test: 'rate',
        eventsLabel: 'errors',
        events: judgedMetric(targetMetric(ctx, VERSION_PLACEHOLDER, 'errors', 'Sum'), 'the error metric'),
        trials: judgedMetric(targetMetric(ctx, VERSION_PLACEHOLDER, 'requests', 'Sum'), 'the request metric'),
        maxRatio: this.maxRatio,
        ...(points === undefined ? {} : { maxIncreasePoints: points }),
        description: `canary error odds more than ${this.maxRatio} × stable's${points === undefined ? '' : ` and its rate more than ${points} points above`}`,
      },
    };
  }
}
