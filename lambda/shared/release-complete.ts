import { targetFor } from '../targets';
import type { TargetConfig } from './types';

/** The field every release handler result carries, for isComplete only. */
export const COMPLETE_MARKER = 'ModelCanaryReleaseHandled';

/**
 * The release custom resource's wait (the CDK Provider framework's `isComplete`): the framework
 * calls it after the release handler returned (for Delete too), every `queryInterval`, until it
 * answers `IsComplete: true`, throws (the deploy fails with its message) or `totalTimeout` passes.
 * Its event is the CloudFormation request merged with every field of the release handler's
 * result; fields other than PhysicalResourceId, Data and NoEcho go to isComplete only. So the
 * release handler puts {@link COMPLETE_MARKER} into every result (Delete included), and an event
 * carrying it is the isComplete call, never a CloudFormation request (a Delete's result has no
 * Data, so Data alone could not tell them apart).
 * @see https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources-readme.html#asynchronous-providers-iscomplete
 */
export interface ReleaseCompleteEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: { readonly Target: TargetConfig };
  readonly Data?: { readonly Action?: string };
  readonly [COMPLETE_MARKER]?: true;
}

/** The `Data.Action` of the release handler's result when it created the routing. */
export const CREATED_ACTION = 'created';

/** Whether a custom resource event is the framework's isComplete call rather than a CloudFormation request. */
export function isCompleteEvent(event: object): event is ReleaseCompleteEvent {
  return (event as Record<string, unknown>)[COMPLETE_MARKER] === true;
}

/**
 * The first deploy of a release resource (a Create: a new stack, or a rename taking over) and any
 * deploy that created the routing wait until it serves, and fail if it cannot. Other deploys
 * return at once (their rollout runs in the workflow, and UpdateEndpoint keeps serving), and so
 * does a target that serves as soon as it exists (a Lambda alias). Only a routing this deploy
 * created is deleted when it failed. Unlike a failed onEvent, a failure here reaches CloudFormation
 * with the real physical id (framework.js safeHandler), so a rollback's Delete does arrive; the
 * routing is gone or going by then.
 */
export async function isComplete(event: ReleaseCompleteEvent): Promise<{ IsComplete: boolean }> {
  const created = event.Data?.Action === CREATED_ACTION;
  if (event.RequestType === 'Delete' || (event.RequestType === 'Update' && !created)) return { IsComplete: true };
  const target = await targetFor(event.ResourceProperties.Target);
  // A target that serves as soon as it exists declares no serving check.
  if (!target.checkServing) return { IsComplete: true };
  return { IsComplete: await target.checkServing(created) };
}
