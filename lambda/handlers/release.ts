import { ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { publishAlert } from '../shared/alerts';
import { awsCall } from '../shared/errors';
import { decideClaim, decideRelease, type OwnerRecord, ownerId } from '../shared/ownership';
import { COMPLETE_MARKER, CREATED_ACTION, isComplete, isCompleteEvent, type ReleaseCompleteEvent } from '../shared/release-complete';
import { log, nowSeconds } from '../shared/rollout';
import { VERDICT_RESOURCE_TYPE, type VerdictEvent, verdictComplete } from '../shared/deploy-verdict';
import type { TrafficSplit, TrafficTarget } from '../shared/traffic-target';
import { targetFor } from '../targets';
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
  /** 'true': take over a routing that exists without an owner record (see lambda/shared/ownership.ts). */
  readonly AdoptExisting?: string;
  /** What the version is, for a target that keeps its versions itself (a config canary's JSON config). */
  readonly VersionContent?: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  /** Together with LogicalResourceId, names the owner of the routing. */
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly RequestId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: ReleaseProperties & { readonly ServiceToken?: string };
  readonly OldResourceProperties?: Partial<ReleaseProperties>;
}

export interface CustomResourceResult {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly StableVersion: string; readonly TargetName: string; readonly Action: string; readonly ExecutionArn: string };
  /** Tells the framework's isComplete call (the same function) from a CloudFormation request; never reaches CloudFormation. */
  readonly [COMPLETE_MARKER]: true;
}

/** The routing belongs to someone else: the deploy fails with what to do. */
export class RoutingOwnedElsewhereError extends Error {
  public readonly name = 'RoutingOwnedElsewhere';
}

/**
 * The release custom resource owns the routing, so CloudFormation and the workflow never fight:
 * CloudFormation only hands over the version a deploy wants; this decides what that means.
 * - first deploy: route everything to that version, no rollout;
 * - a new version: stop a rollout in flight (its canary to 0 % first), then start a new one;
 * - the same version as the last deploy, or the version already in flight or stable: change nothing;
 * - the stable version while a rollout is in flight (a stack rollback): stop the rollout, canary to 0 %.
 * The physical id never changes, so CloudFormation never deletes the routing on update. Who owns
 * the routing is recorded on it (lambda/shared/ownership.ts): a renamed resource takes over, and
 * a Delete removes the routing only when no other resource still owns it.
 */
export async function handler(event: CustomResourceEvent): Promise<CustomResourceResult>;
export async function handler(event: ReleaseCompleteEvent): Promise<{ IsComplete: boolean }>;
export async function handler(event: CustomResourceEvent | ReleaseCompleteEvent): Promise<CustomResourceResult | { IsComplete: boolean }> {
  const verdict = (event as { ResourceType?: string }).ResourceType === VERDICT_RESOURCE_TYPE;
  // The provider framework calls this function as isComplete too, with its own result merged in.
  if (isCompleteEvent(event)) return verdict ? verdictComplete(event as unknown as VerdictEvent) : isComplete(event);
  // The deploy's wait for the verdict: nothing to do until isComplete.
  if (verdict) return { PhysicalResourceId: `ModelCanaryVerdict-${event.LogicalResourceId}`, [COMPLETE_MARKER]: true };
  return release(event);
}

async function release(event: CustomResourceEvent): Promise<CustomResourceResult> {
  const props = event.ResourceProperties;
  const target = await targetFor(props.Target);
  const me = ownerId(event.StackId, event.LogicalResourceId);

  if (event.RequestType === 'Delete') return deleteRelease(event, target, me);

  const existing = await target.readOwner();
  const claim = decideClaim(existing, me, props.AdoptExisting === 'true', event.RequestType);
  if (claim.action === 'refuse') {
    throw new RoutingOwnedElsewhereError(`canary ${props.CanaryName} cannot manage ${target.description}: ${claim.reason}`);
  }
  const { created, split } = await target.ensureServing(props.Version, props.VersionContent);
  if (claim.action === 'claim') {
    try {
      await target.writeOwner(claim.record);
    } catch (err) {
      // A failed Create is never followed by a Delete this handler sees: leave nothing half made.
      if (created) await target.remove();
      throw err;
    }
  }
  if (created) return result(target, props.Version, CREATED_ACTION);
  try {
    return await deploy(event, target, split);
  } catch (err) {
    // A failed Create is never deleted through this handler: give the routing back to its owner.
    if (event.RequestType === 'Create' && claim.action === 'claim') await restoreOwner(target, existing ?? {});
    throw err;
  }
}

async function deploy(event: CustomResourceEvent, target: TrafficTarget, split: TrafficSplit): Promise<CustomResourceResult> {
  const props = event.ResourceProperties;
  const versionChanged = event.RequestType === 'Update' && event.OldResourceProperties?.Version !== props.Version;
  // A deploy that changed other settings but not the version is not a release: a canary that was
  // rolled back must not come back because an alert topic changed.
  if (event.RequestType === 'Update' && !versionChanged) {
    return result(target, split.stable, 'unchanged: the deploy did not publish a new version');
  }
  if (split.canary === props.Version && split.stable !== props.Version && split.stable === event.OldResourceProperties?.Version) {
    // The version deployed before is promoted and this one keeps its control share (the post-promotion
    // watch): the deploy goes back to it, so all traffic does.
    const stopped = await stopRollouts(props.StateMachineArn, `the deploy went back to version ${props.Version}`);
    const current = await target.read();
    if (current.canary === props.Version) {
      await zeroCanary(target, props, { ...current, stable: props.Version, canary: current.stable, canaryPercent: 100 - current.canaryPercent }, `a deploy went back to version ${props.Version} during the post-promotion watch of ${current.stable} (${stopped} rollout(s) stopped): all traffic went back to ${props.Version}`, current);
    }
    return result(target, props.Version, 'rollout stopped: the deploy went back to the previous version during the post-promotion watch');
  }
  if (split.canary === props.Version && split.stable !== props.Version) {
    return result(target, split.stable, 'unchanged: this version is the canary in flight');
  }
  if (split.stable === props.Version && !split.canary) {
    // Back to the stable version (a stack rollback) before the rollout gave the canary any weight:
    // the rollout in flight is about to, so it must stop.
    const stopped = versionChanged ? await stopRollouts(props.StateMachineArn, `the deploy went back to version ${props.Version}`) : 0;
    if (stopped > 0) return result(target, split.stable, `rollout stopped before any traffic shift: the deploy went back to the stable version`);
    return result(target, split.stable, 'unchanged: this version is already stable');
  }

  const stopped = await stopRollouts(props.StateMachineArn, `superseded by a deploy of version ${props.Version}`);
  // The rollout just stopped (or the alarm fast path) may have moved the weights since the first
  // read: act on the alias as it is now, or the conditional update fails on a stale revision.
  const current = await target.read();
  if (current.canary) {
    await zeroCanary(target, props, current, `a deploy asked for version ${props.Version}; the canary ${current.canary} was set to 0% (${stopped} rollout(s) stopped)`);
  }

  if (current.stable === props.Version) {
    return result(target, current.stable, 'rollout stopped: the deploy went back to the stable version');
  }
  const release: Release = { stableVersion: current.stable, canaryVersion: props.Version };
  if (target.stage) {
    if (props.VersionContent === undefined) throw new Error(`${target.description} keeps its versions itself, but the release resource gave no VersionContent for ${props.Version}`);
    await target.stage(release, props.VersionContent, await target.read());
  }
  const name = executionName(props.Version, nowSeconds(), event.RequestId);
  const started = await awsCall('StartExecution', () =>
    sfn.send(
      new StartExecutionCommand({ stateMachineArn: props.StateMachineArn, name, input: JSON.stringify({ release }) }),
    ),
  );
  log('rollout started by deploy', { release, execution: name });
  return result(target, current.stable, `rollout started: ${name}`, started.executionArn ?? '');
}

/**
 * Delete: the rollouts of this resource's workflow stop (the workflow goes with it). The routing
 * goes only if this resource is its last owner; otherwise ownership passes on, and a canary this
 * resource released goes to 0 % (no workflow is left to move it).
 */
async function deleteRelease(event: CustomResourceEvent, target: TrafficTarget, me: string): Promise<CustomResourceResult> {
  const props = event.ResourceProperties;
  const physicalId = event.PhysicalResourceId ?? target.id;
  // Another physical id is a Create that failed before it made anything.
  if (event.PhysicalResourceId !== target.id) return { PhysicalResourceId: physicalId, [COMPLETE_MARKER]: true };

  const decision = decideRelease(await target.readOwner(), me);
  const stopped = await stopRollouts(props.StateMachineArn, 'the canary resource was deleted');
  if (decision.action === 'remove') {
    await target.remove();
    log('release', { action: 'removed' });
    return { PhysicalResourceId: physicalId, [COMPLETE_MARKER]: true };
  }
  if (decision.record) {
    const split = await target.read();
    if (split.canary === props.Version && split.stable !== props.Version) {
      await zeroCanary(target, props, split, `the release resource of canary ${props.CanaryName} was deleted while its canary ${split.canary} was in flight (${stopped} rollout(s) stopped); the canary was set to 0%. Deploy a new version to release again`);
    }
    await target.writeOwner(decision.record);
  }
  log('release', { action: 'left in place: another release resource owns it', record: decision.record });
  return { PhysicalResourceId: physicalId, [COMPLETE_MARKER]: true };
}

async function restoreOwner(target: TrafficTarget, record: OwnerRecord): Promise<void> {
  try {
    await target.writeOwner(record);
  } catch (err) {
    log('could not restore the owner record', { error: (err as Error).message });
  }
}

/** The old canary gets weight 0 before anything else happens (`expected`: the split as read, when `split` names the versions otherwise). */
async function zeroCanary(target: TrafficTarget, props: ReleaseProperties, split: TrafficSplit, reason: string, expected: TrafficSplit = split) {
  const old: Release = { stableVersion: split.stable, canaryVersion: split.canary! };
  await target.rollback(old, expected);
  await publishAlert(props.TopicArn, {
    event: 'SUPERSEDED',
    canaryName: props.CanaryName,
    target: target.description,
    stableVersion: split.stable,
    canaryVersion: old.canaryVersion,
    weightPercent: split.canaryPercent,
    reason,
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

/**
 * `release-<version>-<epoch seconds>-<suffix>`, at most 80 characters of [A-Za-z0-9_-] (StartExecution
 * allows 80 and forbids whitespace and `:` among others; CloudWatch logging wants only these:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). A name
 * is never reused (ExecutionAlreadyExists), so the version part is cut, never the unique tail.
 */
export function executionName(version: string, at: number, requestId?: string): string {
  const suffix = (requestId ?? Math.random().toString(36).slice(2)).replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  const tail = `-${at}-${suffix}`;
  return `release-${safe(version)}`.slice(0, 80 - tail.length) + tail;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '-');
}

/** ExecutionArn is always there ('' without a rollout): a GetAtt of a key a response lacks fails the deploy. */
function result(target: TrafficTarget, stable: string, action: string, executionArn = ''): CustomResourceResult {
  log('release', { action, stable });
  return { PhysicalResourceId: target.id, Data: { StableVersion: stable, TargetName: target.name, Action: action, ExecutionArn: executionArn }, [COMPLETE_MARKER]: true };
}
