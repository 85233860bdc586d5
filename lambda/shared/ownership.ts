import { createHash } from 'node:crypto';

/**
 * Who owns a routing (a Lambda alias, a SageMaker endpoint): the release custom resource, named by
 * its stack and logical id. CloudFormation gives a renamed or moved construct a new logical id: it
 * creates the new release resource, then deletes the old one. Both carry the same physical id, so
 * the physical id alone cannot tell "the stack is gone" from "the resource moved". The record on
 * the routing can:
 * - `owner`: the release resource that serves the routing now;
 * - `previousOwner`: the one it took over from, until CloudFormation deletes that one (rename
 *   done) or deletes the new one (stack rollback of the rename: ownership goes back).
 * A routing that exists without a record was made by someone else (an `AWS::Lambda::Alias`, a
 * CodeDeploy deployment group, a person): it is adopted only when the user says so.
 *
 * {@link UNRECORDED} stands for an owner that is not a release resource with a record: a routing
 * made by a release of this library from before owners were recorded, or one that was adopted.
 * Taking over from it keeps it as `previousOwner`, so a stack rollback of that deploy hands the
 * routing back instead of deleting it while the old owner (an `AWS::Lambda::Alias`) still serves.
 */
export interface OwnerRecord {
  readonly owner?: string;
  readonly previousOwner?: string;
}

/** The owner that is not a recorded release resource (see above). Never an {@link ownerId} (16 hex digits). */
export const UNRECORDED = 'unrecorded';

/**
 * The owner id of a release resource: short, stable, and fits in an alias description or a tag.
 * The stack and the logical id are hashed apart (8 hex digits each), so a routing can tell a rename
 * within its stack (same stack part) from a canary of another stack that names the same routing.
 */
export function ownerId(stackId: string, logicalResourceId: string): string {
  return hash8(stackId) + hash8(logicalResourceId);
}

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** The owners that may pass the routing between them silently: one stack, or an owner of 0.1. */
function sameStack(owner: string, me: string): boolean {
  if (owner === UNRECORDED) return true;
  return OWNER_ID.test(owner) && owner.slice(0, 8) === me.slice(0, 8);
}

const OWNER_ID = /^[0-9a-f]{16}$/;

export type ClaimDecision =
  /** nothing to write: the routing is ours already */
  | { readonly action: 'keep' }
  /** write this record (a new routing, a rename taking over, or an adoption the user asked for) */
  | { readonly action: 'claim'; readonly record: OwnerRecord }
  /** the routing belongs to someone else: fail the deploy with `reason` */
  | { readonly action: 'refuse'; readonly reason: string };

/**
 * Create or Update of a release resource. `existing` is undefined when the routing does not exist
 * yet (the target creates it), else the record read from it (`{}` when it has none).
 */
export function decideClaim(
  existing: OwnerRecord | undefined,
  me: string,
  adoptExisting: boolean,
  requestType: 'Create' | 'Update' = 'Create',
): ClaimDecision {
  if (existing === undefined) return { action: 'claim', record: { owner: me } };
  if (existing.owner === me) {
    // A resource is created or updated in one stack operation, never both: an Update means the
    // takeover's cleanup (or rollback) is over, and the previous owner is gone.
    // A previous owner in another stack is not part of this stack's operation: it stays until its
    // own stack deletes it, so deleting this stack hands the routing back instead of removing it.
    if (existing.previousOwner && requestType === 'Update' && sameStack(existing.previousOwner, me)) {
      return { action: 'claim', record: { owner: me } };
    }
    return { action: 'keep' };
  }
  // The same release resource, from a release of the library that did not record owners.
  if (existing.owner === UNRECORDED && requestType === 'Update') return { action: 'claim', record: { owner: me } };
  // A rename or move within the stack, or a deliberate takeover from another stack.
  if (existing.owner && (sameStack(existing.owner, me) || adoptExisting)) {
    return { action: 'claim', record: { owner: me, previousOwner: existing.owner } };
  }
  if (existing.owner) {
    return {
      action: 'refuse',
      reason:
        `it belongs to a cdk-model-canary canary in another stack (owner ${existing.owner}): two stacks of this account name the same routing. ` +
        'Remove one of the two canaries (or give it another alias or endpoint), or set adoptExisting: true on this one to take the routing over deliberately ' +
        '(the other canary then fails on its next release)',
    };
  }
  if (adoptExisting) return { action: 'claim', record: { owner: me, previousOwner: UNRECORDED } };
  return {
    action: 'refuse',
    reason:
      'it exists and was not created by cdk-model-canary (an AWS::Lambda::Alias, a CodeDeploy deployment group or a person made it). ' +
      'If a CloudFormation resource declares it, set its removal policy to RETAIN and deploy once, then remove that resource; ' +
      'then set adoptExisting: true on the canary and deploy (see "Adopting an existing alias" in the README)',
  };
}

export type ReleaseDecision =
  /** the last owner is going: stop rollouts and remove the routing */
  | { readonly action: 'remove' }
  /** leave the routing serving; write `record` when given */
  | { readonly action: 'leave'; readonly record?: OwnerRecord };

/** Delete of a release resource: remove the routing only when nobody else still owns it. */
export function decideRelease(existing: OwnerRecord | undefined, me: string): ReleaseDecision {
  if (existing === undefined) return { action: 'leave' };
  if (existing.owner === me) {
    // A stack rollback deletes the new resource while the old one still exists: hand it back.
    if (existing.previousOwner) return { action: 'leave', record: { owner: existing.previousOwner } };
    return { action: 'remove' };
  }
  // The rename completed and CloudFormation deletes the old resource: the new owner stays alone.
  // (An unrecorded previous owner that is deleted is the old resource of a library upgrade.)
  if (existing.previousOwner === me || (existing.owner && existing.previousOwner === UNRECORDED)) {
    return { action: 'leave', record: { owner: existing.owner } };
  }
  return { action: 'leave' };
}
