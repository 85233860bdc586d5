import { PreTrafficCheckFailedError } from '../shared/errors';
import { log, progressOf } from '../shared/rollout';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/** Wait before the n-th retry of a failed smoke request (1 s, 2 s, 4 s...): a transient error has time to clear. */
export function retryDelayMs(retry: number): number {
  return 1000 * 2 ** (retry - 1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Warm-up and smoke test: sends the user's requests to the canary version alone, before it gets
 * any traffic. A request that fails with an error is sent again, at most `retries` times in all for
 * its check (a healthy model with 1-2 % transient errors would otherwise fail a few releases in a
 * hundred); a response without the expected text fails at once, as it is not transient. The
 * rollout ends before a user request reaches a canary that keeps failing.
 */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const progress = progressOf(state);
  const target = await targetFor(state.plan.target);
  let sent = 0;
  let retried = 0;
  for (const [i, check] of state.plan.preTrafficChecks.entries()) {
    const budget = check.retries ?? 0;
    let used = 0;
    for (let n = 0; n < check.repeat; n++) {
      let result = await target.invokeCanary(state.release, check.payload);
      sent++;
      while (!result.ok && used < budget) {
        used++;
        retried++;
        log('pre-traffic request failed, retrying', { check: i + 1, retry: used, of: budget, error: result.error });
        await sleep(retryDelayMs(used));
        result = await target.invokeCanary(state.release, check.payload);
        sent++;
      }
      if (!result.ok) {
        const tries = used > 0 ? ` (after ${used} ${used === 1 ? 'retry' : 'retries'})` : '';
        throw new PreTrafficCheckFailedError(`pre-traffic request ${i + 1} failed${tries}: ${result.error}`);
      }
      if (check.expectResponseContains && !result.body.includes(check.expectResponseContains)) {
        throw new PreTrafficCheckFailedError(
          `pre-traffic request ${i + 1}: the response does not contain ${JSON.stringify(check.expectResponseContains)}: ${result.body.slice(0, 200)}`,
        );
      }
    }
  }
  log('pre-traffic checks passed', { requests: sent, retried, release: state.release });
  return progress;
}
