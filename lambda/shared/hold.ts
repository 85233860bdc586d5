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

/** A change settles this many seconds before the minute ends (the call and clock skew). */
const EDGE_SLACK_SECONDS = 5;
/**
 * At most this long a step waits for its minute edge: a longer wait would cost more rollout time
 * than it saves the judge (a change made at once leaves out the rest of its minute, at most 40 s).
 */
export const MAX_EDGE_WAIT_SECONDS = 30;

/**
 * Seconds to wait so that a change made then, and `settleSeconds` after it, ends a few seconds
 * before a minute boundary: the minute after it holds one weight from its first second. 0 when
 * that is further than MAX_EDGE_WAIT_SECONDS away.
 */
export function secondsToMinuteEdge(nowSeconds: number, settleSeconds: number): number {
  const target = (((60 - EDGE_SLACK_SECONDS - settleSeconds) % 60) + 60) % 60;
  const wait = Math.round(((((target - nowSeconds) % 60) + 60) % 60) * 1000) / 1000;
  return wait <= MAX_EDGE_WAIT_SECONDS ? wait : 0;
}
