/**
 * How long the workflow waits between checks. Shared by the check step (run time) and the
 * construct (synth time), which bounds the execution history with the same numbers.
 */

/** While a step holds for traffic, checks back off up to this: traffic that comes back is seen within 5 minutes. */
export const MAX_HOLD_CHECK_SECONDS = 300;

/**
 * The wait after a check that found too few requests, `heldSeconds` after the bake ended: the check
 * interval, growing to a tenth of the time held so far (at most 5 minutes), never past maxHold.
 * A 6-hour hold then costs about 100 checks instead of 720 at 30 s, so the history stays bounded.
 */
export function holdWaitSeconds(checkIntervalSeconds: number, maxHoldSeconds: number, heldSeconds: number): number {
  const backoff = Math.min(MAX_HOLD_CHECK_SECONDS, Math.floor(heldSeconds / 10));
  const wait = Math.max(checkIntervalSeconds, backoff);
  return Math.max(1, Math.min(wait, maxHoldSeconds - heldSeconds));
}

/** Checks a step makes while it holds for the whole of maxHold (the last one rolls back). */
export function holdChecks(checkIntervalSeconds: number, maxHoldSeconds: number): number {
  let held = 0;
  let checks = 1;
  while (held < maxHoldSeconds) {
    held += holdWaitSeconds(checkIntervalSeconds, maxHoldSeconds, held);
    checks++;
  }
  return checks;
}

/** Checks while a step bakes (each waits the check interval or what is left of the bake). */
export function bakeChecks(checkIntervalSeconds: number, bakeSeconds: number): number {
  return Math.ceil(bakeSeconds / checkIntervalSeconds) + 1;
}
