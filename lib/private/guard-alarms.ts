import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** PutMetricAlarm: AlarmName at most 255 characters. */
const MAX_ALARM_NAME = 255;

/** One guard alarm: fires when `minutes` consecutive 1-minute datapoints breach `threshold`. */
export interface GuardSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly minutes: number;
  readonly description: string;
  /** A single-metric percentile: evaluate low-sample periods. */
  readonly percentile?: boolean;
  /** Its metrics name the canary version in a dimension (the workflow waits until they do). @default true */
  readonly versionScoped?: boolean;
  /** @default GREATER_THAN_THRESHOLD */
  readonly comparison?: cloudwatch.ComparisonOperator;
}

export interface GuardAlarmsProps {
  /** "<stack>-<canaryName>": every alarm of the library's is "<prefix>-<guard>". */
  readonly namePrefix: string;
  /** For messages: the public construct ("LambdaModelCanary"). */
  readonly construct: string;
  readonly canaryName: string;
}

/**
 * The registry of a canary's guard alarms: the library's own (CloudWatch alarms of the alarm
 * guards, evidence alarms of the judged guards) and the user's (`Guard.fromAlarm`). Guards are
 * added one at a time (`addGuard()` may come after the construct), so everything that lists the
 * alarms reads this registry lazily: the plan, the fast path's pattern, the DescribeAlarms grants.
 *
 * Missing data is NOT_BREACHING on purpose: a quiet minute is not evidence of harm, so it must not
 * roll back; and it is not evidence of health either, which the workflow enforces separately with
 * its minimum request count per step. Alarm names are fixed strings (stack, canary, guard) rather
 * than generated: people read them in alerts, and the workflow can name them without depending on
 * the alarm resources.
 */
export class GuardAlarms extends Construct {
  private readonly own: { readonly alarm: cloudwatch.Alarm; readonly guard: string; readonly name: string; readonly versionScoped: boolean }[] = [];
  private readonly extra: cloudwatch.IAlarm[] = [];
  private readonly guardNames = new Set<string>();
  /** Who may read the alarms: each gets every alarm added later (a statement of its own, as statements freeze once read). */
  private readonly readers: iam.IGrantable[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: GuardAlarmsProps,
  ) {
    super(scope, id);
  }

  /** Claims a guard name; two guards of one name would fight over one alarm. */
  public claim(guard: string): void {
    if (this.guardNames.has(guard)) {
      throw new Error(`${this.props.construct}: two guards named "${guard}": give each guard once (a Guard.rateVsStable or Guard.valueVsStable guard needs a name of its own)`);
    }
    this.guardNames.add(guard);
  }

  /** One guard alarm of the library's own, named "<stack>-<canary>-<guard>". */
  public addAlarm(guard: string, o: GuardSpec): cloudwatch.Alarm {
    const name = `${this.props.namePrefix}-${guard}`;
    if (!Token.isUnresolved(name) && name.length > MAX_ALARM_NAME) {
      const canary = this.props.canaryName;
      throw new Error(`${this.props.construct}: the guard alarm name "${name.slice(0, 60)}…" is ${name.length} characters, more than CloudWatch's ${MAX_ALARM_NAME}: give a canaryName at most ${Math.max(1, canary.length - (name.length - MAX_ALARM_NAME))} characters long (or use a shorter stack name)`);
    }
    const alarm = new cloudwatch.Alarm(this, guard, {
      alarmName: name,
      alarmDescription: `cdk-model-canary guard: ${o.description}. Rolls the canary back when it fires.`,
      metric: o.metric,
      threshold: o.threshold,
      comparisonOperator: o.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: o.minutes,
      datapointsToAlarm: o.minutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      evaluateLowSampleCountPercentile: o.percentile ? 'evaluate' : undefined,
    });
    this.own.push({ alarm, guard, name, versionScoped: o.versionScoped ?? true });
    this.addToReadGrants(this.arnOf(name));
    return alarm;
  }

  /** One of the user's alarms (`Guard.fromAlarm`): any IAlarm, composite included. */
  public addExternal(alarm: cloudwatch.IAlarm): void {
    const wasComposite = this.mayBeComposite;
    this.extra.push(alarm);
    if (!wasComposite) {
      // Returning composite alarms needs DescribeAlarms on "*" (see grantRead).
      for (const grantee of this.readers) this.allowDescribe(grantee, ['*']);
    }
  }

  /** The alarm of one of the library's guards, by guard name. */
  public alarmOf(guard: string): cloudwatch.Alarm | undefined {
    return this.own.find((o) => o.guard === guard)?.alarm;
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

  /** The user's alarms (Guard.fromAlarm). */
  public get additionalAlarms(): cloudwatch.IAlarm[] {
    return [...this.extra];
  }

  public get allAlarmNames(): string[] {
    return [...this.own.map((o) => o.name), ...this.extra.map((a) => a.alarmName)];
  }

  public get allAlarmArns(): string[] {
    return [...this.own.map((o) => this.arnOf(o.name)), ...this.extra.map((a) => a.alarmArn)];
  }

  /** Whether a guard may be a composite alarm: any of the user's alarms may be one. */
  public get mayBeComposite(): boolean {
    return this.extra.length > 0;
  }

  /**
   * DescribeAlarms on exactly the guard alarms, those added later included; on `*` once the user
   * gives an alarm of their own, because returning composite alarms needs the permission on `*`
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
   * DescribeAlarms only reads alarm configuration and state.
   */
  public grantRead(grantee: iam.IGrantable): void {
    this.readers.push(grantee);
    const resources = this.mayBeComposite ? ['*'] : this.allAlarmArns;
    if (resources.length > 0) this.allowDescribe(grantee, resources);
  }

  private addToReadGrants(arn: string): void {
    if (this.mayBeComposite) return;
    for (const grantee of this.readers) this.allowDescribe(grantee, [arn]);
  }

  private allowDescribe(grantee: iam.IGrantable, resources: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources }));
    if (resources.includes('*')) acknowledgeDescribeAll(grantee);
  }

  /** Built from the name, not a reference: the workflow's IAM must not depend on the alarms. */
  private arnOf(name: string): string {
    return Stack.of(this).formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }
}

function acknowledgeDescribeAll(grantee: iam.IGrantable): void {
  const role = grantee.grantPrincipal;
  if (!(role instanceof Construct)) return;
  Validations.of(role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason: 'cloudwatch:DescribeAlarms returns composite alarms only with the permission on "*" (API_DescribeAlarms); the canary has a Guard.fromAlarm guard, which may be composite. DescribeAlarms reads alarm configuration and state only.',
  });
}
