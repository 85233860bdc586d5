import '../core/polyfills';
import type {
  DescribeStateMachineCommandInput,
  DescribeStateMachineCommandOutput,
  GetExecutionHistoryCommandInput,
  GetExecutionHistoryCommandOutput,
  DescribeExecutionCommandInput,
  DescribeExecutionCommandOutput,
  ExecutionListItem,
  ListExecutionsCommandInput,
  ListExecutionsCommandOutput,
  StartExecutionCommandInput,
  StartExecutionCommandOutput,
  StopExecutionCommandInput,
  StopExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { awsError } from '../core/aws-errors';
import { historyOf } from './execution-history';
import type { ExecutionRecord, MachineRecord, TaskRunner, WorkflowEvent } from './execution-types';
import { ACCOUNT, PARTITION, REGION } from '../core/account';

/**
 * An execution history holds at most 25,000 events; past that the execution fails and no Catch
 * runs: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export const MAX_HISTORY_EVENTS = 25_000;

/**
 * AWS history events one event of the local library stands for: a Task state's attempt writes
 * TaskScheduled, TaskStarted and TaskSucceeded/TaskFailed besides the state's entered/exited events
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
 */
function historyEventsOf(ev: WorkflowEvent): number {
  const task = ev.state?.type === 'Task';
  switch (ev.type) {
    case 'StateEntered':
      return task ? 4 : 1;
    case 'StateRetried':
      return task ? 3 : 0;
    case 'StateCaught':
    case 'StateFailed':
      return 0;
    default:
      return 1;
  }
}

/** Task states without TimeoutSeconds: AWS's default is 99999999 s (the local library would use 60 s). The largest a timer can hold. */
const DEFAULT_TASK_TIMEOUT_SECONDS = 2_000_000;

export function stateMachineArn(name: string): string {
  return `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
}

/**
 * Step Functions: state machines and their executions, run by aws-local-stepfunctions with every
 * Task state routed to `runTask` (the simulated Lambda), on the virtual clock.
 */
export class StepFunctionsSim {
  public readonly machines = new Map<string, MachineRecord>();
  public readonly executions = new Map<string, ExecutionRecord>();

  constructor(
    private readonly now: () => number,
    private readonly runTask: TaskRunner,
    /** Called when an execution starts and when it ends (EventBridge's "Step Functions Execution Status Change"). */
    private readonly onStatusChange: (execution: ExecutionRecord) => void = () => undefined,
  ) {}

  public putStateMachine(name: string, definition: StateMachineDefinition): string {
    const arn = stateMachineArn(name);
    const patched = withTaskTimeouts(definition);
    // Validate now, as CreateStateMachine/UpdateStateMachine would (once per definition: the ASL
    // schema compilation costs about 100 ms).
    const key = JSON.stringify(patched);
    if (!validated.has(key)) {
      new StateMachine(patched, { validationOptions: { checkArn: false } });
      validated.add(key);
    }
    const existing = this.machines.get(arn);
    if (existing) {
      existing.definition = patched;
      existing.deployed = definition;
    } else this.machines.set(arn, { arn, name, definition: patched, deployed: definition, createdAt: this.now() });
    return arn;
  }

  public startExecution(input: StartExecutionCommandInput): StartExecutionCommandOutput {
    const machine = this.machines.get(input.stateMachineArn ?? '');
    if (!machine) throw awsError('sfn', 'StateMachineDoesNotExist', 400, `State Machine Does Not Exist: '${input.stateMachineArn}'`);
    const name = input.name ?? `exec-${this.executions.size + 1}`;
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw awsError('sfn', 'InvalidName', 400, `Invalid Name: '${name}'`);
    const executionArn = `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:execution:${machine.name}:${name}`;
    const rawInput = input.input ?? '{}';
    if (Buffer.byteLength(rawInput) > 256 * 1024) {
      throw awsError('sfn', 'InvalidExecutionInput', 400, 'The input exceeds the maximum number of bytes service limit (262144 bytes)');
    }
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === rawInput) {
        return { $metadata: { httpStatusCode: 200 }, executionArn, startDate: new Date(existing.startDate) };
      }
      throw awsError('sfn', 'ExecutionAlreadyExists', 400, `Execution Already Exists: '${executionArn}'`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawInput);
    } catch {
      throw awsError('sfn', 'InvalidExecutionInput', 400, 'Invalid State Machine Execution Input');
    }
    const record: ExecutionRecord = {
      executionArn,
      name,
      stateMachineArn: machine.arn,
      input: rawInput,
      startDate: this.now(),
      status: 'RUNNING',
      events: [],
      historyEvents: 0,
      done: Promise.resolve(),
    };
    this.executions.set(executionArn, record);
    record.done = this.run(machine, record, parsed);
    this.onStatusChange(record);
    return { $metadata: { httpStatusCode: 200 }, executionArn, startDate: new Date(record.startDate) };
  }

  private run(machine: MachineRecord, record: ExecutionRecord, input: unknown): Promise<void> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of Object.entries(machine.definition.States)) {
      if (state.Type === 'Task') {
        const resource = (state as { Resource: string }).Resource;
        handlers[stateName] = (taskInput) => this.runTask(resource, taskInput, stateName, record);
      }
    }
    // Validated by putStateMachine already.
    const sm = new StateMachine(machine.definition, { validationOptions: { noValidate: true } });
    const execution = sm.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: `arn:${PARTITION}:iam::${ACCOUNT}:role/sim` },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    record.abort = execution.abort;
    const collect = (async () => {
      for await (const ev of execution.eventLogs) {
        const event = JSON.parse(JSON.stringify(ev)) as WorkflowEvent;
        record.events.push(event);
        record.historyEvents += historyEventsOf(event);
        if (record.historyEvents > MAX_HISTORY_EVENTS && record.status === 'RUNNING') {
          // The quota page does not name the error; States.Runtime is Step Functions' error for
          // failures outside the states' own. The execution ends without running any Catch.
          record.status = 'FAILED';
          record.error = 'States.Runtime';
          record.cause = `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`;
          record.stopDate = this.now();
          record.historyLimitReached = true;
          this.reportEnd(record);
          execution.abort();
        }
      }
    })();
    const settle = execution.result.then(
      (output) => {
        record.status = 'SUCCEEDED';
        record.output = output;
        this.reportEnd(record);
      },
      (err: Error & { cause?: { name?: string; message?: string } }) => {
        if (record.status === 'ABORTED' || record.historyLimitReached) return;
        if (err.name === 'ExecutionAbortedError') {
          record.status = 'ABORTED';
        } else if (err.name === 'ExecutionTimeoutError') {
          record.status = 'TIMED_OUT';
          record.error = 'States.Timeout';
        } else {
          record.status = 'FAILED';
          record.error = err.cause?.name ?? err.name;
          record.cause = err.cause?.message ?? err.message;
        }
        this.reportEnd(record);
      },
    );
    return Promise.all([settle, collect.catch(() => undefined)]).then(() => {
      this.reportEnd(record);
    });
  }

  /** The end of an execution, reported once, as soon as its status is final. */
  private reportEnd(record: ExecutionRecord): void {
    if (record.status === 'RUNNING' || record.statusReported) return;
    record.stopDate ??= this.now();
    record.statusReported = true;
    this.onStatusChange(record);
  }

  /**
   * DeleteStateMachine (a stack update removed it): "A state machine is deleted only when all its
   * executions are completed. On the next state transition, the state machine's executions are
   * terminated" (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DeleteStateMachine.html);
   * they fail with States.Runtime (https://repost.aws/knowledge-center/step-functions-stuck-deleting-status).
   * Here they end at once, as if their next transition came now.
   */
  public deleteStateMachine(name: string): void {
    const arn = stateMachineArn(name);
    for (const record of this.executions.values()) {
      if (record.stateMachineArn !== arn || record.status !== 'RUNNING') continue;
      record.status = 'FAILED';
      record.error = 'States.Runtime';
      record.cause = `State machine ${name} has been deleted.`;
      record.stopDate = this.now();
      record.abort?.();
      this.reportEnd(record);
    }
    this.machines.delete(arn);
  }

  public stopExecution(input: StopExecutionCommandInput): StopExecutionCommandOutput {
    const record = this.executions.get(input.executionArn ?? '');
    if (!record) throw awsError('sfn', 'ExecutionDoesNotExist', 400, `Execution Does Not Exist: '${input.executionArn}'`);
    if (record.status === 'RUNNING') {
      record.status = 'ABORTED';
      record.error = input.error;
      record.cause = input.cause;
      record.stopDate = this.now();
      record.abort?.();
      this.reportEnd(record);
    }
    return { $metadata: { httpStatusCode: 200 }, stopDate: new Date(record.stopDate ?? this.now()) };
  }

  public listExecutions(input: ListExecutionsCommandInput): ListExecutionsCommandOutput {
    const machine = this.machines.get(input.stateMachineArn ?? '');
    if (!machine) throw awsError('sfn', 'StateMachineDoesNotExist', 400, `State Machine Does Not Exist: '${input.stateMachineArn}'`);
    const max = input.maxResults || 100;
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === machine.arn)
      .filter((e) => !input.statusFilter || e.status === input.statusFilter)
      .sort((a, b) => b.startDate - a.startDate);
    const offset = input.nextToken ? Number(input.nextToken) : 0;
    const page = all.slice(offset, offset + max);
    return {
      $metadata: { httpStatusCode: 200 },
      executions: page.map(
        (e): ExecutionListItem => ({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: new Date(e.startDate),
          stopDate: e.stopDate !== undefined ? new Date(e.stopDate) : undefined,
        }),
      ),
      nextToken: offset + max < all.length ? String(offset + max) : undefined,
    };
  }

  public describeExecution(input: DescribeExecutionCommandInput): DescribeExecutionCommandOutput {
    const e = this.executions.get(input.executionArn ?? '');
    if (!e) throw awsError('sfn', 'ExecutionDoesNotExist', 400, `Execution Does Not Exist: '${input.executionArn}'`);
    return {
      $metadata: { httpStatusCode: 200 },
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: new Date(e.startDate),
      stopDate: e.stopDate !== undefined ? new Date(e.stopDate) : undefined,
      input: e.input,
      output: e.output !== undefined ? JSON.stringify(e.output) : undefined,
      error: e.error,
      cause: e.cause,
    };
  }

  /** DescribeStateMachine: https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html */
  public describeStateMachine(input: DescribeStateMachineCommandInput): DescribeStateMachineCommandOutput {
    const machine = this.machines.get(input.stateMachineArn ?? '');
    if (!machine) throw awsError('sfn', 'StateMachineDoesNotExist', 400, `State Machine Does Not Exist: '${input.stateMachineArn}'`);
    return {
      $metadata: { httpStatusCode: 200 },
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: JSON.stringify(machine.deployed),
      roleArn: `arn:${PARTITION}:iam::${ACCOUNT}:role/sim`,
      type: 'STANDARD',
      creationDate: new Date(machine.createdAt),
    };
  }

  /**
   * GetExecutionHistory, built from the local library's event log: ids from 1, oldest first
   * (newest first with reverseOrder), maxResults (default 100, at most 1000) per page with nextToken
   * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html;
   * event shapes: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
   */
  public getExecutionHistory(input: GetExecutionHistoryCommandInput): GetExecutionHistoryCommandOutput {
    const e = this.executions.get(input.executionArn ?? '');
    if (!e) throw awsError('sfn', 'ExecutionDoesNotExist', 400, `Execution Does Not Exist: '${input.executionArn}'`);
    const max = input.maxResults || 100;
    if (max < 0 || max > 1000) throw awsError('sfn', 'ValidationException', 400, `maxResults must be at most 1000 (got ${max})`);
    const all = historyOf(e, this.machines.get(e.stateMachineArn), input.includeExecutionData !== false);
    if (input.reverseOrder) all.reverse();
    let offset = 0;
    if (input.nextToken) {
      offset = Number(input.nextToken);
      if (!Number.isInteger(offset) || offset < 0 || offset > all.length) throw awsError('sfn', 'InvalidToken', 400, `Invalid Token: '${input.nextToken}'`);
    }
    return {
      $metadata: { httpStatusCode: 200 },
      events: all.slice(offset, offset + max),
      nextToken: offset + max < all.length ? String(offset + max) : undefined,
    };
  }
}

const validated = new Set<string>();

function withTaskTimeouts(definition: StateMachineDefinition): StateMachineDefinition {
  const copy = JSON.parse(JSON.stringify(definition)) as StateMachineDefinition;
  for (const state of Object.values(copy.States)) {
    const s = state as { Type: string; TimeoutSeconds?: number; TimeoutSecondsPath?: string };
    if (s.Type === 'Task' && s.TimeoutSeconds === undefined && s.TimeoutSecondsPath === undefined) {
      s.TimeoutSeconds = DEFAULT_TASK_TIMEOUT_SECONDS;
    }
  }
  return copy;
}
