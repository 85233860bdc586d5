import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { GuardBinding, GuardContext, GuardImplementation } from '../private/guard-kit';

/**
 * Any alarm of yours (a business metric, a composite alarm): the canary rolls back when it enters
 * ALARM. An alarm already in ALARM when a rollout starts is ignored until it changes state: it
 * cannot be about a canary that had no traffic yet.
 */
export class AlarmGuard implements GuardImplementation {
  public readonly guardName: string;

  constructor(private readonly alarm: cloudwatch.IAlarm) {
    if (!alarm || typeof alarm.alarmName !== 'string' || typeof alarm.alarmArn !== 'string') {
      throw new Error('Guard.fromAlarm: give a cloudwatch.IAlarm (an Alarm, a CompositeAlarm, or Alarm.fromAlarmArn / fromAlarmName)');
    }
    this.guardName = alarm.alarmName;
  }

  public bind(_scope: Construct, ctx: GuardContext): GuardBinding {
    ctx.alarms.addExternal(this.alarm);
    return {};
  }
}
