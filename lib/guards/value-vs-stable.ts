import type { Construct } from 'constructs';
import { VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, percentileProblems, ratioProblems, throwGuardProblems } from '../private/guard-kit';
import { customNameProblems } from './custom-guard-name';
import type { IVersionedMetric } from './versioned-metric';

/** Which change of a value is harmful. */
export enum HarmfulChange {
  /** Larger values are worse (latency, tokens). */
  INCREASE = 'higher',
  /** Smaller values are worse (a quality score). */
  DECREASE = 'lower',
  /** Either way (response length). */
  EITHER = 'both',
}

/** Properties of {@link Guard.valueVsStable}. */
export interface ValueVsStableGuardProps {
  /** The guard's name, letters and digits (its evidence alarm is "<stack>-<canary>-<name>"). */
  readonly name: string;
  /**
   * A value recorded once per request (an LLM-judge score, a retrieval count), per version. The
   * judge reads percentiles and percentile ranks of it, so it must be a metric CloudWatch keeps
   * the distribution of (one value per request, not a pre-aggregated average).
   */
  readonly values: IVersionedMetric;

  /**
   * The canary is worse only when more of its values lie beyond this multiple of stable's
   * reference percentile (for DECREASE: below 1/maxRatio of it) than stable's own do.
   * @default 1.2
   */
  readonly maxRatio?: number;

  /** @default HarmfulChange.INCREASE */
  readonly harmfulChange?: HarmfulChange;

  /**
   * Stable's percentiles used as thresholds.
   * @default [50]
   */
  readonly referencePercentiles?: number[];
}

/** Your own per-request value, canary against stable, judged like latency (scale test, anytime-valid). */
export class ValueVsStableGuard implements GuardImplementation {
  public readonly guardName: string;
  private readonly maxRatio: number;

  constructor(private readonly props: ValueVsStableGuardProps) {
    const changes = Object.values(HarmfulChange) as string[];
    throwGuardProblems('valueVsStable', [
      ...customNameProblems(props?.name),
      ...(typeof props?.values?.metricFor === 'function' ? [] : ['values is missing: give an IVersionedMetric, for example VersionedMetric.fromDimension({...})']),
      ...(props?.harmfulChange === undefined || changes.includes(props.harmfulChange) ? [] : [`harmfulChange is ${JSON.stringify(props.harmfulChange)}: give HarmfulChange.INCREASE, DECREASE or EITHER`]),
      ...ratioProblems(props?.maxRatio, 'values'),
      ...percentileProblems(props?.referencePercentiles),
    ]);
    this.guardName = props.name;
    this.maxRatio = props.maxRatio ?? 1.2;
  }

  public bind(_scope: Construct, _ctx: GuardContext): GuardBinding {
    const percentiles = [...(this.props.referencePercentiles ?? [50])];
    const direction = this.props.harmfulChange ?? HarmfulChange.INCREASE;
    return {
      judged: {
        name: this.guardName,
        test: 'scale',
        values: judgedMetric(this.props.values.metricFor(VERSION_PLACEHOLDER), `Guard.valueVsStable ${this.guardName}: values`),
        maxRatio: this.maxRatio,
        referencePercentiles: percentiles,
        direction,
        description: `${this.guardName}: canary values ${direction === 'lower' ? 'below 1/' : direction === 'both' ? 'beyond ×/÷ ' : 'above '}${this.maxRatio} × stable's p${percentiles.join('/p')}`,
      },
    };
  }
}
