/** The commands that steer a rollout: each is written to the canary's channel with who sent it. */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { randomUUID } from 'node:crypto';
import { firingAlarms, readAlarms } from '../lambda/shared/alarms';
import { writeChannel } from '../lambda/shared/command-channel';
import { type CanaryDescriptor, type OperatorCommand, type OperatorCommandName, withCommand } from '../lambda/shared/operator';
import { nowSeconds } from '../lambda/shared/rollout';
import { relate } from '../lambda/shared/traffic-target';
import { targetFor } from '../lambda/targets';
import { CliError, EXIT } from './errors';
import { type Clients, listRollouts, readChannelOf, readPlan, readProgress } from './rollouts';

export interface CommandResult {
  readonly canary: string;
  readonly command: OperatorCommandName | 'retry';
  readonly by: string;
  readonly at: string;
  readonly execution: string;
  /** What happens next, for a person. */
  readonly effect: string;
}

export async function callerIdentity(): Promise<string> {
  const out = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  if (!out.Arn) throw new CliError('STS GetCallerIdentity returned no ARN: check your credentials', EXIT.NOT_ALLOWED);
  return out.Arn;
}

const EFFECT: Record<OperatorCommandName, string> = {
  abort: 'the canary goes to 0% within seconds; the rollout ends as rolled back',
  promote: 'the next check promotes the canary to 100%',
  pause: 'the next check holds the canary at its share and stops the bake clock (guards keep watching)',
  resume: 'the next check resumes the bake where it stopped',
  approve: 'the next check lets the rollout past its approval gate',
};

/** Writes one command for the rollout in flight; refuses what cannot apply, saying why. */
export async function sendCommand(c: Clients, d: CanaryDescriptor, command: OperatorCommandName, opts: { force?: boolean; reason?: string } = {}): Promise<CommandResult> {
  const [latest] = await listRollouts(c, d, 1);
  if (!latest || latest.status !== 'RUNNING') {
    const last = latest ? `the last one, ${latest.execution}, ended ${latest.outcome}` : 'there has been none';
    throw new CliError(`no rollout of ${d.canaryName} is in flight (${last}): ${command} applies to a running rollout${command === 'abort' ? '' : '; `cdk-model-canary retry` starts a rolled-back release again'}`, EXIT.REFUSED);
  }
  const plan = await readPlan(c, d);
  const { progress } = await readProgress(c, latest.executionArn);
  if (progress?.watchStartedAt !== undefined && command !== 'abort') {
    const left = Math.max(0, progress.watchStartedAt + (plan.postPromotionWatchSeconds ?? 0) - nowSeconds());
    throw new CliError(`${d.canaryName} is promoted; the guards watch it for ${Math.ceil(left / 60)} more min: ${command} no longer applies (abort sends traffic back to ${latest.release?.stableVersion ?? 'the previous version'})`, EXIT.REFUSED);
  }
  if (command === 'promote' && !opts.force) {
    const reading = await readAlarms(plan.guardAlarmNames, plan.readCompositeAlarms ?? true);
    const firing = firingAlarms(reading.alarms, progress?.ignoredAlarms ?? [], progress?.startedAt ?? 0);
    if (firing.length > 0) {
      throw new CliError(`refusing to promote ${d.canaryName}: guard ${firing.map((a) => a.name).join(', ')} fires (the workflow will roll it back). Add --force to promote anyway`, EXIT.REFUSED);
    }
  }
  if (command === 'resume' && !progress?.operator?.pausedBy && !(await readChannelOf(c, d)).commands.some((x) => x.execution === latest.execution && x.command === 'pause')) {
    throw new CliError(`${d.canaryName} is not paused: nothing to resume`, EXIT.REFUSED);
  }
  if (command === 'approve' && (plan.approvalSteps ?? []).length === 0) {
    throw new CliError(`${d.canaryName} has no approval gate (the approvalGates prop): nothing to approve`, EXIT.REFUSED);
  }
  if (command === 'approve' && progress?.hold !== 'approval') {
    // An approval sent early would approve whatever step comes next, not the gate a person means.
    throw new CliError(`${d.canaryName} is not waiting at an approval gate (step ${(progress?.stepIndex ?? -1) + 1} of ${plan.steps.length}): approve once \`status\` says it waits`, EXIT.REFUSED);
  }
  if (command === 'promote' && opts.force) {
    const split = await (await targetFor(plan.target)).read();
    if (!latest.release || split.canary !== latest.release.canaryVersion || split.canaryPercent === 0) {
      throw new CliError(`refusing to promote ${d.canaryName}: the canary has no share any more (a guard's fast path or an abort set it to 0%); the rollout ends as rolled back, then \`cdk-model-canary retry\``, EXIT.REFUSED);
    }
  }
  const by = await callerIdentity();
  const cmd: OperatorCommand = {
    id: randomUUID(),
    command,
    by,
    at: nowSeconds(),
    execution: latest.execution,
    ...(latest.release ? { canaryVersion: latest.release.canaryVersion } : {}),
    ...(opts.force ? { force: true } : {}),
    ...(opts.reason ? { reason: opts.reason.slice(0, 300) } : {}),
  };
  await writeVerified(c, d, cmd);
  return { canary: d.canaryName, command, by, at: new Date(cmd.at * 1000).toISOString(), execution: latest.execution, effect: progress?.watchStartedAt !== undefined && command === 'abort' ? `all traffic goes back to ${latest.release?.stableVersion ?? 'the previous version'} within seconds; the rollout ends as rolled back` : EFFECT[command] };
}

/**
 * Parameter Store has no conditional write: two operators writing at once could each overwrite the
 * other's command. Read back, and write again while ours is missing (the other one is kept).
 */
async function writeVerified(c: Clients, d: CanaryDescriptor, cmd: OperatorCommand): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    await writeChannel(c.ssm, d.commandParameter, withCommand(await readChannelOf(c, d), cmd));
    if ((await readChannelOf(c, d)).commands.some((x) => x.id === cmd.id)) return;
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  throw new CliError(`the ${cmd.command} command did not stay in ${d.commandParameter} (others kept writing it): try again`, EXIT.ERROR);
}

/**
 * Starts the last rolled-back release again, with the same stable and canary versions, without a
 * deploy: only while stable serves everything and no rollout runs.
 */
export async function retry(c: Clients, d: CanaryDescriptor): Promise<CommandResult> {
  const rollouts = await listRollouts(c, d, 20);
  if (rollouts[0]?.status === 'RUNNING') throw new CliError(`a rollout of ${d.canaryName} is in flight (${rollouts[0].execution}): abort it first`, EXIT.REFUSED);
  const last = rollouts.find((r) => r.outcome !== 'superseded');
  if (!last || (last.outcome !== 'rolled back' && last.outcome !== 'failed' && last.outcome !== 'stopped') || !last.release) {
    throw new CliError(`nothing to retry: the last release of ${d.canaryName} ${last ? `was ${last.outcome}` : 'does not exist'}; retry starts a rolled-back release again`, EXIT.REFUSED);
  }
  const plan = await readPlan(c, d);
  const split = await (await targetFor(plan.target)).read();
  if (relate(split, last.release) !== 'idle') {
    throw new CliError(`cannot retry ${d.canaryName} ${last.release.canaryVersion}: the target no longer serves stable ${last.release.stableVersion} alone (it serves ${split.stable}${split.canary ? ` and ${split.canary} at ${split.canaryPercent}%` : ''}); deploy the version instead`, EXIT.REFUSED);
  }
  const by = await callerIdentity();
  const at = nowSeconds();
  const name = `retry-${last.release.canaryVersion.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 60) + `-${at}-${randomUUID().slice(0, 8)}`;
  const release = { stableVersion: last.release.stableVersion, canaryVersion: last.release.canaryVersion, retriedBy: { by, at } };
  await c.sfn.send(new StartExecutionCommand({ stateMachineArn: d.stateMachineArn, name, input: JSON.stringify({ release }) }));
  return { canary: d.canaryName, command: 'retry', by, at: new Date(at * 1000).toISOString(), execution: name, effect: `a new rollout of ${last.release.canaryVersion} against ${last.release.stableVersion} started` };
}
