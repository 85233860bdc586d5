/**
 * GetExecutionHistory's events, built from aws-local-stepfunctions' event log of an execution
 * (event shapes: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
 */
import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { ExecutionRecord, MachineRecord, WorkflowEvent } from './execution-types';
import { ACCOUNT, PARTITION, REGION } from '../core/account';

/** The AWS history of one execution, from aws-local-stepfunctions' event log. */
export function historyOf(e: ExecutionRecord, machine: MachineRecord | undefined, withData: boolean): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  const json = (v: unknown) => (withData ? JSON.stringify(v ?? null) : undefined);
  const add = (type: string, timestamp: number, details: Omit<HistoryEvent, 'id' | 'type' | 'timestamp'> = {}) => {
    const id = out.length + 1;
    out.push({ id, previousEventId: id - 1, type: type as HistoryEventType, timestamp: new Date(timestamp), ...details });
  };
  const resourceOf = (stateName: string) => (machine?.definition.States[stateName] as { Resource?: string } | undefined)?.Resource;
  const lambdaTask = (stateName: string) => /^arn:[^:]+:lambda:/.test(resourceOf(stateName) ?? '');
  const schedule = (ev: WorkflowEvent) => {
    const name = ev.state!.name;
    if (lambdaTask(name)) {
      add('LambdaFunctionScheduled', ev.timestamp, { lambdaFunctionScheduledEventDetails: { resource: resourceOf(name)!, input: json(ev.state?.input) } });
      add('LambdaFunctionStarted', ev.timestamp);
    } else {
      add('TaskScheduled', ev.timestamp, {
        taskScheduledEventDetails: { resource: resourceOf(name) ?? '', resourceType: 'lambda', region: REGION, parameters: json(ev.state?.input) ?? '{}' },
      });
      add('TaskStarted', ev.timestamp, { taskStartedEventDetails: { resource: resourceOf(name) ?? '', resourceType: 'lambda' } });
    }
  };
  const taskFailed = (ev: WorkflowEvent, error: string | undefined, cause: unknown) => {
    const name = ev.state!.name;
    const details = { error, cause: cause === undefined ? undefined : typeof cause === 'string' ? cause : JSON.stringify(cause) };
    if (lambdaTask(name)) add('LambdaFunctionFailed', ev.timestamp, { lambdaFunctionFailedEventDetails: details });
    else add('TaskFailed', ev.timestamp, { taskFailedEventDetails: { resource: resourceOf(name) ?? '', resourceType: 'lambda', ...details } });
  };
  let ended = false;
  for (const ev of e.events) {
    const stateType = ev.state?.type;
    switch (ev.type) {
      case 'ExecutionStarted':
        add('ExecutionStarted', ev.timestamp, {
          executionStartedEventDetails: { input: withData ? e.input : undefined, roleArn: `arn:${PARTITION}:iam::${ACCOUNT}:role/sim` },
        });
        break;
      case 'ExecutionSucceeded':
        add('ExecutionSucceeded', ev.timestamp, { executionSucceededEventDetails: { output: json(ev.output ?? e.output) } });
        ended = true;
        break;
      case 'ExecutionFailed':
        add('ExecutionFailed', ev.timestamp, { executionFailedEventDetails: { error: ev.Error ?? e.error, cause: causeText(ev.Cause) ?? e.cause } });
        ended = true;
        break;
      case 'ExecutionAborted':
        add('ExecutionAborted', ev.timestamp, { executionAbortedEventDetails: { error: e.error, cause: e.cause } });
        ended = true;
        break;
      case 'ExecutionTimeout':
        add('ExecutionTimedOut', ev.timestamp, { executionTimedOutEventDetails: { error: 'States.Timeout', cause: e.cause } });
        ended = true;
        break;
      case 'StateEntered':
        add(`${stateType}StateEntered`, ev.timestamp, { stateEnteredEventDetails: { name: ev.state!.name, input: json(ev.state?.input) } });
        if (stateType === 'Task') schedule(ev);
        break;
      case 'StateRetried':
        // The library logs StateFailed for every failed attempt; the retry is the next attempt.
        if (stateType === 'Task') schedule(ev);
        break;
      case 'StateFailed':
        // Every failed attempt; a caught failure then exits the state (the library logs StateExited).
        if (stateType === 'Task') taskFailed(ev, ev.Error, ev.Cause);
        break;
      case 'StateExited':
        if (stateType === 'Task') {
          const output = json(ev.state?.output);
          if (lambdaTask(ev.state!.name)) add('LambdaFunctionSucceeded', ev.timestamp, { lambdaFunctionSucceededEventDetails: { output } });
          else add('TaskSucceeded', ev.timestamp, { taskSucceededEventDetails: { resource: resourceOf(ev.state!.name) ?? '', resourceType: 'lambda', output } });
        }
        // A Fail state has no exited event in AWS.
        if (stateType !== 'Fail') add(`${stateType}StateExited`, ev.timestamp, { stateExitedEventDetails: { name: ev.state!.name, output: json(ev.state?.output) } });
        break;
      default:
        break;
    }
  }
  // An end the library did not log (StopExecution, the history quota): the record's status.
  if (!ended && e.status !== 'RUNNING') {
    const at = e.stopDate ?? e.startDate;
    if (e.status === 'SUCCEEDED') add('ExecutionSucceeded', at, { executionSucceededEventDetails: { output: json(e.output) } });
    else if (e.status === 'FAILED') add('ExecutionFailed', at, { executionFailedEventDetails: { error: e.error, cause: e.cause } });
    else if (e.status === 'TIMED_OUT') add('ExecutionTimedOut', at, { executionTimedOutEventDetails: { error: e.error, cause: e.cause } });
    else add('ExecutionAborted', at, { executionAbortedEventDetails: { error: e.error, cause: e.cause } });
  }
  if (!withData) for (const h of out) if (h.stateExitedEventDetails) h.stateExitedEventDetails.output = undefined;
  return out;
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

