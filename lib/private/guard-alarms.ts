import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { TargetBinding } from './target-binding';

export interface GuardAlarmsProps {
  readonly binding: TargetBinding;
  readonly canaryVersion: string;
  readonly stableVersion: string;
  readonly namePrefix: string;
  readonly window: Duration;
  readonly maxErrorRatePercent: number;
  readonly maxLatencyP95: Duration;
  readonly maxErrorRateIncrease: number;
  readonly maxLatencyP95Increase: Duration;
  readonly additionalAlarms: cloudwatch.IAlarm[];
}

const PERIOD = Duration.minutes(1);

/** Canary requests a minute needs before its p95 is compared with stable's. */
export const MIN_P95_REQUESTS = 100;

/** One guard alarm: fires when every 1-minute datapoint of `minutes` is above `threshold`. */
export interface GuardSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly minutes: number;
  readonly description: string;
  /** A single-metric percentile: evaluate low-sample periods. */
  readonly percentile?: boolean;
  /** Its metrics name the canary version in a dimension (the workflow waits until they do). @default true */
  readonly versionScoped?: boolean;
}

/**
 * The guards: CloudWatch alarms scoped to the canary version (and, for the relative guards, to the
 * stable version too). Because the dimensions name this deploy's canary, an alarm left from an
 * earlier release can never block a fix.
 *
 * Missing data is NOT_BREACHING on purpose: a quiet minute is not evidence of harm, so it must not
 * roll back; and it is not evidence of health either, which the workflow enforces separately with
 * its minimum request count per step. The p95 guards evaluate low-sample periods
 * (`EvaluateLowSampleCountPercentile: evaluate`): a 5 % canary rarely has the 200 samples per
 * minute a p95 needs, and "ignore" would keep such an alarm OK through a real regression; the
 * window of consecutive breaching minutes keeps one slow request from firing it. The setting is
 * documented for percentile alarms only, so the metric-math p95 guard leaves it out (and CloudWatch
 * evaluates when it is absent).
 *
 * Alarm names are fixed strings (stack, canary, guard) rather than generated: people read them in
 * alerts, and the workflow can name them without depending on the alarm resources.
 */
export class GuardAlarms extends Construct {
  public readonly errorRate: cloudwatch.Alarm;
  public readonly latencyP95: cloudwatch.Alarm;
  public readonly errorRateVsStable: cloudwatch.Alarm;
  public readonly latencyP95VsStable: cloudwatch.Alarm;
  private readonly own: { readonly alarm: cloudwatch.Alarm; readonly name: string; readonly versionScoped: boolean }[] = [];
  private readonly props: GuardAlarmsProps;
  private readonly extra: cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: GuardAlarmsProps) {
    super(scope, id);
    this.props = props;
    this.extra = [...props.additionalAlarms];
    const b = props.binding;
    const m = (version: string, signal: 'requests' | 'errors' | 'latency', stat: string) =>
      b.metric(version, signal, stat).with({ period: PERIOD });
    const canary = props.canaryVersion;
    const stable = props.stableVersion;
    const minutes = Math.max(1, Math.round(props.window.toSeconds() / 60));

    this.errorRate = this.alarm('ErrorRate', {
      metric: new cloudwatch.MathExpression({
        expression: '100 * FILL(canaryErrors, 0) / canaryRequests',
        usingMetrics: { canaryErrors: m(canary, 'errors', 'Sum'), canaryRequests: m(canary, 'requests', 'Sum') },
        period: PERIOD,
        label: 'canary error rate (%)',
      }),
      threshold: props.maxErrorRatePercent,
      minutes,
      description: `Canary error rate above ${props.maxErrorRatePercent}% for ${minutes} min`,
    });

    this.latencyP95 = this.alarm('LatencyP95', {
      metric: m(canary, 'latency', 'p95'),
      threshold: props.maxLatencyP95.toMilliseconds() * b.latencyUnitsPerMillisecond,
      minutes,
      description: `Canary p95 latency above ${props.maxLatencyP95.toMilliseconds()} ms for ${minutes} min`,
      percentile: true,
    });

    this.errorRateVsStable = this.alarm('ErrorRateVsStable', {
      metric: new cloudwatch.MathExpression({
        // IF(stable…): where the stable version has no data (the 100 % step) a missing value would
        // count as 0 and the canary's own rate would be compared with the increase threshold.
        expression: 'IF(stableRequests, 100 * FILL(canaryErrors, 0) / canaryRequests - 100 * FILL(stableErrors, 0) / stableRequests)',
        usingMetrics: {
          canaryErrors: m(canary, 'errors', 'Sum'),
          canaryRequests: m(canary, 'requests', 'Sum'),
          stableErrors: m(stable, 'errors', 'Sum'),
          stableRequests: m(stable, 'requests', 'Sum'),
        },
        period: PERIOD,
        label: 'canary minus stable error rate (points)',
      }),
      threshold: props.maxErrorRateIncrease,
      minutes,
      description: `Canary error rate more than ${props.maxErrorRateIncrease} points above stable for ${minutes} min`,
    });

    this.latencyP95VsStable = this.alarm('LatencyP95VsStable', {
      metric: new cloudwatch.MathExpression({
        // A p95 of a few dozen requests is noise: compare only minutes where the canary served at
        // least MIN_P95_REQUESTS (the absolute p95 guard still watches every minute).
        expression: `IF(stableP95, IF(canaryRequests >= ${MIN_P95_REQUESTS}, canaryP95 - stableP95))`,
        usingMetrics: {
          canaryP95: m(canary, 'latency', 'p95'),
          stableP95: m(stable, 'latency', 'p95'),
          canaryRequests: m(canary, 'requests', 'Sum'),
        },
        period: PERIOD,
        label: 'canary minus stable p95 latency',
      }),
      threshold: props.maxLatencyP95Increase.toMilliseconds() * b.latencyUnitsPerMillisecond,
      minutes,
      description: `Canary p95 latency more than ${props.maxLatencyP95Increase.toMilliseconds()} ms above stable for ${minutes} min`,
    });
  }

  public get ownAlarms(): cloudwatch.Alarm[] {
    return this.own.map((o) => o.alarm);
  }

  /** The library's alarms that name the canary version in a dimension, by their literal names. */
  public get versionScopedAlarmNames(): string[] {
    return this.own.filter((o) => o.versionScoped).map((o) => o.name);
  }

  /** The library's own alarm names. */
  public get ownAlarmNames(): string[] {
    return this.own.map((o) => o.name);
  }

  /** Every name of the library's own alarms starts with this (then a dash and the guard). */
  public get alarmNamePrefix(): string {
    return `${this.props.namePrefix}-`;
  }

  /** The user's additionalAlarms. */
  public get additionalAlarms(): cloudwatch.IAlarm[] {
    return [...this.extra];
  }

  public get allAlarmNames(): string[] {
    return [...this.own.map((o) => o.name), ...this.extra.map((a) => a.alarmName)];
  }

  public get allAlarmArns(): string[] {
    return [...this.own.map((o) => this.arnOf(o.name)), ...this.extra.map((a) => a.alarmArn)];
  }

  /** Whether a guard may be a composite alarm: any of the user's additionalAlarms may be one. */
  public get mayBeComposite(): boolean {
    return this.extra.length > 0;
  }

  /**
   * DescribeAlarms on exactly the library's alarms; on `*` once the user gives additionalAlarms,
   * because returning composite alarms needs the permission on `*`
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
   * DescribeAlarms only reads alarm configuration and state.
   */
  public grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudwatch:DescribeAlarms'],
      resourceArns: this.mayBeComposite ? ['*'] : this.allAlarmArns,
    });
  }

  /** One more guard alarm of the library's own (the AI-model signal guards use this). */
  public addGuard(guard: string, o: GuardSpec): cloudwatch.Alarm {
    return this.alarm(guard, o);
  }

  private alarm(guard: string, o: GuardSpec): cloudwatch.Alarm {
    const name = `${this.props.namePrefix}-${guard}`;
    const alarm = new cloudwatch.Alarm(this, guard, {
      alarmName: name,
      alarmDescription: `cdk-model-canary guard: ${o.description}. Rolls the canary back when it fires.`,
      metric: o.metric,
      threshold: o.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: o.minutes,
      datapointsToAlarm: o.minutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluateLowSampleCountPercentile: o.percentile ? 'evaluate' : undefined,
    });
    this.own.push({ alarm, name, versionScoped: o.versionScoped ?? true });
    return alarm;
  }

  /** Built from the name, not a reference: the workflow's IAM must not depend on the alarms. */
  private arnOf(name: string): string {
    return Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }
}
