import type { Construct } from 'constructs';
import { ALPHA_WEIGHTS, GUARD_NAMES, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, percentileProblems, ratioProblems, targetMetric, throwGuardProblems } from '../private/guard-kit';
import { latencyUnitsPerMillisecond } from '../private/target-binding';

/** Properties of {@link Guard.latencyVsStable}. */
export interface LatencyVsStableGuardProps {
  /**
   * The canary is slower only when more of its requests take longer than this multiple of
   * stable's percentile than stable's own requests do beyond it. Relative, for heavy tails: a p95
   * that is 5-10× the median moves by tens of milliseconds from minute to minute, so a fixed
   * "+50 ms" margin fires on noise, while 20 % slower is a difference users feel.
   * @default 1.2
   */
  readonly maxRatio?: number;

  /**
   * Stable's percentiles used as thresholds, each judged (the median catches a shift of the whole
   * distribution, the p95 a fatter tail).
   * @default [50, 95]
   */
  readonly referencePercentiles?: number[];
}

/** Canary latency against stable's (Lambda Duration, SageMaker ModelLatency), judged as a scale test. */
export class LatencyVsStableGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.latencyVsStable;
  private readonly maxRatio: number;
  private readonly percentiles: number[];

  constructor(props: LatencyVsStableGuardProps) {
    throwGuardProblems('latencyVsStable', [...ratioProblems(props.maxRatio, 'latency'), ...percentileProblems(props.referencePercentiles)]);
    this.maxRatio = props.maxRatio ?? 1.2;
    this.percentiles = [...(props.referencePercentiles ?? [50, 95])];
  }

  public bind(_scope: Construct, ctx: GuardContext): GuardBinding {
    return {
      judged: {
        name: this.guardName,
        alphaWeight: ALPHA_WEIGHTS.latency,
        test: 'scale',
        values: judgedMetric(targetMetric(ctx, VERSION_PLACEHOLDER, 'latency', 'Average'), 'the latency metric'),
        maxRatio: this.maxRatio,
        referencePercentiles: this.percentiles,
        direction: 'higher',
        unit: latencyUnitsPerMillisecond(ctx.binding) === 1 ? 'ms' : latencyUnitsPerMillisecond(ctx.binding) === 1000 ? 'µs' : undefined,
        description: `canary latency more than ${this.maxRatio} × stable's at stable's p${this.percentiles.join('/p')}`,
      },
    };
  }
}
