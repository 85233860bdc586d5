import { VERSION_DIMENSIONS } from '../shared/alarms';
import { readChannel } from '../shared/command-channel';
import { shortIdentity } from '../shared/operator';
import { log } from '../shared/rollout';
import { targetFor } from '../shared/targets';
import type { TargetConfig } from '../shared/types';

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
  readonly config: AlarmFastPathEvent['config'] & { readonly commandParameter: string };
  readonly operator: { readonly name?: string; readonly operation?: string };
}

/** An abort older than this is history, not a request (the event is about the latest write). */
const ABORT_FRESH_SECONDS = 300;

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
  if (!split.canary || split.canaryPercent === 0) return ignore(`no canary has traffic on ${target.description}`);

  if (config.versionScopedAlarmNames.includes(alarmName)) {
    const watched = (event.detail.configuration?.metrics ?? []).flatMap((m) =>
      Object.entries(m.metricStat?.metric?.dimensions ?? {})
        .filter(([k]) => VERSION_DIMENSIONS.has(k))
        .map(([, v]) => v),
    );
    if (watched.length > 0 && !watched.includes(split.canary)) {
      return ignore(`alarm ${alarmName} watches ${watched.join('/')}, not the canary ${split.canary}`);
    }
  }

  const release = { stableVersion: split.stable, canaryVersion: split.canary };
  try {
    await target.rollback(release, split);
  } catch (err) {
    // Two guards often fire in the same minute: the other invocation may have won the race.
    if ((err as Error).name !== 'TargetStateMismatch') throw err;
    const now = await target.read();
    if (!now.canary || now.canaryPercent === 0) return ignore(`the canary ${split.canary} is already at 0%`);
    throw err;
  }
  // The alert comes from the workflow's rollback step, which sees the same alarm at its next check
  // (one source of alerts: an alert failing here could not be told apart from one never sent).
  log('fast-path rollback', { alarmName, release, weightPercent: split.canaryPercent });
  return { action: 'rolled_back', reason: `alarm ${alarmName}` };
}

/**
 * `abort` within seconds: the newest command of the channel is a fresh abort, so the canary that
 * has a share goes to 0 now; the workflow's next check ends the rollout and alerts who aborted.
 */
async function onCommand(input: OperatorFastPathEvent): Promise<FastPathResult> {
  const { config } = input;
  const channel = await readChannel(config.commandParameter);
  const latest = channel.commands[channel.commands.length - 1];
  if (!latest || latest.command !== 'abort') return ignore(`the newest command is ${latest?.command ?? 'none'}`);
  if (Date.now() / 1000 - latest.at > ABORT_FRESH_SECONDS) return ignore(`the abort of ${new Date(latest.at * 1000).toISOString()} is not fresh`);
  const target = targetFor(config.target);
  const split = await target.read();
  if (!split.canary || split.canaryPercent === 0) return ignore(`no canary has traffic on ${target.description}`);
  await target.rollback({ stableVersion: split.stable, canaryVersion: split.canary }, split);
  log('operator abort: canary to 0%', { by: latest.by, weightPercent: split.canaryPercent });
  return { action: 'rolled_back', reason: `aborted by ${shortIdentity(latest.by)}` };
}

function ignore(reason: string): FastPathResult {
  log('fast path: nothing to do', { reason });
  return { action: 'ignored', reason };
}
