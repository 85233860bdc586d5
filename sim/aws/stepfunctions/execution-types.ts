/** What Step Functions keeps of state machines and executions (DescribeExecution, GetExecutionHistory and the world read them). */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One entry of aws-local-stepfunctions' event log, as recorded. */
export interface WorkflowEvent {
  readonly type: string;
  /** Virtual epoch ms. */
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly retry?: { readonly attempt: number; readonly retrier: { readonly ErrorEquals: string[] } };
  readonly output?: unknown;
}

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly input: string;
  readonly startDate: number;
  status: ExecutionStatus;
  stopDate?: number;
  output?: unknown;
  error?: string;
  cause?: string;
  readonly events: WorkflowEvent[];
  /** Events AWS would have written to this execution's history so far. */
  historyEvents: number;
  abort?: () => void;
  /** Set once the end of the execution has been reported to onStatusChange. */
  statusReported?: boolean;
  /** Set when the execution failed for its history size. */
  historyLimitReached?: boolean;
  /** Settles when the execution has ended, whatever the outcome. */
  done: Promise<void>;
}

/** Runs one Task state: the function ARN in Resource, the state's effective input. */
export type TaskRunner = (functionArn: string, input: unknown, stateName: string, execution: ExecutionRecord) => Promise<unknown>;

export interface MachineRecord {
  readonly arn: string;
  readonly name: string;
  /** What runs: the definition with the default Task timeouts filled in. */
  definition: StateMachineDefinition;
  /** The definition as deployed (what DescribeStateMachine returns). */
  deployed: StateMachineDefinition;
  readonly createdAt: number;
}
