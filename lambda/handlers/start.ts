import { readAlarms } from '../shared/alarms';
import { publishAlert } from '../shared/alerts';
import { shortIdentity } from '../shared/operator';
import { GuardsNotReadyError, TargetStateError } from '../shared/errors';
import { readGuardVersions } from '../shared/judge/guard-versions';
import { alertFacts, externalStop, log, nowSeconds } from '../shared/rollout';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { RolloutProgress, RolloutState } from '../shared/types';

/**
 * First step: the target must still be as the deploy left it, and every guard alarm must exist and
 * (for the library's own alarms) watch this canary version, before the canary gets any traffic.
 * Throws GuardsNotReady while CloudFormation is still updating the alarms; the workflow retries.
 */
export async function handler(state: RolloutState): Promise<RolloutProgress> {
  const { plan, release } = state;
  const target = await targetFor(plan.target);
  const now = nowSeconds();
  const base: RolloutProgress = {
    stepIndex: -1,
    weightPercent: 0,
    startedAt: now,
    stepStartedAt: now,
    decision: 'start',
    waitSeconds: 0,
    canaryRequests: 0,
    holdAlerted: false,
    ignoredAlarms: [],
    execution: state.execution,
  };
  if (release.stableVersion === release.canaryVersion) {
    throw new TargetStateError(`stable and canary are both version ${release.canaryVersion}: nothing to release`);
  }

  const split = await target.read();
  const relation = relate(split, release);
  if (relation === 'promoted' || relation === 'superseded') return externalStop(base, relation);
  if (relation === 'ours' && split.canaryPercent > 0) {
    throw new TargetStateError(`${target.description} already sends ${split.canaryPercent}% to ${release.canaryVersion}`);
  }

  // SageMaker: add the canary variant at weight 0 and wait for InService (EndpointBusy is retried).
  await target.prepare(release);
  // Before any traffic: a guard that cannot learn what to compare fails the release here.
  const guardVersions = await readGuardVersions(plan.judge, release, target);

  const { alarms, missing } = await readAlarms(plan.guardAlarmNames, plan.readCompositeAlarms ?? true);
  if (missing.length > 0) {
    throw new GuardsNotReadyError(`guard alarms not found: ${missing.join(', ')}`);
  }
  const scoped = new Set(plan.versionScopedAlarmNames);
  const stale = alarms.filter((a) => scoped.has(a.name) && !a.versions.includes(release.canaryVersion));
  if (stale.length > 0) {
    throw new GuardsNotReadyError(
      `alarms do not watch version ${release.canaryVersion} yet: ${stale.map((a) => a.name).join(', ')}`,
    );
  }

  // Updating an alarm keeps its state: an ALARM from before the update is about the previous version.
  const carriedOver = alarms.filter((a) => scoped.has(a.name) && a.state === 'ALARM' && a.updatedAt <= a.configuredAt);
  if (carriedOver.length > 0) {
    throw new GuardsNotReadyError(
      `alarms still show the ALARM state of the previous version until CloudWatch evaluates them again: ${carriedOver.map((a) => a.name).join(', ')}`,
    );
  }

  // An alarm already in ALARM before the canary had any traffic cannot be about the canary.
  const ignoredAlarms = alarms.filter((a) => a.state === 'ALARM' && !scoped.has(a.name)).map((a) => a.name);
  const progress = { ...base, ignoredAlarms, ...(guardVersions ? { guardVersions } : {}) };
  await publishAlert(
    plan.topicArn,
    alertFacts({ ...state, progress }, target, 'STARTED', {
      reason: [
        release.retriedBy ? `retried by ${shortIdentity(release.retriedBy.by)} (cdk-model-canary retry)` : '',
        ignoredAlarms.length > 0 ? `already in ALARM before the canary got traffic, ignored until they change: ${ignoredAlarms.join(', ')}` : '',
        ...Object.entries(guardVersions ?? {}).filter(([, v]) => v.canary === v.stable).map(([name, v]) => `${name} not judged: both versions name ${v.canary}`),
      ].filter(Boolean).join('; ') || undefined,
      operator: release.retriedBy && { command: 'retry', ...release.retriedBy },
    }),
  );
  log('rollout started', { release, ignoredAlarms, guardVersions });
  return progress;
}
