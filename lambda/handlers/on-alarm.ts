import { VERSION_DIMENSIONS } from '../shared/alarms';
import { readChannel } from '../shared/command-channel';
import { awsCall } from '../shared/errors';
import { type CommandChannel, shortIdentity } from '../shared/operator';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { publishAlert } from '../shared/alerts';
import { log, nowSeconds } from '../shared/rollout';
import { relate, type TrafficSplit, type TrafficTarget } from '../shared/target';
import { targetFor } from '../shared/targets';
import type { Release, TargetConfig } from '../shared/types';

/** What the EventBridge rule passes: the alarm state-change event and this canary's settings. */
export interface AlarmFastPathEvent {
  readonly config: {
    readonly canaryName: string;
    readonly target: TargetConfig;
    /**
     * Every guard of this canary. The rule matches by name prefix, or (with additionalAlarms) every
     * alarm of the account: an alarm not named here is not ours.
     */
    readonly alarmNames?: string[];
    readonly versionScopedAlarmNames: string[];
    /** The workflow and the operator's channel: a pending `promote --force` holds the fast path back. Absent in stacks from before them. */
    readonly stateMachineArn?: string;
    readonly commandParameter?: string;
    /** Above 0: a promoted canary is watched, and the fast path sends traffic back to the previous version. */
    readonly postPromotionWatchSeconds?: number;
    /** Where a revert the workflow could not see any more is alerted (the watch's end raced it). */
    readonly topicArn?: string;
  };
  readonly event: {
    readonly time?: string;
    readonly detail: {
      readonly alarmName: string;
      readonly state: { readonly value: string; readonly reason?: string; readonly reasonData?: string };
      readonly configuration?: {
        readonly metrics?: {
          readonly metricStat?: { readonly metric?: { readonly dimensions?: Record<string, string> } };
        }[];
      };
    };
  };
}

/** What the rule on the operator's channel passes: an SSM "Parameter Store Change" of the commands parameter. */
export interface OperatorFastPathEvent {
  readonly config: AlarmFastPathEvent['config'] & { readonly commandParameter: string; readonly stateMachineArn: string };
  readonly operator: { readonly name?: string; readonly operation?: string };
}

const sfn = new SFNClient({});

export interface FastPathResult {
  readonly action: 'rolled_back' | 'ignored';
  readonly reason: string;
}

/**
 * Immediate rollback: a guard alarm entered ALARM, so the canary weight goes to 0 now, without
 * waiting for the workflow's next check. The workflow notices at its next check, sends the
 * rollback alert and ends as rolled back. Only the canary that currently holds a share is touched.
 */
export async function handler(input: AlarmFastPathEvent | OperatorFastPathEvent): Promise<FastPathResult> {
  if ('operator' in input) return onCommand(input);
  const { config, event } = input;
  const { alarmName, state } = event.detail;
  if (state.value !== 'ALARM') return ignore(`alarm ${alarmName} is ${state.value}`);
  if (config.alarmNames && !config.alarmNames.includes(alarmName)) return ignore(`alarm ${alarmName} is not a guard of ${config.canaryName}`);

  const target = targetFor(config.target);
  const split = await target.read();
  // In the watch the previous version may keep a control share: only the running rollout's release tells it from a canary.
  const watched = await watchedRelease(config, split);
  const promoted = watched?.release;
  const canary = promoted?.canaryVersion ?? split.canary;
  if (!canary || (!promoted && split.canaryPercent === 0)) return ignore(`no canary has traffic on ${target.description}`);

  const versions = config.versionScopedAlarmNames.includes(alarmName) ? watchedVersions(input) : [];
  if (versions.length > 0 && !versions.includes(canary)) {
    return ignore(`alarm ${alarmName} watches ${versions.join('/')}, not the canary ${canary}`);
  }
  const forced = await forcedPromotion(config);
  if (forced) return ignore(forced);

  // In the post-promotion watch, rolling back sends all traffic back to the previous version.
  const release = promoted ?? { stableVersion: split.stable, canaryVersion: canary };
  try {
    await target.rollback(release, split);
  } catch (err) {
    // Two guards often fire in the same minute: the other invocation may have won the race.
    if ((err as Error).name !== 'TargetStateMismatch') throw err;
    const now = await target.read();
    if (relate(now, release) === 'idle') return ignore(`the canary ${canary} already has no traffic`);
    throw err;
  }
  // The alert comes from the workflow's rollback step, which sees the same alarm at its next check
  // (one source of alerts: an alert failing here could not be told apart from one never sent).
  log(promoted ? 'fast-path revert of a promotion' : 'fast-path rollback', { alarmName, release, weightPercent: promoted ? 100 : split.canaryPercent });
  if (watched) await alertIfEnded(config, watched, target, `alarm ${alarmName} fired`);
  return { action: 'rolled_back', reason: promoted ? `alarm ${alarmName} in the post-promotion watch` : `alarm ${alarmName}` };
}

/** The versions a version-scoped alarm's metrics name (their version dimension). */
function watchedVersions(input: AlarmFastPathEvent): string[] {
  return (input.event.detail.configuration?.metrics ?? []).flatMap((m) =>
    Object.entries(m.metricStat?.metric?.dimensions ?? {})
      .filter(([k]) => VERSION_DIMENSIONS.has(k))
      .map(([, v]) => v),
  );
}

/**
 * The release whose promoted canary the running rollout still watches: its canary serves alone and
 * its previous version is still routable. Undefined without a watch or a running rollout.
 */
async function watchedRelease(config: AlarmFastPathEvent['config'], split: TrafficSplit): Promise<Watched | undefined> {
  if (!config.postPromotionWatchSeconds || !config.stateMachineArn) return undefined;
  if (split.canary) {
    // A canary in a step, or the previous version's control share in the watch: ask the workflow,
    // but never let that question delay a rollback (the watch check reverts a missed promotion).
    try {
      return await watchedExecution(config.stateMachineArn, split);
    } catch (err) {
      log('fast path: could not read the running rollout, acting on the split as read', { error: String(err) });
      return undefined;
    }
  }
  return watchedExecution(config.stateMachineArn, split);
}

async function watchedExecution(stateMachineArn: string, split: TrafficSplit): Promise<Watched | undefined> {
  const arn = (await runningRollout(stateMachineArn))?.executionArn;
  if (!arn) return undefined;
  const execution = await awsCall('DescribeExecution', () => sfn.send(new DescribeExecutionCommand({ executionArn: arn })));
  // ListExecutions is eventually consistent: an execution that just ended may still be listed.
  if (execution.status !== 'RUNNING') return undefined;
  const release = (JSON.parse(execution.input ?? '{}') as { release?: Release }).release;
  return release && relate(split, release) === 'promoted' ? { release, executionArn: arn } : undefined;
}

interface Watched {
  readonly release: Release;
  readonly executionArn: string;
}

/**
 * The workflow alerts every revert it sees. One that raced the end of the watch (the execution
 * ended while the fast path worked) it cannot see: this alert says so, so no revert is silent.
 */
async function alertIfEnded(config: AlarmFastPathEvent['config'], watched: Watched, target: TrafficTarget, why: string): Promise<void> {
  const e = await awsCall('DescribeExecution', () => sfn.send(new DescribeExecutionCommand({ executionArn: watched.executionArn })));
  if (e.status === 'RUNNING' || !config.topicArn) return;
  await publishAlert(config.topicArn, {
    event: 'ROLLED_BACK',
    canaryName: config.canaryName,
    target: target.description,
    stableVersion: watched.release.stableVersion,
    canaryVersion: watched.release.canaryVersion,
    weightPercent: 100,
    reason: `${why} as the rollout ${e.name} ended ${e.status}; the fast path sent traffic back to the previous version`,
    afterPromotion: true,
    at: nowSeconds(),
  });
}

/** The running rollout, if any (its name: commands name the rollout they are for). */
async function runningRollout(stateMachineArn: string): Promise<{ name?: string; executionArn?: string } | undefined> {
  const page = await awsCall('ListExecutions', () => sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 })));
  return page.executions?.[0];
}

async function runningExecution(stateMachineArn: string): Promise<string | undefined> {
  return (await runningRollout(stateMachineArn))?.name;
}

/**
 * Why the fast path must not act: someone ran `promote --force` for the rollout in flight (the
 * check step promotes it at its next check). Any failure to find out is no reason: roll back.
 */
async function forcedPromotion(config: AlarmFastPathEvent['config']): Promise<string | undefined> {
  if (!config.commandParameter || !config.stateMachineArn) return undefined;
  try {
    const [channel, running] = await Promise.all([readChannel(config.commandParameter), runningExecution(config.stateMachineArn)]);
    const forced = running ? channel.commands.find((c) => c.command === 'promote' && c.force && c.execution === running) : undefined;
    return forced && `promote --force by ${shortIdentity(forced.by)} is pending for ${running}`;
  } catch (err) {
    log('fast path: could not read the operator channel, rolling back', { error: String(err) });
    return undefined;
  }
}

/**
 * `abort` within seconds: the channel holds an abort for the rollout in flight (whatever was
 * written after it), so its canary goes to 0 now; the workflow's next check ends the rollout and
 * alerts who aborted.
 */
async function onCommand(input: OperatorFastPathEvent): Promise<FastPathResult> {
  const { config } = input;
  const [channel, running]: [CommandChannel, string | undefined] = await Promise.all([readChannel(config.commandParameter), runningExecution(config.stateMachineArn)]);
  const abort = running ? channel.commands.find((c) => c.command === 'abort' && c.execution === running) : undefined;
  if (!abort) return ignore(running ? `no abort for the rollout in flight (${running})` : 'no rollout in flight');
  const target = targetFor(config.target);
  const split = await target.read();
  const watched = await watchedRelease(config, split);
  if (watched) {
    await target.rollback(watched.release, split);
    log('operator abort: traffic back to the previous version', { by: abort.by, execution: running, release: watched.release });
    await alertIfEnded(config, watched, target, `aborted by ${shortIdentity(abort.by)}`);
    return { action: 'rolled_back', reason: `aborted by ${shortIdentity(abort.by)} in the post-promotion watch` };
  }
  if (!split.canary || split.canaryPercent === 0) return ignore(`no canary has traffic on ${target.description}`);
  await target.rollback({ stableVersion: split.stable, canaryVersion: split.canary }, split);
  log('operator abort: canary to 0%', { by: abort.by, execution: running, weightPercent: split.canaryPercent });
  return { action: 'rolled_back', reason: `aborted by ${shortIdentity(abort.by)}` };
}

function ignore(reason: string): FastPathResult {
  log('fast path: nothing to do', { reason });
  return { action: 'ignored', reason };
}
