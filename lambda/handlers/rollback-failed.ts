import { publishAlert } from '../shared/alerts';
import { alertFacts, caughtErrorText } from '../shared/rollout';
import { targetFor } from '../targets';
import type { RolloutState } from '../shared/types';

/** Last resort: the rollback itself failed after every retry. A person has to act. */
export async function handler(state: RolloutState): Promise<{ alerted: boolean }> {
  const target = await targetFor(state.plan.target);
  await publishAlert(
    state.plan.topicArn,
    alertFacts(state, target, 'ROLLBACK_FAILED', { reason: caughtErrorText(state.error), afterPromotion: state.progress?.watchStartedAt !== undefined }),
  );
  return { alerted: true };
}
