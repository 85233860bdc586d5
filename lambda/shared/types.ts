/**
 * The data that flows through the rollout workflow. The plan is fixed at synth time (a Pass state
 * in the state machine), the release comes from the deploy that started the rollout, and the
 * progress is rewritten by every step.
 */
import type { JudgePlan } from './judge-plan';
import type { OperatorState } from './operator';

/** Where traffic goes: each kind's config is declared in its contract (lambda/targets/<kind>/contract.ts). */
export type { TargetConfig } from '../targets/contract';
import type { TargetConfig } from '../targets/contract';

export interface StepPlan {
  /** Share of traffic for the canary during this step, in percent (0, 100]. */
  readonly percent: number;
  /** How long the step bakes before it may pass, in seconds. */
  readonly bakeSeconds: number;
  /**
   * From this many seconds on the step may pass before its bake ends, once every judged guard's
   * evidence rules out a gross regression (the evidence-driven schedule). Absent: only at bakeSeconds.
   */
  readonly minBakeSeconds?: number;
}

export interface PreTrafficCheckPlan {
  /** Request body sent to the canary, as given by the user. */
  readonly payload: string;
  /** How many times to send it (warm-up). */
  readonly repeat: number;
  /** The response must contain this text; empty means only "no error". */
  readonly expectResponseContains?: string;
  /** Failed requests of this check sent again, in all. Absent in plans from before this field: 0. */
  readonly retries?: number;
}

export type InsufficientTrafficAction = 'HOLD' | 'ROLL_BACK';

export interface RolloutPlan {
  /** A name people recognise in an inbox. */
  readonly canaryName: string;
  readonly target: TargetConfig;
  readonly steps: StepPlan[];
  readonly checkIntervalSeconds: number;
  readonly minRequestsPerStep: number;
  readonly insufficientTraffic: InsufficientTrafficAction;
  readonly maxHoldSeconds: number;
  /** Every alarm that rolls the canary back. */
  readonly guardAlarmNames: string[];
  /**
   * Whether guardAlarmNames may name composite alarms (the user's additionalAlarms): DescribeAlarms
   * then asks for them too. Absent in plans from before this field: true.
   */
  readonly readCompositeAlarms?: boolean;
  /** The library's own alarms: they must watch the canary version before it gets traffic. */
  readonly versionScopedAlarmNames: string[];
  readonly topicArn: string;
  readonly preTrafficChecks: PreTrafficCheckPlan[];
  /** The judged guards (canary against stable, decided in the check step); null without one, absent in plans from before it. */
  readonly judge?: JudgePlan | null;
  /** The stack the canary belongs to (the CLI's --stack); absent in plans from before it. */
  readonly stackName?: string;
  /** The SSM parameter the operator's commands arrive in (lambda/shared/operator.ts); absent in plans from before it. */
  readonly commandParameter?: string;
  /** Step numbers (1-based) that start only once someone ran `approve`; absent: none. */
  readonly approvalSteps?: number[];
  /** How long a gate waits for its approval. */
  readonly approvalTimeoutSeconds?: number;
  /** What a gate does when nobody approved in time. */
  readonly onApprovalTimeout?: ApprovalTimeoutAction;
  /**
   * After the promotion the guards keep watching this long while the previous version stays
   * routable; a guard firing sends traffic back to it (lambda/shared/post-promotion.ts). Absent or 0: no watch.
   */
  readonly postPromotionWatchSeconds?: number;
  /**
   * The share (percent) the previous version keeps while the canary is at 100 %: its 100 % step
   * and the post-promotion watch, so the judged guards keep a concurrent control. Absent or 0
   * (plans from before it): the canary serves everything from its 100 % step on.
   */
  readonly controlPercent?: number;
}

export type ApprovalTimeoutAction = 'ROLL_BACK' | 'HOLD';

/** What the deploy asks for: move traffic from the stable version to the canary version. */
export interface Release {
  readonly stableVersion: string;
  readonly canaryVersion: string;
  /** Set when `cdk-model-canary retry` started this rollout again: who, when (epoch seconds). */
  readonly retriedBy?: { readonly by: string; readonly at: number };
}

export type Decision =
  | 'start'
  | 'bake'
  | 'advance'
  | 'promote'
  | 'rollback'
  | 'external'
  /** Promoted, and the post-promotion watch goes on. */
  | 'watch';

export interface RolloutProgress {
  /** Index into plan.steps; -1 before the first step. */
  readonly stepIndex: number;
  /** Canary share now, in percent. */
  readonly weightPercent: number;
  /** Epoch seconds. */
  readonly startedAt: number;
  readonly stepStartedAt: number;
  readonly decision: Decision;
  /** Seconds the workflow waits before the next check. */
  readonly waitSeconds: number;
  /** Canary requests counted in the current step so far. */
  readonly canaryRequests: number;
  /** Set once a "holding" alert went out for this step. */
  readonly holdAlerted: boolean;
  /** What the step's holding alert was about (a hold of another kind in the same step alerts again). */
  readonly holdAlertedFor?: Hold;
  /** Alarms already in ALARM before the canary got traffic: they cannot be about the canary. */
  readonly ignoredAlarms: string[];
  readonly reason?: string;
  /** The guard alarm that decided a rollback, with its value and threshold. */
  readonly alarm?: { readonly name: string; readonly reason?: string; readonly value?: number; readonly threshold?: number };
  /** Set when the rollout stopped because something outside the workflow changed the target. */
  readonly externalOutcome?: ExternalOutcome;
  /** This execution's name (the operator's commands name the rollout they are for). */
  readonly execution?: string;
  /** What the operator asked of this rollout (absent: nothing yet). */
  readonly operator?: OperatorState;
  /**
   * Why a step that baked long enough does not move on: traffic, an approval gate, a pause, the
   * judged guards' evidence (the promotion gate), or a judged guard that cannot judge.
   */
  readonly hold?: Hold;
  /** The judged guards that cannot judge the canary (no reference from stable, no data), with why. */
  readonly blindGuards?: { readonly name: string; readonly why: string }[];
  /** The judged guards whose data do not yet rule out a gross regression (the promotion gate). */
  readonly evidencePending?: string[];
  /** The judged guards whose change detector leans toward a regression (not yet firing): the step bakes on. */
  readonly suspectGuards?: { readonly name: string; readonly log10Evidence: number; readonly threshold: number }[];
  /**
   * When the workflow changed the canary's share (epoch seconds): set-weight, the promotion, the
   * end of the watch. The judge leaves out every minute a change falls in (one minute, one weight).
   */
  readonly weightChangedAt?: number[];
  /** Scale guards' thresholds fixed from stable's data, by guard (the judge keeps them once they judge). */
  readonly references?: Record<string, { readonly ref: number; readonly value: number; readonly from: number }[]>;
  /**
   * Per judged guard with a `versionVariable`: the values both versions name (read by the start
   * step). A guard whose two values are equal compares nothing in this rollout and is left out.
   */
  readonly guardVersions?: Record<string, { readonly canary: string; readonly stable: string }>;
  /** How a rollout that stopped without a regression ended: it could not gather the evidence within maxHold. */
  readonly outcome?: 'insufficient_evidence';
  /** Epoch seconds the current gate started waiting for its approval. */
  readonly approvalWaitSince?: number;
  /** Epoch seconds of the promotion, when a post-promotion watch follows it (the previous version stays routable until it ends). */
  readonly watchStartedAt?: number;
}

export type ExternalOutcome = 'rolled_back' | 'promoted' | 'superseded';

export type Hold = 'traffic' | 'approval' | 'paused' | 'evidence' | 'blind' | 'suspect';

/** The whole execution state. */
export interface RolloutState {
  readonly plan: RolloutPlan;
  readonly release: Release;
  readonly progress?: RolloutProgress;
  /** Set by a Catch: the error that sent the workflow to its rollback. */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  /** The execution's name, passed to the start step by the workflow ($$.Execution.Name). */
  readonly execution?: string;
}

/** The resource type of the deploy's wait for the verdict (`waitForVerdict`; lambda/shared/verdict.ts). */
export const VERDICT_RESOURCE_TYPE = 'Custom::ModelCanaryVerdict';
