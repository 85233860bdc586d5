import type { Construct } from 'constructs';
import { GUARD_NAMES, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { SIGNALS } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, ratioProblems, signalMetric, throwGuardProblems } from '../private/guard-kit';

/** Properties of {@link Guard.tokensPerRequestVsStable}. */
export interface TokensPerRequestVsStableGuardProps {
  /**
   * The canary is worse only when its requests use more than this multiple of stable's median
   * tokens more often than stable's own requests do. 25 % more tokens is a cost and latency change
   * worth a rollback; smaller shifts come with most prompt changes.
   * @default 1.25
   */
  readonly maxRatio?: number;
}

/** Tokens per request (the runtime helper's `TotalTokens`) against stable's, judged as a scale test. */
export class TokensPerRequestVsStableGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.tokensPerRequestVsStable;
  private readonly maxRatio: number;

  constructor(props: TokensPerRequestVsStableGuardProps) {
    throwGuardProblems('tokensPerRequestVsStable', ratioProblems(props.maxRatio, 'tokens per request'));
    this.maxRatio = props.maxRatio ?? 1.25;
  }

  public bind(_scope: Construct, ctx: GuardContext): GuardBinding {
    return {
      judged: {
        name: this.guardName,
        test: 'scale',
        values: judgedMetric(signalMetric(ctx, VERSION_PLACEHOLDER, SIGNALS.totalTokens, 'Average'), 'the token signal'),
        maxRatio: this.maxRatio,
        referencePercentiles: [50],
        direction: 'higher',
        description: `canary tokens per request more than ${this.maxRatio} × stable's median`,
      },
    };
  }
}
