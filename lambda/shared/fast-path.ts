/**
 * What the alarm and operator fast paths share (lambda/handlers/on-alarm.ts, on-command.ts): the
 * canary's settings as its descriptor holds them, the rollout in flight, and the release a
 * post-promotion watch still guards.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { publishAlert } from './alerts';
import type { FastPathDescriptor } from './canary-registry';
import { awsCall } from './errors';
import { log, nowSeconds } from './rollout';
import { relate, type TrafficSplit, type TrafficTarget } from './traffic-target';
import type { Release } from './types';

const sfn = new SFNClient({});

/** The canary settings a fast path acts on (its descriptor). */
export type FastPathConfig = FastPathDescriptor;

export interface FastPathResult {
  readonly action: 'rolled_back' | 'ignored';
  readonly reason: string;
}

export function ignore(reason: string): FastPathResult {
  log('fast path: nothing to do', { reason });
  return { action: 'ignored', reason };
}

export interface Watched {
  readonly release: Release;
  readonly executionArn: string;
}

/** The running rollout, if any (its name: commands name the rollout they are for). */
export async function runningRollout(stateMachineArn: string): Promise<{ name?: string; executionArn?: string } | undefined> {
  const page = await awsCall('ListExecutions', () => sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 })));
  return page.executions?.[0];
}

/**
 * The release whose promoted canary the running rollout still watches: its canary serves alone and
 * its previous version is still routable. Undefined without a watch or a running rollout.
 */
export async function watchedRelease(config: FastPathConfig, split: TrafficSplit): Promise<Watched | undefined> {
  if (!config.postPromotionWatchSeconds) return undefined;
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

/**
 * The workflow alerts every revert it sees. One that raced the end of the watch (the execution
 * ended while the fast path worked) it cannot see: this alert says so, so no revert is silent.
 */
export async function alertIfEnded(config: FastPathConfig, watched: Watched, target: TrafficTarget, why: string): Promise<void> {
  const e = await awsCall('DescribeExecution', () => sfn.send(new DescribeExecutionCommand({ executionArn: watched.executionArn })));
  if (e.status === 'RUNNING') return;
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
