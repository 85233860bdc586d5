/** `status`: where a rollout is and why, as a person and a script see it. */
import { firingAlarms, readAlarms } from '../lambda/shared/alarms';
import { approveCommand, nowSeconds } from '../lambda/shared/rollout';
import { pendingCommands, shortIdentity } from '../lambda/shared/operator';
import { targetFor } from '../lambda/targets';
import type { CanaryDescriptor } from '../lambda/shared/operator';
import type { Hold, RolloutPlan } from '../lambda/shared/types';
import { type Clients, listRollouts, readChannelOf, readPlan, readProgress, type RolloutRecord } from './rollouts';

export interface GuardStatus {
  readonly name: string;
  readonly state: string;
  readonly value?: number;
  readonly threshold?: number;
  /** Fires now and counts for this rollout (not ignored as already firing before it). */
  readonly firing: boolean;
  readonly reason: string;
}

export interface CanaryStatus {
  readonly canary: string;
  readonly stack: string;
  readonly target: string;
  readonly workflow: string;
  readonly dashboard?: string;
  /** What the target routes now. */
  readonly weights: { readonly stableVersion: string; readonly canaryVersion?: string; readonly canaryPercent: number };
  /** The newest rollout (null: never released). */
  readonly rollout: null | (RolloutRecord & {
    readonly step?: { readonly number: number; readonly of: number; readonly percent: number };
    readonly secondsInStep?: number;
    /** Until the step's bake ends (0: baked, waiting for traffic, an approval or a resume). */
    readonly secondsToNextStep?: number;
    readonly waitingFor?: Hold;
    /** Judged guards that cannot judge the canary (no reference from stable, no data): the step does not pass while they cannot. */
    readonly blindGuards?: readonly { readonly name: string; readonly why: string }[];
    /** Judged guards whose data do not yet rule out a gross regression (the promotion gate). */
    readonly evidencePending?: readonly string[];
    /** Judged guards whose change detector leans toward a regression without firing: the step bakes on. */
    readonly suspectGuards?: readonly { readonly name: string; readonly log10Evidence: number; readonly threshold: number }[];
    readonly reason?: string;
    readonly pausedBy?: string;
    /** The command that approves the gate the rollout waits at. */
    readonly approveCommand?: string;
    /** Commands written but not applied yet (the next check applies them). */
    readonly pendingCommands: readonly { readonly command: string; readonly by: string; readonly at: string }[];
    /** Commands the workflow applied: who, what, when. */
    readonly operatorLog: readonly { readonly command: string; readonly by: string; readonly at: string }[];
    readonly steps: readonly { readonly at: string; readonly stepNumber: number; readonly percent: number }[];
    /** Promoted, and the guards still watch it: until when, and the version an abort or a firing guard sends traffic back to. */
    readonly postPromotionWatch?: { readonly startedAt: string; readonly endsAt: string; readonly secondsLeft: number; readonly previousVersion: string };
  });
  readonly guards: readonly GuardStatus[];
}

export async function canaryStatus(c: Clients, d: CanaryDescriptor, plan?: RolloutPlan): Promise<CanaryStatus> {
  plan ??= await readPlan(c, d);
  const target = await targetFor(plan.target);
  const [split, rollouts, reading, channel] = await Promise.all([
    target.read(),
    listRollouts(c, d, 1),
    readAlarms(plan.guardAlarmNames, plan.readCompositeAlarms ?? true),
    readChannelOf(c, d),
  ]);
  const latest = rollouts[0];
  const { progress, steps } = latest ? await readProgress(c, latest.executionArn) : { progress: undefined, steps: [] };
  const running = latest?.status === 'RUNNING';
  const firing = new Set(progress && running ? firingAlarms(reading.alarms, progress.ignoredAlarms, progress.startedAt).map((a) => a.name) : []);
  const now = nowSeconds();
  const iso = (s: number) => new Date(s * 1000).toISOString();
  // In the post-promotion watch no step runs any more.
  const step = progress && progress.stepIndex >= 0 && progress.watchStartedAt === undefined ? plan.steps[progress.stepIndex] : undefined;
  // The bake clock stops while paused: time in step is the time baked.
  const pausedAt = progress?.operator?.pausedBy?.at;
  const inStep = progress && step ? Math.max(0, (pausedAt ?? now) - progress.stepStartedAt) : undefined;
  return {
    canary: d.canaryName,
    stack: d.stackName,
    target: target.description,
    workflow: d.stateMachineArn,
    dashboard: d.dashboardName,
    weights: { stableVersion: split.stable, canaryVersion: split.canary, canaryPercent: split.canaryPercent },
    rollout: latest
      ? {
          ...latest,
          step: step && progress ? { number: progress.stepIndex + 1, of: plan.steps.length, percent: step.percent } : undefined,
          secondsInStep: running ? inStep : undefined,
          secondsToNextStep: running && step && inStep !== undefined && !progress?.operator?.pausedBy ? Math.max(0, step.bakeSeconds - inStep) : undefined,
          waitingFor: running ? progress?.hold : undefined,
          blindGuards: running ? progress?.blindGuards : undefined,
          evidencePending: running ? progress?.evidencePending : undefined,
          suspectGuards: running ? progress?.suspectGuards : undefined,
          reason: progress?.reason,
          pausedBy: running && progress?.operator?.pausedBy ? shortIdentity(progress.operator.pausedBy.by) : undefined,
          approveCommand: running && progress?.hold === 'approval' ? approveCommand(plan) : undefined,
          pendingCommands: running
            ? pendingCommands(channel, latest.execution, progress?.operator?.applied ?? []).map((p) => ({ command: p.command, by: p.by, at: iso(p.at) }))
            : [],
          operatorLog: (progress?.operator?.log ?? []).map((l) => ({ command: l.command, by: l.by, at: iso(l.at) })),
          steps,
          postPromotionWatch: running && progress?.watchStartedAt !== undefined ? watchOf(plan, progress.watchStartedAt, now, latest.release?.stableVersion ?? '') : undefined,
        }
      : null,
    guards: reading.alarms.map((a) => ({ name: a.name, state: a.state, value: a.value, threshold: a.threshold, firing: firing.has(a.name), reason: a.reason })),
  };
}

function watchOf(plan: RolloutPlan, startedAt: number, now: number, previousVersion: string) {
  const ends = startedAt + (plan.postPromotionWatchSeconds ?? 0);
  const iso = (t: number) => new Date(t * 1000).toISOString();
  return { startedAt: iso(startedAt), endsAt: iso(ends), secondsLeft: Math.max(0, ends - now), previousVersion };
}
