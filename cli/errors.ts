/** Exit codes a script can rely on (docs/operating.md). */
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
  /** `simulate --expect` saw another outcome. */
  UNEXPECTED_OUTCOME: 7,
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
  const setup = missingSetup(e);
  if (setup) return setup;
  if (DENIED.has(e?.name)) {
    return { message: `not allowed: ${e.message} (check --profile and --region; the canary's grantOperate() gives a role what the CLI needs)`, exitCode: EXIT.NOT_ALLOWED };
  }
  return { message: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, exitCode: EXIT.ERROR };
}

/**
 * The SDK's errors for what the machine lacks, as the flag or variable to set: its own words
 * ("Region is missing", "Could not load credentials from any providers") name neither.
 */
function missingSetup(e: Error | undefined): { message: string; exitCode: number } | undefined {
  if (!e) return undefined;
  if (/^Region is missing/.test(e.message ?? '')) {
    return {
      message: 'no AWS region: give --region <region> (the canary\'s stack region) or set AWS_REGION, or set a region in the profile you use (--profile / AWS_PROFILE)',
      exitCode: EXIT.USAGE,
    };
  }
  if (e.name === 'CredentialsProviderError' && /Could not load credentials/.test(e.message ?? '')) {
    const profile = process.env.AWS_PROFILE;
    return {
      message: profile
        ? `no AWS credentials for the profile "${profile}" (--profile / AWS_PROFILE): check that ~/.aws/config or ~/.aws/credentials defines it (aws configure list-profiles), or run aws sso login --profile ${profile} if it uses IAM Identity Center`
        : 'no AWS credentials: give --profile <name> or set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (aws configure, or aws sso login for IAM Identity Center)',
      exitCode: EXIT.NOT_ALLOWED,
    };
  }
  return undefined;
}
