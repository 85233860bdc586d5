/**
 * How the workflow applies the operator's commands (pure: the check step reads the channel, this
 * decides). A command takes effect at the check that reads it; `abort` also acts at once through
 * the fast path (lambda/handlers/on-alarm.ts).
 */
import { NO_OPERATOR, type OperatorCommand, type OperatorState } from './operator';
import type { RolloutProgress } from './types';

export interface Applied {
  readonly progress: RolloutProgress;
  /** Commands that changed something, for the alert and the log. */
  readonly effective: readonly { readonly command: OperatorCommand; readonly effect: string }[];
}

/** The progress with every pending command applied, oldest first. */
export function applyCommands(progress: RolloutProgress, pending: readonly OperatorCommand[], now: number): Applied {
  let p = progress;
  const effective: { command: OperatorCommand; effect: string }[] = [];
  for (const c of pending) {
    const op: OperatorState = p.operator ?? NO_OPERATOR;
    const record = { applied: [...op.applied, c.id].slice(-50), log: [...op.log, { command: c.command, by: c.by, at: c.at, appliedAt: now, ...(c.reason ? { reason: c.reason } : {}) }].slice(-20) };
    // Times the workflow acts on are its own (the check's clock), not the operator's laptop's.
    const who = { by: c.by, at: now };
    let next: OperatorState = { ...op, ...record };
    let effect = '';
    // Promoted and watching: only an abort still means something (the CLI refuses the others).
    if (p.watchStartedAt !== undefined && c.command !== 'abort') {
      p = { ...p, operator: next };
      continue;
    }
    switch (c.command) {
      case 'abort':
        next = { ...next, abortBy: { ...who, reason: c.reason } };
        effect = p.watchStartedAt !== undefined
          ? 'traffic back to the previous version, the rollout ends as rolled back'
          : 'canary to 0%, the rollout ends as rolled back';
        break;
      case 'promote':
        next = { ...next, promoteBy: { ...who, force: c.force === true } };
        effect = c.force ? 'promote now, whatever the guards say (--force)' : 'promote now unless a guard fires';
        break;
      case 'pause':
        if (!op.pausedBy) {
          next = { ...next, pausedBy: who };
          effect = `held at ${p.weightPercent}%; the bake clock stopped`;
        }
        break;
      case 'resume':
        if (op.pausedBy) {
          // The bake clock stopped while paused: the step's time so far is what it was at the pause.
          const pausedFor = Math.max(0, now - Math.max(op.pausedBy.at, p.stepStartedAt));
          // Both ends are check times: the bake loses at most one check interval either way.
          p = { ...p, stepStartedAt: p.stepStartedAt + pausedFor, ...(p.approvalWaitSince !== undefined ? { approvalWaitSince: p.approvalWaitSince + pausedFor } : {}) };
          next = { ...next, pausedBy: undefined };
          effect = `resumed after ${Math.round(pausedFor / 60)} min paused`;
        }
        break;
      case 'approve': {
        const step = p.stepIndex + 2;
        next = { ...next, approvals: [...op.approvals, { step, ...who }] };
        effect = `step ${step} approved`;
        break;
      }
    }
    p = { ...p, operator: next };
    if (effect) effective.push({ command: c, effect });
  }
  return { progress: p, effective };
}

export function isApproved(progress: RolloutProgress, step: number): boolean {
  return (progress.operator?.approvals ?? []).some((a) => a.step === step);
}
