/**
 * What connects the services: CloudWatch alarm state changes and Step Functions status changes as
 * EventBridge events, composite alarms re-evaluated on a child's change, DescribeAlarms over metric
 * and composite alarms, AppConfig's environment monitors reading CloudWatch alarms, and the
 * background timers (traffic every second, alarm evaluation every minute, and every 10 s for alarms
 * with a period under a minute).
 */
import type { DescribeAlarmsCommandInput, DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch';
import type { AppConfigSim, MonitoredAlarm } from '../aws/appconfig/appconfig';
import type { AlarmState } from '../aws/cloudwatch/alarm-evaluation';
import type { VirtualClock } from '../aws/core/clock';
import type { CloudWatchSim } from '../aws/cloudwatch/cloudwatch';
import { type AlarmRecord, type AlarmTransition, alarmArn } from '../aws/cloudwatch/alarm-types';
import type { CompositeAlarmRecord, CompositeAlarmSim } from '../aws/cloudwatch/composite-alarms';
import type { BusEvent, EventBridgeSim } from '../aws/eventbridge/eventbridge';
import type { ModelTraffic } from './model-traffic';
import type { Random } from '../aws/core/random';
import { compositeAlarmEvent, executionStatusEvent } from './service-events';
import type { ExecutionRecord } from '../aws/stepfunctions/execution-types';
import { ACCOUNT, REGION } from '../aws/core/account';
import type { TrafficModel } from './traffic';
import { MINUTE, type SimWorldOptions } from './world-types';

const SUB_MINUTE_TICK = 10_000;

export interface ServiceGlueDeps {
  readonly options: SimWorldOptions;
  readonly clock: VirtualClock;
  readonly random: Random;
  readonly cloudwatch: CloudWatchSim;
  readonly compositeAlarms: CompositeAlarmSim;
  readonly appconfig: AppConfigSim;
  readonly events: EventBridgeSim;
  readonly traffic: TrafficModel;
  readonly modelTraffic: ModelTraffic;
  readonly disposed: () => boolean;
}

export class ServiceGlue {
  private statusEvents = 0;

  constructor(private readonly d: ServiceGlueDeps) {}

  /** DescribeAlarms over metric alarms (sim/aws/cloudwatch/cloudwatch.ts) and composite alarms (on the first page). */
  public describeAlarms(input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput {
    const out = this.d.cloudwatch.describeAlarms(input);
    if (!(input.AlarmTypes ?? []).includes('CompositeAlarm') || input.NextToken) return out;
    const composites = this.d.compositeAlarms
      .describe(input.AlarmNames)
      .filter((a) => !input.AlarmNamePrefix || a.AlarmName!.startsWith(input.AlarmNamePrefix))
      .filter((a) => !input.StateValue || a.StateValue === input.StateValue);
    return { ...out, CompositeAlarms: composites };
  }

  /** A composite alarm's state change, on EventBridge; AppConfig's monitors see it at once. */
  public onCompositeTransition(alarm: CompositeAlarmRecord, previous: { state: AlarmState; reason: string; at: number }): void {
    this.d.events.putEvent(compositeAlarmEvent(alarm, previous, this.d.random.uuid()));
    this.d.appconfig.pollMonitors();
  }

  /**
   * What AppConfig reads of an environment monitor's alarm (metric or composite, by ARN): its state,
   * when it entered it, and whether its actions are enabled ("A deployment doesn't automatically
   * roll back if actions have been disabled in an associated CloudWatch alarm",
   * https://docs.aws.amazon.com/appconfig/latest/userguide/monitoring-deployments.html).
   */
  public monitoredAlarm(arn: string): MonitoredAlarm | undefined {
    const at = arn.indexOf(':alarm:');
    const name = at < 0 ? undefined : arn.slice(at + ':alarm:'.length);
    if (name === undefined || alarmArn(name) !== arn) return undefined;
    const metric = this.d.cloudwatch.alarms.get(name);
    if (metric) return { state: metric.state, since: metric.transitionedAt, actionsEnabled: metric.definition.ActionsEnabled !== false };
    const composite = this.d.compositeAlarms.alarms.get(name);
    if (composite) return { state: composite.state, since: composite.stateAt, actionsEnabled: composite.definition.ActionsEnabled !== false };
    return undefined;
  }

  /** An execution started or ended, on EventBridge. */
  public onExecutionStatus(e: ExecutionRecord): void {
    if (this.d.disposed()) return;
    // Its own id sequence: the seeded random stream (traffic, errors) stays what it was without these events.
    this.d.events.putEvent(executionStatusEvent(e, this.d.clock.now(), `sfn-status-${++this.statusEvents}`));
  }

  // ---------------------------------------------------------------- CloudWatch → EventBridge

  public onAlarmTransition(
    alarm: AlarmRecord,
    transition: AlarmTransition,
    previous: { state: AlarmState; reason: string; reasonData?: string; at: number },
  ): void {
    const def = alarm.definition;
    const timestamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
    const metrics = def.Metrics
      ? def.Metrics.map((q) =>
          q.MetricStat
            ? {
                id: q.Id,
                metricStat: {
                  metric: { namespace: q.MetricStat.Metric.Namespace, name: q.MetricStat.Metric.MetricName, dimensions: dimsOf(q.MetricStat.Metric.Dimensions) },
                  period: q.MetricStat.Period,
                  stat: q.MetricStat.Stat,
                },
                returnData: q.ReturnData ?? true,
              }
            : { id: q.Id, expression: q.Expression, label: q.Label, returnData: q.ReturnData ?? true },
        )
      : [
          {
            id: this.d.random.uuid(),
            metricStat: {
              metric: { namespace: def.Namespace, name: def.MetricName, dimensions: dimsOf(def.Dimensions) },
              period: def.Period,
              stat: def.ExtendedStatistic ?? def.Statistic,
            },
            returnData: true,
          },
        ];
    const event: BusEvent = {
      version: '0',
      id: this.d.random.uuid(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: ACCOUNT,
      time: new Date(transition.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: REGION,
      resources: [alarmArn(def.AlarmName)],
      detail: {
        alarmName: def.AlarmName,
        state: { value: transition.to, reason: transition.reason, reasonData: transition.reasonData, timestamp: timestamp(transition.at) },
        previousState: { value: previous.state, reason: previous.reason, reasonData: previous.reasonData, timestamp: timestamp(previous.at) },
        configuration: { description: def.AlarmDescription, metrics },
      },
    };
    this.d.events.putEvent(event);
    this.d.compositeAlarms.evaluate();
    // AppConfig rolls back at the transition itself, whether or not anyone reads the deployment.
    this.d.appconfig.pollMonitors();
  }

  public startBackgroundProcesses(): void {
    const second = 1000;
    const trafficTick = () => {
      const now = this.d.clock.now();
      // Also once a second (a minute when idle): what no transition announces, such as the end of a
      // deployment's monitoring window or an alarm's actions enabled again while it is in ALARM.
      this.d.appconfig.pollMonitors();
      this.d.modelTraffic.generateTraffic(now);
      const idle = this.d.traffic.requestsPerSecond(now) === 0 && !this.d.traffic.trafficChangesBetween(now, now + MINUTE);
      setTimeout(trafficTick, idle ? MINUTE - (now % MINUTE) || MINUTE : second);
    };
    setTimeout(trafficTick, second - (this.d.clock.now() % second) || second);
    const offset = (this.d.options.alarmEvaluationOffsetSeconds ?? 0) * 1000;
    const evaluate = () => {
      this.d.cloudwatch.evaluateDue();
      // 10/20/30-s alarms: "evaluated every 10 seconds" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation);
      // the ticks between minutes are scheduled only while such an alarm exists.
      if (this.d.cloudwatch.hasSubMinuteAlarms()) {
        for (let k = 1; k < MINUTE / SUB_MINUTE_TICK; k++) setTimeout(() => this.d.cloudwatch.evaluateDue(true), k * SUB_MINUTE_TICK);
      }
      setTimeout(evaluate, MINUTE);
    };
    const firstEvaluation = MINUTE - (this.d.clock.now() % MINUTE) + offset;
    setTimeout(evaluate, firstEvaluation);
  }
}

function dimsOf(list: { Name: string; Value: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((d) => [d.Name, d.Value]));
}

