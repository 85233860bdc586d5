import { findCanary } from '../shared/canary-registry';
import { readChannel } from '../shared/command-channel';
import { alertIfEnded, type FastPathResult, ignore, runningRollout, watchedRelease } from '../shared/fast-path';
import { type CommandChannel, shortIdentity } from '../shared/operator';
import { log } from '../shared/rollout';
import { targetFor } from '../targets';

/** What the stack's operator rule passes: an SSM "Parameter Store Change" under the stack's parameter path. */
export interface OperatorFastPathEvent {
  /** The stack's parameter path (`/cdk-model-canary/<stack>`): the canary is found by its descriptor. */
  readonly canaries: string;
  readonly operator: { readonly name?: string; readonly operation?: string };
}

/**
 * `abort` within seconds: the channel holds an abort for the rollout in flight (whatever was
 * written after it), so its canary goes to 0 now; the workflow's next check ends the rollout and
 * alerts who aborted.
 */
export async function handler(input: OperatorFastPathEvent): Promise<FastPathResult> {
  const name = input.operator.name;
  if (!name?.endsWith('/commands')) return ignore(`parameter ${name} is not a command channel`);
  const config = await findCanary(input.canaries, (d) => d.commandParameter === name);
  if (!config) return ignore(`no canary of ${input.canaries} reads commands from ${name}`);
  const [channel, running]: [CommandChannel, string | undefined] = await Promise.all([readChannel(config.commandParameter), runningRollout(config.stateMachineArn).then((r) => r?.name)]);
  const abort = running ? channel.commands.find((c) => c.command === 'abort' && c.execution === running) : undefined;
  if (!abort) return ignore(running ? `no abort for the rollout in flight (${running})` : 'no rollout in flight');
  const target = await targetFor(config.target);
  const split = await target.read();
  const watched = await watchedRelease(config, split);
  if (watched) {
    await target.rollback(watched.release, split);
    log('operator abort: traffic back to the previous version', { canary: config.canaryName, by: abort.by, execution: running, release: watched.release });
    await alertIfEnded(config, watched, target, `aborted by ${shortIdentity(abort.by)}`);
    return { action: 'rolled_back', reason: `aborted by ${shortIdentity(abort.by)} in the post-promotion watch` };
  }
  if (!split.canary || split.canaryPercent === 0) return ignore(`no canary has traffic on ${target.description}`);
  await target.rollback({ stableVersion: split.stable, canaryVersion: split.canary }, split);
  log('operator abort: canary to 0%', { canary: config.canaryName, by: abort.by, execution: running, weightPercent: split.canaryPercent });
  return { action: 'rolled_back', reason: `aborted by ${shortIdentity(abort.by)}` };
}
