import type { AlarmState } from '../aws/cloudwatch/alarm-evaluation';
import { alarmArn } from '../aws/cloudwatch/alarm-types';
import type { CompositeAlarmRecord } from '../aws/cloudwatch/composite-alarms';
import type { BusEvent } from '../aws/eventbridge/eventbridge';
import type { ExecutionRecord } from '../aws/stepfunctions/execution-types';
import { ACCOUNT, REGION } from '../aws/core/account';

const eventTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const alarmTimestamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/**
 * "Step Functions Execution Status Change" for an execution that started or ended
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html).
 */
export function executionStatusEvent(e: ExecutionRecord, now: number, id: string): BusEvent {
  const output = e.output === undefined ? null : JSON.stringify(e.output);
  return {
    version: '0',
    id,
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: eventTime(now),
    region: REGION,
    resources: [e.executionArn],
    detail: {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      stopDate: e.status === 'RUNNING' ? null : (e.stopDate ?? now),
      input: e.input,
      output,
      inputDetails: { included: true },
      outputDetails: { included: output !== null },
      error: e.error ?? null,
      cause: e.cause ?? null,
    },
  };
}

/** A composite alarm's state change, as CloudWatch sends it to EventBridge (its configuration carries the rule). */
export function compositeAlarmEvent(alarm: CompositeAlarmRecord, previous: { state: AlarmState; reason: string; at: number }, id: string): BusEvent {
  return {
    version: '0',
    id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    time: eventTime(alarm.stateAt),
    region: REGION,
    resources: [alarmArn(alarm.definition.AlarmName)],
    detail: {
      alarmName: alarm.definition.AlarmName,
      state: { value: alarm.state, reason: alarm.reason, timestamp: alarmTimestamp(alarm.stateAt) },
      previousState: { value: previous.state, reason: previous.reason, timestamp: alarmTimestamp(previous.at) },
      configuration: { alarmRule: alarm.definition.AlarmRule, description: alarm.definition.AlarmDescription },
    },
  };
}
