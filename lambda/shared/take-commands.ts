import { publishAlert } from './alerts';
import { readChannel } from './command-channel';
import { pendingCommands, shortIdentity } from './operator';
import { applyCommands } from './operator-rules';
import { alertFacts, log, nowSeconds, progressOf } from './rollout';
import type { TrafficTarget } from './traffic-target';
import type { RolloutProgress, RolloutState } from './types';

/**
 * The operator's commands for this rollout that no step applied yet, applied to its progress; each
 * one that changed something is logged and alerted (who ran what, and its effect). Steps call this
 * first: an abort or a pause must not wait for the guards' reads.
 */
export async function takeCommands(state: RolloutState, target: TrafficTarget): Promise<RolloutProgress> {
  const before = progressOf(state);
  const pending = before.execution ? pendingCommands(await readChannel(state.plan.commandParameter), before.execution, before.operator?.applied ?? []) : [];
  const { progress, effective } = applyCommands(before, pending, nowSeconds());
  for (const { command, effect } of effective) {
    log('operator command', { command: command.command, by: command.by, at: command.at, effect });
    await publishAlert(state.plan.topicArn, alertFacts({ ...state, progress }, target, 'OPERATOR', {
      reason: `${command.command}${command.force ? ' --force' : ''} by ${shortIdentity(command.by)}${command.reason ? ` ("${command.reason}")` : ''}: ${effect}`,
      operator: { command: command.command, by: command.by, at: command.at },
    }));
  }
  return progress;
}
