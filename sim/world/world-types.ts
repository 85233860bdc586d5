/**
 * The types SimWorld's API speaks (re-exported by world.ts): its options, what a run records and
 * returns, and the canary a world simulates.
 */
import type { Handler } from './handlers';
import type { AliasSnapshot, LambdaErrorPayload } from '../aws/lambda/lambda';
import type { AlarmTransition } from '../aws/cloudwatch/alarm-types';
import type { ServiceName } from '../aws/core/aws-errors';
import type { EndpointChange, SageMakerTimings } from '../aws/sagemaker/sagemaker';
import type { ExecutionRecord, ExecutionStatus, WorkflowEvent } from '../aws/stepfunctions/execution-types';
import type { Scenario } from './traffic';

export type { ModelTarget } from '../targets/contract';
export type { AliasSnapshot } from '../aws/lambda/lambda';

export interface SimWorldOptions {
  readonly scenario?: Scenario;
  /** Seeds traffic, errors, latencies, ids and retry jitter. */
  readonly seed?: number;
  /** Virtual start time (ISO string or epoch ms). */
  readonly startTime?: string | number;
  /** Extra delay after a minute ends before its Lambda metrics are queryable (default 0: visible at the minute's end). */
  readonly metricPublishDelaySeconds?: number;
  /**
   * Extra delay after a second ends before high-resolution data that went through CloudWatch Logs
   * (EMF with StorageResolution 1) is queryable (default 5: an assumption, AWS documents no figure).
   * PutMetricData data is readable once stored, whatever its resolution.
   */
  readonly highResolutionPublishDelaySeconds?: number;
  /** Seconds after a period ends at which CloudWatch evaluates alarms (default 0). */
  readonly alarmEvaluationOffsetSeconds?: number;
  /** Seconds from an event (alarm state change) to its target's invocation (default 2). */
  readonly eventDeliveryDelaySeconds?: number;
  /** Seconds CloudFormation takes from the release custom resource to updating the alarms that depend on it (default 10). */
  readonly cfnDependentsDelaySeconds?: number;
  /** Virtual latency of every Lambda invocation of a handler, in ms (default 100). */
  readonly invokeLatencyMs?: number;
  /**
   * Virtual latency of every AWS API call a handler makes, in ms (default 20). Non-zero latency lets
   * concurrent invocations interleave at API-call granularity, as real ones do.
   */
  readonly apiLatencyMs?: number;
  /**
   * Attempts the handlers' SDK clients make per call, as SDK v3's standard retry mode does for
   * throttling, transient and 5xx errors (exponential backoff with full jitter: 100 ms base, 500 ms
   * for throttling, at most 20 s). Default 3, the SDK's default; 1 turns client retries off.
   * aws-sdk-client-mock replaces the client's send() and with it the SDK's own retry middleware,
   * so the simulator does the retrying.
   */
  readonly sdkMaxAttempts?: number;
  /** Virtual delay before a simulated client timeout fails, in ms (default 3000). */
  readonly timeoutFaultMs?: number;
  /** Extra periods CloudWatch retrieves beyond EvaluationPeriods (default 2). */
  readonly evaluationRangeExtra?: number;
  /** Print handler logs instead of capturing them in `world.logs`. */
  readonly printLogs?: boolean;
  /**
   * The canary to simulate (its CanaryName), when the stack has several, of any kind the simulator
   * knows (sim/targets/index.ts). Resources that belong only to other canaries (their release
   * resource and the alarms that read it) are not deployed. Default: the first canary of the first
   * kind registered that the stack has (a Lambda alias, then a SageMaker endpoint).
   */
  readonly canaryName?: string;
  /** How long SageMaker endpoint operations stay Creating/Updating/Deleting, in virtual seconds (see SageMakerTimings). */
  readonly sageMaker?: Partial<SageMakerTimings>;
  /** Replaces handlers by name (what-if runs: a broken fast path, a slow step). The real code runs otherwise. */
  readonly handlers?: Readonly<Record<string, Handler>>;
  /**
   * The code of the library's 0.1 layout, by handler name, for a template of that layout (one
   * function per step and canary, Description "cdk-model-canary <canary>: <handler>"): the upgrade
   * test loads it from test/fixtures/layout-0.1. Without it such a function cannot run.
   */
  readonly legacyHandlers?: Readonly<Record<string, Handler>>;
}

export interface ApiCall {
  readonly at: number;
  readonly service: ServiceName;
  readonly operation: string;
  /** The handler that made the call. */
  readonly caller?: string;
  /** 1 for the first try, 2.. for the SDK's own retries. */
  readonly attempt: number;
  readonly error?: string;
}

export interface Invocation {
  readonly at: number;
  readonly functionName: string;
  readonly handler: string;
  readonly async: boolean;
  readonly attempt: number;
  readonly input: unknown;
  endedAt?: number;
  result?: unknown;
  error?: LambdaErrorPayload;
}

export interface LogLine {
  readonly at: number;
  readonly caller?: string;
  readonly text: string;
}

export interface Alert {
  readonly at: number;
  readonly subject?: string;
  /** The `event` field of the alert body (STARTED, STEP, ...). */
  readonly event?: string;
  readonly body: Record<string, unknown> | undefined;
  readonly by?: string;
}

export interface DeployResult {
  readonly version: string;
  readonly requestType?: 'Create' | 'Update';
  /** The release custom resource's Data.Action. */
  readonly action?: string;
  /** The execution this deploy started, if any. */
  readonly executionArn?: string;
}

export interface RunResult {
  readonly status: ExecutionStatus;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
  readonly execution: ExecutionRecord;
  readonly alerts: Alert[];
  readonly aliasHistory: AliasSnapshot[];
  /** Every change of the SageMaker endpoint (API calls and their completion), oldest first; empty for a Lambda canary. */
  readonly endpointHistory: EndpointChange[];
  readonly events: WorkflowEvent[];
  readonly alarmTransitions: AlarmTransition[];
  readonly invocations: Invocation[];
  /** Virtual ms from the start of the execution to its end (or to the end of the run). */
  readonly durationMs: number;
  /** Real ms the run took. */
  readonly realMs: number;
}

export class DeployError extends Error {
  public readonly name = 'DeployError';
  constructor(
    message: string,
    public readonly handlerError?: LambdaErrorPayload,
  ) {
    super(message);
  }
}

export const DEFAULT_START = '2026-03-02T09:00:00Z';
/** Step Functions' limit on a state's input or output: 256 KiB of UTF-8. */
export const MAX_STATE_PAYLOAD = 256 * 1024;
export const MINUTE = 60_000;
