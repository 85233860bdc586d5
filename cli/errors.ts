/** Exit codes a script can rely on (README "Operating a rollout"). */
export const EXIT = {
  OK: 0,
  /** Anything unexpected (an AWS error, a network failure). */
  ERROR: 1,
  /** Bad command line (commander's own errors too). */
  USAGE: 2,
  /** No canary of that name, or more than one (give --stack). */
  NOT_FOUND: 3,
  /** The command does not apply now: no rollout in flight, a guard fires, nothing to retry. */
  REFUSED: 4,
  /** The caller's credentials may not do this. */
  NOT_ALLOWED: 5,
  /** `watch` saw the rollout end without a promotion. */
  NOT_PROMOTED: 6,
} as const;

export class CliError extends Error {
  public readonly name = 'CliError';
  constructor(message: string, public readonly exitCode: number) {
    super(message);
  }
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'UnrecognizedClientException', 'ExpiredTokenException', 'InvalidClientTokenId', 'CredentialsProviderError', 'TokenProviderError']);

/** An error as the user sees it, with its exit code. */
export function explain(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  const e = err as Error;
  if (DENIED.has(e?.name)) {
    return { message: `not allowed: ${e.message} (check --profile and --region; the canary's grantOperate() gives a role what the CLI needs)`, exitCode: EXIT.NOT_ALLOWED };
  }
  return { message: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, exitCode: EXIT.ERROR };
}
