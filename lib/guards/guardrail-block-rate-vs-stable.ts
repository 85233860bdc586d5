import type { Construct } from 'constructs';
import { GUARD_NAMES, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { SIGNALS } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, judgedMetric, ratioProblems, signalMetric, throwGuardProblems } from '../private/guard-kit';

/** Properties of {@link Guard.guardrailBlockRateVsStable}. */
export interface GuardrailBlockRateVsStableGuardProps {
  /**
   * The canary is worse only when its odds of a guardrail intervention are more than this
   * multiple of stable's (1.5: half as many blocks again). Relative, because block rates differ by
   * orders of magnitude between applications.
   * @default 1.5
   */
  readonly maxRatio?: number;
}

/** Guardrail interventions (the runtime helper's `GuardrailIntervened` of `Requests`) against stable's, judged as a rate. */
export class GuardrailBlockRateVsStableGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.guardrailBlockRateVsStable;
  private readonly maxRatio: number;

  constructor(props: GuardrailBlockRateVsStableGuardProps) {
    throwGuardProblems('guardrailBlockRateVsStable', ratioProblems(props.maxRatio, 'block odds'));
    this.maxRatio = props.maxRatio ?? 1.5;
  }

  public bind(_scope: Construct, ctx: GuardContext): GuardBinding {
    return {
      judged: {
        name: this.guardName,
        test: 'rate',
        eventsLabel: 'guardrail blocks',
        events: judgedMetric(signalMetric(ctx, VERSION_PLACEHOLDER, SIGNALS.guardrailIntervened, 'Sum'), 'the guardrail signal'),
        trials: judgedMetric(signalMetric(ctx, VERSION_PLACEHOLDER, SIGNALS.requests, 'Sum'), 'the request signal'),
        maxRatio: this.maxRatio,
        description: `canary guardrail block odds more than ${this.maxRatio} × stable's`,
      },
    };
  }
}
