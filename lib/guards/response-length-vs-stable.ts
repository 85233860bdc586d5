import type { Construct } from 'constructs';
import { GUARD_NAMES, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { SIGNALS } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, ratioProblems, signalMetric, throwGuardProblems } from '../private/guard-kit';

/** Properties of {@link Guard.responseLengthVsStable}. */
export interface ResponseLengthVsStableGuardProps {
  /**
   * The canary's responses shifted only when they are more than this multiple of stable's median
   * length longer, or shorter by the same factor, more often than stable's. Either way is a sign
   * (truncated answers, rambling): 1.5 leaves room for an intended change of style.
   * @default 1.5
   */
  readonly maxRatio?: number;
}

/** Response length (the runtime helper's `ResponseLength`) against stable's, judged as a two-sided scale test. */
export class ResponseLengthVsStableGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.responseLengthVsStable;
  private readonly maxRatio: number;

  constructor(props: ResponseLengthVsStableGuardProps) {
    throwGuardProblems('responseLengthVsStable', ratioProblems(props.maxRatio, 'response length'));
    this.maxRatio = props.maxRatio ?? 1.5;
  }

  public bind(_scope: Construct, ctx: GuardContext): GuardBinding {
    return {
      judged: {
        name: this.guardName,
        test: 'scale',
        values: judgedMetric(signalMetric(ctx, VERSION_PLACEHOLDER, SIGNALS.responseLength, 'Average'), 'the response-length signal'),
        maxRatio: this.maxRatio,
        referencePercentiles: [50],
        direction: 'both',
        description: `canary response length more than ${this.maxRatio} × (or less than 1/${this.maxRatio} of) stable's median`,
      },
    };
  }
}
