/**
 * Named errors: Step Functions retries and catches them by name, so each name is part of the
 * workflow's contract (see lib/private/rollout-workflow.ts).
 */

/** Throttling, a 5xx or a timeout: safe to try again after a pause. */
export class TransientAwsError extends Error {
  public readonly name = 'TransientAwsError';
}

/** The guard alarms do not watch the canary yet (CloudFormation is still updating them). */
export class GuardsNotReadyError extends Error {
  public readonly name = 'GuardsNotReady';
}

/** A warm-up or smoke-test request to the canary failed before it got any traffic. */
export class PreTrafficCheckFailedError extends Error {
  public readonly name = 'PreTrafficCheckFailed';
}

/** The target is not in a state this rollout can act on. */
export class TargetStateError extends Error {
  public readonly name = 'TargetStateMismatch';
}

const TRANSIENT_NAMES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ServiceException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServiceError',
  'InternalServerError',
  'InternalError',
  'ResourceConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** True for errors that a later attempt can clear: throttling, server faults, timeouts. */
export function isTransient(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as AwsLikeError;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.code && TRANSIENT_NAMES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/** Runs one AWS call and turns a transient failure into {@link TransientAwsError}. */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isTransient(err)) {
      const e = err as AwsLikeError;
      throw new TransientAwsError(`${what}: ${e.name ?? 'error'}: ${e.message ?? String(err)}`);
    }
    throw err;
  }
}

export function errorName(err: unknown): string {
  return (err as AwsLikeError | undefined)?.name ?? 'Error';
}
