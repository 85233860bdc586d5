import { publishAlert } from '../shared/alerts';
import { log, nowSeconds } from '../shared/rollout';
import { relate } from '../shared/traffic-target';
import { targetFor } from '../targets';
import type { Release } from '../shared/types';
import { findCanary } from '../shared/canary-registry';

/**
 * What the rule on the workflow's own "Step Functions Execution Status Change" events passes
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html): the
 * execution's detail and this canary's settings.
 */
export interface ExecutionEndEvent {
  /** The stack's parameter path (`/cdk-model-canary/<stack>`): the canary is found by its descriptor. */
  readonly canaries: string;
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn: string;
    readonly status: string;
    readonly error?: string | null;
    readonly cause?: string | null;
    /** The execution's input as JSON text: `{"release": {...}}` from the release step. */
    readonly input?: string | null;
  };
}

export interface ExecutionEndResult {
  readonly action: 'rolled_back' | 'alerted' | 'ignored';
  readonly reason: string;
}

/** Errors of the workflow's own Fail states: the workflow set the canary to 0 and alerted already. */
const WORKFLOW_FAILURES = new Set(['CanaryRolledBack', 'RolloutFailed', 'InsufficientEvidence']);
/** The release step stops a rollout it replaces with this error, after setting that canary to 0 itself. */
const SUPERSEDED = 'Superseded';

/**
 * The safety net for executions that end without the workflow's own rollback: stopped by hand,
 * timed out, or failed where no Catch runs (the 25,000-event history limit, for one). If this
 * execution's canary still has a share it goes to 0, and an alert says how the execution ended.
 */
export async function handler(input: ExecutionEndEvent): Promise<ExecutionEndResult> {
  const { detail } = input;
  const { status } = detail;
  const error = detail.error ?? undefined;
  if (status === 'SUCCEEDED' || status === 'RUNNING') return ignore(`execution ${status}`);
  if (status === 'ABORTED' && error === SUPERSEDED) return ignore('stopped by a newer release, which took over the target');

  const config = await findCanary(input.canaries, (d) => d.stateMachineArn === detail.stateMachineArn);
  if (!config) return ignore(`no canary under ${input.canaries} runs ${detail.stateMachineArn}`);
  const release = releaseOf(detail.input);
  const handled = status === 'FAILED' && error !== undefined && WORKFLOW_FAILURES.has(error);
  const target = await targetFor(config.target);
  const split = await target.read();
  const relation = release ? relate(split, release) : undefined;
  // Promoted with the previous version still at its control share: the watch never ended, so as
  // the workflow's own Catch would, traffic goes back to the previous version.
  const inWatch = relation === 'promoted' && release !== undefined && split.canary === release.stableVersion;
  const ours = relation === 'ours' || inWatch;
  if (handled && !ours) return ignore(`the workflow ended as ${error} and the canary has no share`);

  const weightPercent = relation === 'ours' ? split.canaryPercent : inWatch ? 100 - split.canaryPercent : 0;
  if (ours && release) await target.rollback(release, split);
  const how = { ABORTED: 'was stopped', TIMED_OUT: 'timed out', FAILED: 'failed' }[status] ?? `ended as ${status}`;
  const detailText = [error, detail.cause].filter(Boolean).join(': ').slice(0, 300);
  const outcome = inWatch ? '; it was in the post-promotion watch: traffic went back to the previous version' : ours ? '; the canary was set to 0%' : release ? '; the canary had no share' : '; its release is unknown, check the target';
  const reason = `the rollout workflow ${how}${detailText ? ` (${detailText})` : ''}${outcome}`;
  log('execution ended outside the workflow', { status, error, release, weightPercent, ours });
  await publishAlert(config.topicArn, {
    event: 'FAILED',
    canaryName: config.canaryName,
    target: target.description,
    stableVersion: release?.stableVersion ?? split.stable,
    canaryVersion: release?.canaryVersion ?? split.canary ?? '?',
    weightPercent,
    reason,
    at: nowSeconds(),
  });
  return { action: ours ? 'rolled_back' : 'alerted', reason };
}

function releaseOf(text: string | null | undefined): Release | undefined {
  try {
    const parsed = JSON.parse(text ?? '') as { release?: Release };
    const r = parsed.release;
    return r && typeof r.stableVersion === 'string' && typeof r.canaryVersion === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

function ignore(reason: string): ExecutionEndResult {
  log('execution end: nothing to do', { reason });
  return { action: 'ignored', reason };
}
