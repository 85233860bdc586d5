import { findCanary } from '../shared/canary-registry';
import { readChannel } from '../shared/command-channel';
import { alertIfEnded, type FastPathConfig, type FastPathResult, ignore, runningRollout, watchedRelease } from '../shared/fast-path';
import { shortIdentity } from '../shared/operator';
import { log } from '../shared/rollout';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import { versionDimensions } from '../targets/kinds';

export type { FastPathResult } from '../shared/fast-path';

/** What the stack's alarm rule passes: the alarm state-change event. */
export interface AlarmFastPathEvent {
  /** The stack's parameter path (`/cdk-model-canary/<stack>`): the canary is found by its descriptor. */
  readonly canaries: string;
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

/**
 * Immediate rollback: a guard alarm entered ALARM, so the canary weight goes to 0 now, without
 * waiting for the workflow's next check. The workflow notices at its next check, sends the
 * rollback alert and ends as rolled back. Only the canary that currently holds a share is touched.
 * The rule matches the stack's alarm prefix (or every alarm, with Guard.fromAlarm guards whose
 * names do not fit its pattern): an alarm no canary names is not a guard.
 */
export async function handler(input: AlarmFastPathEvent): Promise<FastPathResult> {
  const { alarmName, state } = input.event.detail;
  if (state.value !== 'ALARM') return ignore(`alarm ${alarmName} is ${state.value}`);
  const config = await findCanary(input.canaries, (d) => d.guardAlarmNames.includes(alarmName));
  if (!config) return ignore(`alarm ${alarmName} is not a guard of a canary under ${input.canaries}`);

  const target = await targetFor(config.target);
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
  log(promoted ? 'fast-path revert of a promotion' : 'fast-path rollback', { canary: config.canaryName, alarmName, release, weightPercent: promoted ? 100 : split.canaryPercent });
  if (watched) await alertIfEnded(config, watched, target, `alarm ${alarmName} fired`);
  return { action: 'rolled_back', reason: promoted ? `alarm ${alarmName} in the post-promotion watch` : `alarm ${alarmName}` };
}

/** The versions a version-scoped alarm's metrics name (their version dimension). */
function watchedVersions(input: AlarmFastPathEvent): string[] {
  const names = versionDimensions();
  return (input.event.detail.configuration?.metrics ?? []).flatMap((m) =>
    Object.entries(m.metricStat?.metric?.dimensions ?? {})
      .filter(([k]) => names.has(k))
      .map(([, v]) => v),
  );
}

/**
 * Why the fast path must not act: someone ran `promote --force` for the rollout in flight (the
 * check step promotes it at its next check). Any failure to find out is no reason: roll back.
 */
async function forcedPromotion(config: FastPathConfig): Promise<string | undefined> {
  try {
    const [channel, running] = await Promise.all([readChannel(config.commandParameter), runningRollout(config.stateMachineArn).then((r) => r?.name)]);
    const forced = running ? channel.commands.find((c) => c.command === 'promote' && c.force && c.execution === running) : undefined;
    return forced && `promote --force by ${shortIdentity(forced.by)} is pending for ${running}`;
  } catch (err) {
    log('fast path: could not read the operator channel, rolling back', { error: String(err) });
    return undefined;
  }
}
