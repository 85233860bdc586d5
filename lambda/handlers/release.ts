import { ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { publishAlert } from '../shared/alerts';
import { awsCall } from '../shared/errors';
import { log, nowSeconds } from '../shared/rollout';
import type { TrafficSplit, TrafficTarget } from '../shared/target';
import { targetFor } from '../shared/targets';
import type { Release, TargetConfig } from '../shared/types';

const sfn = new SFNClient({});

/** Properties of the release custom resource (CloudFormation passes them as strings). */
export interface ReleaseProperties {
  readonly CanaryName: string;
  readonly Target: TargetConfig;
  readonly TopicArn: string;
  readonly StateMachineArn: string;
  /** The version this deploy wants to serve: the canary of the next rollout. */
  readonly Version: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: ReleaseProperties & { readonly ServiceToken?: string };
  readonly OldResourceProperties?: Partial<ReleaseProperties>;
}

export interface CustomResourceResult {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly StableVersion: string; readonly TargetName: string; readonly Action: string };
}

/**
 * The release custom resource owns the routing, so CloudFormation and the workflow never fight:
 * CloudFormation only hands over the version a deploy wants; this decides what that means.
 * - first deploy: route everything to that version, no rollout;
 * - a new version: stop a rollout in flight (its canary to 0 % first), then start a new one;
 * - the same version as the last deploy, or the version already in flight or stable: change nothing;
 * - the stable version while a canary is in flight (a stack rollback): stop the rollout, canary to 0 %.
 * The physical id never changes, so CloudFormation never deletes the routing on update.
 */
export async function handler(event: CustomResourceEvent): Promise<CustomResourceResult> {
  const props = event.ResourceProperties;
  const target = targetFor(props.Target);
  const physicalId = target.id;

  if (event.RequestType === 'Delete') {
    if (event.PhysicalResourceId === physicalId) {
      await stopRollouts(props.StateMachineArn, 'the canary resource was deleted');
      await target.remove();
    }
    return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId };
  }

  const { created, split } = await target.ensureServing(props.Version);
  if (created) return result(target, props.Version, 'created');

  // A deploy that changed other settings but not the version is not a release: a canary that was
  // rolled back must not come back because an alert topic changed.
  if (event.RequestType === 'Update' && event.OldResourceProperties?.Version === props.Version) {
    return result(target, split.stable, 'unchanged: the deploy did not publish a new version');
  }

  if (split.canary === props.Version && split.stable !== props.Version) {
    return result(target, split.stable, 'unchanged: this version is the canary in flight');
  }
  if (split.stable === props.Version && !split.canary) {
    return result(target, split.stable, 'unchanged: this version is already stable');
  }

  const stopped = await stopRollouts(props.StateMachineArn, `superseded by a deploy of version ${props.Version}`);
  // The rollout just stopped (or the alarm fast path) may have moved the weights since the first
  // read: act on the alias as it is now, or the conditional update fails on a stale revision.
  const current = await target.read();
  if (current.canary) await supersede(target, props, current, stopped);

  if (current.stable === props.Version) {
    return result(target, current.stable, 'rollout stopped: the deploy went back to the stable version');
  }
  const release: Release = { stableVersion: current.stable, canaryVersion: props.Version };
  const name = `release-${safe(props.Version)}-${nowSeconds()}`.slice(0, 80);
  await awsCall('StartExecution', () =>
    sfn.send(
      new StartExecutionCommand({ stateMachineArn: props.StateMachineArn, name, input: JSON.stringify({ release }) }),
    ),
  );
  log('rollout started by deploy', { release, execution: name });
  return result(target, current.stable, `rollout started: ${name}`);
}

/** The old canary gets weight 0 before anything else happens. */
async function supersede(target: TrafficTarget, props: ReleaseProperties, split: TrafficSplit, stopped: number) {
  const old: Release = { stableVersion: split.stable, canaryVersion: split.canary! };
  await target.rollback(old, split);
  await publishAlert(props.TopicArn, {
    event: 'SUPERSEDED',
    canaryName: props.CanaryName,
    target: target.description,
    stableVersion: split.stable,
    canaryVersion: old.canaryVersion,
    weightPercent: split.canaryPercent,
    reason: `a deploy asked for version ${props.Version}; the canary ${old.canaryVersion} was set to 0% (${stopped} rollout(s) stopped)`,
    at: nowSeconds(),
  });
}

async function stopRollouts(stateMachineArn: string, cause: string): Promise<number> {
  let stopped = 0;
  let token: string | undefined;
  do {
    const page = await awsCall('ListExecutions', () =>
      sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', nextToken: token })),
    );
    for (const ex of page.executions ?? []) {
      await awsCall('StopExecution', () =>
        sfn.send(new StopExecutionCommand({ executionArn: ex.executionArn, error: 'Superseded', cause })),
      );
      stopped++;
    }
    token = page.nextToken;
  } while (token);
  return stopped;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '-');
}

function result(target: TrafficTarget, stable: string, action: string): CustomResourceResult {
  log('release', { action, stable });
  return { PhysicalResourceId: target.id, Data: { StableVersion: stable, TargetName: target.name, Action: action } };
}
