import type { Construct } from 'constructs';
import { VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, ratioProblems, throwGuardProblems } from '../private/guard-kit';
import { requireRange } from '../private/validation';
import { customNameProblems } from './custom-guard-name';
import type { IVersionedMetric } from './versioned-metric';

/** Properties of {@link Guard.rateVsStable}. */
export interface RateVsStableGuardProps {
  /** The guard's name, letters and digits (its evidence alarm is "<stack>-<canary>-<name>"). */
  readonly name: string;
  /** The events counted per version (thumbs-down clicks, LLM-judge scores below 0.5), summed per minute. */
  readonly events: IVersionedMetric;
  /** What the events are out of (requests, rated responses), summed per minute. */
  readonly trials: IVersionedMetric;

  /**
   * The canary is worse only when its odds of an event are more than this multiple of stable's.
   * @default 1.5
   */
  readonly maxRatio?: number;

  /**
   * And, when set, only when its rate is also more than this many percentage points above stable's.
   * @default - no absolute margin
   */
  readonly maxIncreasePoints?: number;
}

/** Your own event rate, canary against stable, judged like the error rate (odds ratio, anytime-valid). */
export class RateVsStableGuard implements GuardImplementation {
  public readonly guardName: string;
  private readonly maxRatio: number;

  constructor(private readonly props: RateVsStableGuardProps) {
    throwGuardProblems('rateVsStable', [
      ...customNameProblems(props?.name),
      ...(typeof props?.events?.metricFor === 'function' ? [] : ['events is missing: give an IVersionedMetric, for example VersionedMetric.fromDimension({...})']),
      ...(typeof props?.trials?.metricFor === 'function' ? [] : ['trials is missing: give an IVersionedMetric, for example VersionedMetric.fromDimension({...})']),
      ...ratioProblems(props?.maxRatio, 'event odds'),
      ...requireRange('maxIncreasePoints', props?.maxIncreasePoints, 0.001, 100, 'give percentage points above 0 and at most 100, or leave it out'),
    ]);
    this.guardName = props.name;
    this.maxRatio = props.maxRatio ?? 1.5;
  }

  public bind(_scope: Construct, _ctx: GuardContext): GuardBinding {
    const points = this.props.maxIncreasePoints;
    return {
      judged: {
        name: this.guardName,
        test: 'rate',
        events: judgedMetric(this.props.events.metricFor(VERSION_PLACEHOLDER), `Guard.rateVsStable ${this.guardName}: events`),
        trials: judgedMetric(this.props.trials.metricFor(VERSION_PLACEHOLDER), `Guard.rateVsStable ${this.guardName}: trials`),
        maxRatio: this.maxRatio,
        ...(points === undefined ? {} : { maxIncreasePoints: points }),
        description: `${this.guardName}: canary odds more than ${this.maxRatio} × stable's${points === undefined ? '' : ` and more than ${points} points above`}`,
      },
    };
  }
}
