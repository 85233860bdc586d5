import { PreTrafficCheckFailedError } from '../shared/errors';
import { log, progressOf } from '../shared/rollout';
import { targetFor } from '../shared/targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/**
 * Warm-up and smoke test: sends the user's requests to the canary version alone, before it gets
 * any traffic. The first failure ends the rollout before a user request reaches the canary.
 */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const progress = progressOf(state);
  const target = targetFor(state.plan.target);
  let sent = 0;
  for (const [i, check] of state.plan.preTrafficChecks.entries()) {
    for (let n = 0; n < check.repeat; n++) {
      const result = await target.invokeCanary(state.release, check.payload);
      sent++;
      if (!result.ok) {
        throw new PreTrafficCheckFailedError(`pre-traffic request ${i + 1} failed: ${result.error}`);
      }
      if (check.expectResponseContains && !result.body.includes(check.expectResponseContains)) {
        throw new PreTrafficCheckFailedError(
          `pre-traffic request ${i + 1}: the response does not contain ${JSON.stringify(check.expectResponseContains)}: ${result.body.slice(0, 200)}`,
        );
      }
    }
  }
  log('pre-traffic checks passed', { requests: sent, release: state.release });
  return progress;
}
