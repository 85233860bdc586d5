import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { RolloutSchedule } from '../rollout-schedule';
import type { GuardBinding, GuardContext, GuardImplementation } from '../private/guard-kit';
import { AlarmGuard } from './alarm-guard';
import { BedrockGuardrailBlockRateVsStableGuard, type BedrockGuardrailBlockRateVsStableGuardProps } from './bedrock-guardrail-block-rate-vs-stable';
import { CostPerRequestGuard, type CostPerRequestGuardProps } from './cost-per-request';
import { CostPerRequestVsStableGuard, type CostPerRequestVsStableGuardProps } from './cost-per-request-vs-stable';
import { ErrorRateGuard, type ErrorRateGuardProps } from './error-rate';
import { ErrorRateVsStableGuard, type ErrorRateVsStableGuardProps } from './error-rate-vs-stable';
import { FastErrorRateGuard, type FastErrorRateGuardProps } from './fast-error-rate';
import { GuardrailBlockRateVsStableGuard, type GuardrailBlockRateVsStableGuardProps } from './guardrail-block-rate-vs-stable';
import { GuardrailBlocksGuard, type GuardrailBlocksGuardProps } from './guardrail-blocks';
import { LatencyP95Guard, type LatencyP95GuardProps } from './latency-p95';
import { LatencyVsStableGuard, type LatencyVsStableGuardProps } from './latency-vs-stable';
import { PredictionShiftGuard, type PredictionShiftGuardProps } from './prediction-shift';
import { RateVsStableGuard, type RateVsStableGuardProps } from './rate-vs-stable';
import { ResponseLengthVsStableGuard, type ResponseLengthVsStableGuardProps } from './response-length-vs-stable';
import { SchemaFailureRateGuard, type SchemaFailureRateGuardProps } from './schema-failure-rate';
import { TokensPerRequestRatioGuard, type TokensPerRequestRatioGuardProps } from './tokens-per-request-ratio';
import { TokensPerRequestVsStableGuard, type TokensPerRequestVsStableGuardProps } from './tokens-per-request-vs-stable';
import { ValueVsStableGuard, type ValueVsStableGuardProps } from './value-vs-stable';

/**
 * A check that rolls the canary back, given to a canary in `guards` or with `addGuard()`.
 *
 * Two kinds. **Alarm guards** are CloudWatch alarms on the canary's own numbers (error rate above
 * 5 %, p95 above 10 s...): a ceiling whatever stable does, firing after a window of breaching
 * minutes. **Judged guards** (names ending in `VsStable`, and `predictionShift`) compare the
 * canary with stable in the check step with an anytime-valid sequential test: the chance that a
 * canary as good as stable (within the guard's margin) is rolled back stays below the rollout's
 * `falseRollbackRate` however often the check looks, and a clearly worse canary is caught as soon
 * as the counts show it. Each judged guard publishes its evidence as a metric with an alarm on it,
 * so alerts, the fast path and dashboards see it like any alarm.
 *
 * Guards that read the model signals (tokens, guardrail, schema, response length, cost, predicted
 * class) need the model code to record them with `cdk-model-canary/runtime`; without data they
 * stay quiet.
 */
export abstract class Guard {
  /**
   * The guards of a canary given no `guards`: the target's own numbers, absolute and against
   * stable. Spread them to add more: `guards: [...Guard.defaults(), Guard.tokensPerRequestVsStable()]`.
   */
  public static defaults(): Guard[] {
    return [Guard.errorRate(), Guard.latencyP95(), Guard.errorRateVsStable(), Guard.latencyVsStable()];
  }

  /** Canary error rate above an absolute ceiling (alarm; default 5 % for 5 minutes). */
  public static errorRate(props: ErrorRateGuardProps = {}): Guard {
    return new ImplementedGuard(new ErrorRateGuard(props));
  }

  /**
   * Canary error rate above a gross-failure ceiling over 10-second periods (high-resolution alarm;
   * default 30 % in 2 consecutive periods of at least 10 requests): a canary failing most of its
   * requests is at 0 % within about a minute. Reads the runtime helper's Requests and Errors at
   * 1-second resolution, which the canary turns on in the helper's environment; record `error` on
   * every request (the config router does). A high-resolution alarm is billed about 3 × a standard one.
   */
  public static fastErrorRate(props: FastErrorRateGuardProps = {}): Guard {
    return new ImplementedGuard(new FastErrorRateGuard(props));
  }

  /** Canary p95 latency above an absolute ceiling (alarm; default 10 s for 5 minutes). */
  public static latencyP95(props: LatencyP95GuardProps = {}): Guard {
    return new ImplementedGuard(new LatencyP95Guard(props));
  }

  /** Canary error odds against stable's (judged; default more than 1.5 × stable's). */
  public static errorRateVsStable(props: ErrorRateVsStableGuardProps = {}): Guard {
    return new ImplementedGuard(new ErrorRateVsStableGuard(props));
  }

  /** Canary latency against stable's at stable's median and p95 (judged; default 20 % slower). */
  public static latencyVsStable(props: LatencyVsStableGuardProps = {}): Guard {
    return new ImplementedGuard(new LatencyVsStableGuard(props));
  }

  /** Tokens per request above a multiple of stable's (alarm; default 150 % for 10 minutes). */
  public static tokensPerRequestRatio(props: TokensPerRequestRatioGuardProps = {}): Guard {
    return new ImplementedGuard(new TokensPerRequestRatioGuard(props));
  }

  /** Tokens per request against stable's (judged; default 25 % more). */
  public static tokensPerRequestVsStable(props: TokensPerRequestVsStableGuardProps = {}): Guard {
    return new ImplementedGuard(new TokensPerRequestVsStableGuard(props));
  }

  /** Guardrail blocks a minute beyond what stable's rate explains (alarm; default 10 a minute for 5 minutes). */
  public static guardrailBlocks(props: GuardrailBlocksGuardProps = {}): Guard {
    return new ImplementedGuard(new GuardrailBlocksGuard(props));
  }

  /** Guardrail block odds against stable's (judged; default 1.5 × stable's). */
  public static guardrailBlockRateVsStable(props: GuardrailBlockRateVsStableGuardProps = {}): Guard {
    return new ImplementedGuard(new GuardrailBlockRateVsStableGuard(props));
  }

  /** Output-schema failures above a ceiling (alarm; default 1 % for 5 minutes). */
  public static schemaFailureRate(props: SchemaFailureRateGuardProps = {}): Guard {
    return new ImplementedGuard(new SchemaFailureRateGuard(props));
  }

  /** Response length against stable's, either way (judged; default 1.5 × or 1/1.5 of stable's median). */
  public static responseLengthVsStable(props: ResponseLengthVsStableGuardProps = {}): Guard {
    return new ImplementedGuard(new ResponseLengthVsStableGuard(props));
  }

  /** Cost per canary request above a budget (alarm, 10 minutes). */
  public static costPerRequest(props: CostPerRequestGuardProps): Guard {
    return new ImplementedGuard(new CostPerRequestGuard(props));
  }

  /** Cost per request above a multiple of stable's (alarm; default 150 % for 10 minutes). */
  public static costPerRequestVsStable(props: CostPerRequestVsStableGuardProps): Guard {
    return new ImplementedGuard(new CostPerRequestVsStableGuard(props));
  }

  /** The canary's predicted classes against stable's (judged; default odds 1.5 × either way). */
  public static predictionShift(props: PredictionShiftGuardProps): Guard {
    return new ImplementedGuard(new PredictionShiftGuard(props));
  }

  /** A Bedrock guardrail's own intervention rate, canary's guardrail version against stable's (judged). */
  public static bedrockGuardrailBlockRateVsStable(props: BedrockGuardrailBlockRateVsStableGuardProps): Guard {
    return new ImplementedGuard(new BedrockGuardrailBlockRateVsStableGuard(props));
  }

  /** Your own event rate (thumbs-down of rated responses, low LLM-judge scores of requests) against stable's (judged). */
  public static rateVsStable(props: RateVsStableGuardProps): Guard {
    return new ImplementedGuard(new RateVsStableGuard(props));
  }

  /** Your own per-request value (a score, a count) against stable's (judged). */
  public static valueVsStable(props: ValueVsStableGuardProps): Guard {
    return new ImplementedGuard(new ValueVsStableGuard(props));
  }

  /** Any alarm of yours, composite included: the canary rolls back when it enters ALARM. */
  public static fromAlarm(alarm: cloudwatch.IAlarm): Guard {
    return new ImplementedGuard(new AlarmGuard(alarm));
  }

  /**
   * The guard's name: the last part of its alarm's name ("<stack>-<canary>-<guardName>"); for
   * `Guard.fromAlarm`, the alarm's own name.
   */
  public abstract readonly guardName: string;

  /** Problems with the rollout's schedule (a window longer than all bakes). @internal */
  public abstract _scheduleProblems(schedule: RolloutSchedule): string[];

  /** Adds the guard to a canary. @internal */
  public abstract _bind(scope: Construct, ctx: GuardContext): GuardBinding;
}

/** The factories' guards: a Guard over one implementation file. */
class ImplementedGuard extends Guard {
  public readonly guardName: string;

  constructor(private readonly impl: GuardImplementation) {
    super();
    this.guardName = impl.guardName;
  }

  /** @internal */
  public _scheduleProblems(schedule: RolloutSchedule): string[] {
    return this.impl.scheduleProblems?.(schedule) ?? [];
  }

  /** @internal */
  public _bind(scope: Construct, ctx: GuardContext): GuardBinding {
    return this.impl.bind(scope, ctx);
  }
}
