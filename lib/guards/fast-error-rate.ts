import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { GUARD_NAMES } from '../../lambda/shared/judge-plan';
import { HIGH_RESOLUTION_ENV, SIGNALS } from '../../runtime/signal-names';
import { type GuardBinding, type GuardContext, type GuardImplementation, signalMetric, throwGuardProblems, warnIfFraction } from '../private/guard-kit';
import { requireRange } from '../private/validation';

/** Properties of {@link Guard.fastErrorRate}. */
export interface FastErrorRateGuardProps {
  /**
   * Roll back when more than this share of the canary's requests fail, in percent, in each of
   * `periods` consecutive periods. A gross-failure ceiling: a canary failing half its requests is
   * caught in seconds; subtler regressions are the judged guards' work.
   * @default 30
   */
  readonly maxPercent?: number;

  /**
   * Length of one period: 10 or 30 seconds (CloudWatch's high-resolution alarm periods).
   * @default Duration.seconds(10)
   */
  readonly period?: Duration;

  /**
   * How many consecutive periods must breach.
   * @default 2
   */
  readonly periods?: number;

  /**
   * A period with fewer canary requests than this reads 0, a healthy period (it breaks a run of
   * breaching ones): 3 failures of 5 requests is noise, not a gross failure. With the defaults the
   * guard needs about one canary request a second; below that the minute guards still watch.
   * @default 10
   */
  readonly minRequests?: number;
}

/** High-resolution alarm periods that CDK and CloudWatch both accept. */
const PERIODS = [10, 30];

/**
 * The canary's error rate over 10-second periods, from the runtime helper's high-resolution
 * Requests and Errors (StorageResolution 1). The target binding turns the helper's high
 * resolution on where it sets the helper's environment; the fast path rolls back on the alarm.
 */
export class FastErrorRateGuard implements GuardImplementation {
  public readonly guardName = GUARD_NAMES.fastErrorRate;
  private readonly maxPercent: number;
  private readonly periodSeconds: number;
  private readonly periods: number;
  private readonly minRequests: number;

  constructor(private readonly props: FastErrorRateGuardProps) {
    const seconds = props.period?.toSeconds();
    throwGuardProblems('fastErrorRate', [
      ...requireRange('maxPercent', props.maxPercent, 0, 100, 'give a percentage from 0 to 100'),
      ...requireRange('periods', props.periods, 1, 30, 'give a whole number of periods from 1 to 30'),
      ...(props.periods === undefined || Number.isInteger(props.periods) ? [] : [`periods must be a whole number, got ${props.periods}`]),
      ...requireRange('minRequests', props.minRequests, 1, 1_000_000, 'give at least 1 request'),
      ...(seconds === undefined || Token.isUnresolved(seconds) || PERIODS.includes(seconds)
        ? []
        : [`period is ${seconds} s: give Duration.seconds(10) or Duration.seconds(30) (high-resolution alarm periods); for minutes use Guard.errorRate`]),
    ]);
    this.maxPercent = props.maxPercent ?? 30;
    this.periodSeconds = seconds ?? 10;
    this.periods = props.periods ?? 2;
    this.minRequests = props.minRequests ?? 10;
  }

  public bind(scope: Construct, ctx: GuardContext): GuardBinding {
    warnIfFraction(scope, 'fastErrorRate', 'maxPercent', this.props.maxPercent, '%');
    if (ctx.binding.addSignalsEnvironment) {
      ctx.binding.addSignalsEnvironment(HIGH_RESOLUTION_ENV, 'true');
    } else {
      Annotations.of(scope).addWarningV2('cdk-model-canary:fastErrorRateHelper',
        `Guard.fastErrorRate: set ${HIGH_RESOLUTION_ENV}=true where the model records its requests (or pass highResolution: true to ModelSignals), and give \`error\` on every request; without 1-second data the guard never fires.`);
    }
    const period = Duration.seconds(this.periodSeconds);
    const count = (name: string) => signalMetric(ctx, ctx.canaryVersion, name, 'Sum').with({ period });
    // Below minRequests the period reads 0 (not breaching): a few requests say nothing yet.
    const metric = new cloudwatch.MathExpression({
      expression: `IF(canaryRequests >= ${this.minRequests}, 100 * FILL(canaryErrors, 0) / canaryRequests, 0)`,
      usingMetrics: { canaryRequests: count(SIGNALS.requests), canaryErrors: count(SIGNALS.errors) },
      period,
      label: `canary error rate (%) per ${this.periodSeconds} s`,
    });
    ctx.alarms.addAlarm(this.guardName, {
      metric,
      threshold: this.maxPercent,
      minutes: this.periods,
      description: `Canary error rate above ${this.maxPercent}% in ${this.periods} consecutive ${this.periodSeconds}-second periods (at least ${this.minRequests} requests each; high-resolution alarm)`,
    });
    return {};
  }
}
