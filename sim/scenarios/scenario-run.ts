/**
 * Runs one scenario file on a SimWorld (the example app's synthesized stack, the real handlers) and
 * reads the outcome, a per-minute timeline and the events a chart marks.
 */
import type { FaultSpec } from './fault-spec';
import { LAMBDA_VERSIONS, regressionOnsetMinute, type ScenarioFile, ScenarioError, type ScenarioTarget, type SimVersions, toSimScenario } from './scenario';
import { type SynthesizedStack, synthesizeExampleStack } from '../aws/cloudformation/template';
import { LAMBDA_ALIAS_KIND } from '../../lambda/targets/lambda-alias/contract';
import { SAGEMAKER_ENDPOINT_KIND } from '../../lambda/targets/sagemaker-endpoint/contract';
import { APPCONFIG_KIND } from '../../lambda/targets/appconfig/contract';
import { simTargetOf } from '../targets';
import { type RunResult, SimWorld, type SimWorldOptions } from '../world/world';

export const STRATEGIES = ['model-canary'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export type Outcome = 'promoted' | 'rolled_back' | 'insufficient_evidence' | 'held' | 'failed';

export { type FaultSpec, parseFaults } from './fault-spec';
import { type OperatorActionResult, runOperatorAction } from './operator-actions';
import { minutesOf, type TimelineMinute } from './timeline-minutes';

export interface RunOptions {
  readonly seed?: number;
  readonly strategy?: Strategy;
  readonly faults?: readonly FaultSpec[];
  /** Called once a virtual minute while the rollout runs. */
  readonly onProgress?: (p: Progress) => void;
  /** Called after each of the scenario's operator actions, with what the CLI printed. */
  readonly onOperatorAction?: (a: OperatorActionResult) => void;
  /** A user's synthesized app to run instead of the example app (sim/world/cloud-assembly.ts). */
  readonly app?: AppCanary;
}

/** The canary of a user's app to simulate: its stack's template, its name and target kind. */
export interface AppCanary {
  readonly stack: SynthesizedStack;
  readonly canaryName: string;
  readonly kind: string;
}

export interface Progress {
  /** Seconds since the deploy of the canary. */
  readonly atSeconds: number;
  readonly state: string;
  readonly canaryPercent: number;
  readonly alarms: { readonly name: string; readonly state: string }[];
}

export interface AlertSummary {
  readonly atSeconds: number;
  readonly subject?: string;
  readonly event?: string;
}

export interface Summary {
  readonly scenario: string;
  readonly target: string;
  readonly strategy: Strategy;
  readonly seed: number;
  readonly outcome: Outcome;
  /** The execution's status and error (CanaryRolledBack, RolloutFailed, ...). */
  readonly status: string;
  readonly error: string | null;
  readonly cause: string | null;
  readonly promotedAtSeconds: number | null;
  readonly rollbackAtSeconds: number | null;
  /** Rolled back in the post-promotion watch: promoted first, then traffic went back to stable. */
  readonly revertedAfterPromotion: boolean;
  readonly regressionOnsetSeconds: number | null;
  /** What makes the canary worse at the onset (errorRate, latencyMs.p95, ...). */
  readonly regression: string[];
  readonly canaryRequests: number;
  readonly canaryFailedRequests: number;
  readonly stableRequests: number;
  readonly maxCanaryWeight: number;
  readonly alarmsFired: { readonly atSeconds: number; readonly alarm: string }[];
  /** The guard the rollback alert names (an alarm, or a guard the check step's judge decided), short name. */
  readonly decidedBy: string | null;
  readonly alerts: AlertSummary[];
  readonly faultsInjected: number;
  /** The scenario's operator actions, each run through the CLI: its exit code and --json output. */
  readonly operatorActions: OperatorActionResult[];
  /** Virtual seconds from the canary's deploy to the end of the rollout (or of the scenario). */
  readonly rolloutSeconds: number;
  readonly realMs: number;
}

export type EventKind = 'change' | 'step' | 'alarm' | 'rollback' | 'promote' | 'hold' | 'alert' | 'end' | 'operator';

export interface TimelineEvent {
  readonly atSeconds: number;
  readonly kind: EventKind;
  readonly label: string;
}

export interface Timeline {
  readonly scenario: string;
  readonly description?: string;
  readonly seed: number;
  readonly deployedAt: string;
  readonly minutes: TimelineMinute[];
  readonly events: TimelineEvent[];
  readonly summary: Summary;
}

interface TargetProfile extends SimVersions {
  /** The target kind (lambda/targets/<kind>/contract.ts) a scenario's target means. */
  readonly kind: string;
  /** The example app's canary to simulate. */
  readonly canaryName: string;
  /** Minutes from the first deploy to the canary's (stable-only traffic; a SageMaker endpoint is Creating for 5). */
  readonly warmUpMinutes: number;
}

/** The example app's canaries (bin/example-stack.ts). */
const PROFILES: Record<ScenarioTarget, TargetProfile> = {
  lambda: { ...LAMBDA_VERSIONS, kind: LAMBDA_ALIAS_KIND, canaryName: 'SentimentCanary', warmUpMinutes: 3 },
  sagemaker: {
    kind: SAGEMAKER_ENDPOINT_KIND,
    canaryName: 'SummarizerCanary',
    stable: 'summarizer-v1',
    canary: 'summarizer-v2',
    defaultClasses: { summary: 0.95, refusal: 0.05 },
    // Known: ResponseLengthShift fires on a healthy SageMaker canary with response-length signals
    // (test/workflow/sagemaker.test.ts): left out so the scenarios show the other guards.
    responseLength: false,
    warmUpMinutes: 8,
  },
  // No example canary: a config canary is dry-run from a user's app (`simulate --app`), its one
  // template released as two versions (sim/targets/appconfig.ts releaseTemplates).
  config: { ...LAMBDA_VERSIONS, kind: APPCONFIG_KIND, canaryName: 'Chat', warmUpMinutes: 3 },
};
/** Minutes simulated after the rollout ends, so a chart shows where traffic settled. */
const TAIL_MINUTES = 5;
const MINUTE = 60_000;

/**
 * The scenario's target and its profile: the file's `target` on the example app; on a user's app,
 * the kind of the canary named (a scenario describes the model's behaviour, whatever serves it).
 */
function profileOf(file: ScenarioFile, app?: AppCanary): { target: ScenarioTarget; profile: TargetProfile } {
  if (!app) return { target: file.target, profile: PROFILES[file.target] };
  const target = (Object.keys(PROFILES) as ScenarioTarget[]).find((t) => PROFILES[t].kind === app.kind);
  if (!target) {
    const known = Object.values(PROFILES).map((p) => p.kind).join(', ');
    throw new ScenarioError(`canary ${app.canaryName} routes a ${app.kind} target: scenarios drive ${known} canaries only`);
  }
  return { target, profile: { ...PROFILES[target], canaryName: app.canaryName } };
}

/** SimWorld's options for a scenario file: the target's canary, the behaviour, the publication delays. */
export function worldOptions(file: ScenarioFile, seed: number, app?: AppCanary): SimWorldOptions {
  const { profile } = profileOf(file, app);
  return {
    seed,
    canaryName: profile.canaryName,
    scenario: toSimScenario(file, profile.warmUpMinutes, profile, seed),
    metricPublishDelaySeconds: file.metricPublishDelaySeconds ?? 0,
    ...(file.highResolutionPublishDelaySeconds !== undefined ? { highResolutionPublishDelaySeconds: file.highResolutionPublishDelaySeconds } : {}),
  };
}

export async function runScenario(file: ScenarioFile, options: RunOptions = {}): Promise<{ summary: Summary; timeline: Timeline; result?: RunResult }> {
  const strategy = options.strategy ?? 'model-canary';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ScenarioError(`Unknown strategy "${strategy}" (valid: ${STRATEGIES.join(', ')})`);
  }
  const { target, profile } = profileOf(file, options.app);
  const seed = options.seed ?? 1;
  const app = options.app;
  // A kind whose version is a literal of the template releases two templates made from the app's one.
  const releases = app ? simTargetOf(app.kind).releaseTemplates?.(app.stack, app.canaryName, profile) : undefined;
  const world = SimWorld.fromStack(releases?.stable ?? app?.stack ?? synthesizeExampleStack(), worldOptions(file, seed, app));
  try {
    return await drive(world, file, seed, strategy, { ...options, canaryTemplate: releases?.canary }, profile, target);
  } finally {
    world.dispose();
  }
}

async function drive(world: SimWorld, file: ScenarioFile, seed: number, strategy: Strategy, options: RunOptions & { readonly canaryTemplate?: SynthesizedStack }, profile: TargetProfile, target: ScenarioTarget) {
  const realStart = performance.now();
  const STABLE_VERSION = profile.stable;
  const CANARY_VERSION = profile.canary;
  const WARM_UP_MINUTES = profile.warmUpMinutes;
  await world.deploy(STABLE_VERSION);
  const deployAt = world.startMs + WARM_UP_MINUTES * MINUTE;
  // A routing that takes time to serve (a SageMaker endpoint is Creating first) must serve by the canary's deploy.
  const routing = world.target;
  if (routing.serving) {
    await world.runUntil(() => routing.serving!(), { maxMinutes: WARM_UP_MINUTES });
    if (!routing.serving()) throw new Error(`The ${world.targetKind} target does not serve ${WARM_UP_MINUTES} minutes after its creation`);
  }
  if (world.now() > deployAt) throw new Error(`The first deploy took longer than the ${WARM_UP_MINUTES}-minute warm-up`);
  await world.advance((deployAt - world.now()) / 1000);
  for (const f of options.faults ?? []) {
    if (f.always) world.faults.always(f.operation, f.kinds[0]);
    else world.faults.add(f.operation, f.kinds);
  }
  const deployed = options.canaryTemplate ? await world.updateStack(options.canaryTemplate, CANARY_VERSION) : await world.deploy(CANARY_VERSION);
  if (!deployed.executionArn) throw new Error(`The deploy of the canary started no rollout (release action: ${deployed.action})`);
  const execution = world.sfn.executions.get(deployed.executionArn)!;
  const end = deployAt + file.durationMinutes * MINUTE;
  const seconds = (ms: number) => Math.round((ms - deployAt) / 100) / 10;

  const progress = () => {
    const entered = execution.events.filter((e) => e.type === 'StateEntered');
    options.onProgress?.({
      atSeconds: seconds(world.now()),
      state: entered[entered.length - 1]?.state?.name ?? '-',
      canaryPercent: world.target.canaryPercent(CANARY_VERSION),
      alarms: [...world.cloudwatch.alarms.values()].map((a) => ({ name: a.definition.AlarmName, state: a.state })),
    });
  };
  let servedAtEnd: Map<string, { requests: number; errors: number }> | undefined;
  let lastProgress = world.now();
  progress();
  const actions = [...(file.operator ?? [])].sort((a, b) => a.atMinute - b.atMinute);
  const operatorActions: OperatorActionResult[] = [];
  while (world.now() < end && execution.status === 'RUNNING') {
    while (actions.length > 0 && world.now() >= deployAt + actions[0].atMinute * MINUTE) {
      const action = actions.shift()!;
      const at = seconds(world.now());
      const done = { atSeconds: at, command: action.command, ...(await runOperatorAction(world, execution.stateMachineArn, action)) };
      operatorActions.push(done);
      options.onOperatorAction?.(done);
    }
    await world.advance(1);
    if (world.now() - lastProgress >= MINUTE) {
      lastProgress = world.now();
      progress();
    }
  }
  if (execution.status !== 'RUNNING') {
    servedAtEnd = cloneServed(world.served);
    progress();
  }
  // A held rollout never ends: read it as it is (runUntilDone would wait for its end).
  const result =
    execution.status === 'RUNNING'
      ? world.result(execution, performance.now() - realStart)
      : await world.runUntilDone({ executionArn: execution.executionArn, maxMinutes: Math.max(1, (end - world.now()) / MINUTE) });
  // The routing's changes until the result (the tail below is not part of the rollout).
  const changes = world.target.shareChanges(CANARY_VERSION);
  const rolloutEnd = execution.stopDate ?? world.now();
  const tail = Math.min(TAIL_MINUTES * MINUTE, end - world.now());
  if (tail > 0) await world.advance(tail / 1000);
  // Let the last minute's metrics become visible.
  const chartEnd = world.now();
  await world.advance(61);
  servedAtEnd ??= cloneServed(world.served);

  const history = changes.filter((h) => h.at >= deployAt);
  const promote = history.find((h) => h.promoted);
  let everCanary = false;
  const rollback = history.find((h) => {
    if (h.percent > 0) everCanary = true;
    return everCanary && h.percent === 0 && h.by !== 'set-weight';
  });
  const outcome: Outcome =
    execution.status === 'RUNNING'
      ? 'held'
      : execution.status === 'SUCCEEDED' && promote
        ? 'promoted'
        : execution.status === 'FAILED' && execution.error === 'CanaryRolledBack'
          ? 'rolled_back'
          : execution.status === 'FAILED' && execution.error === 'InsufficientEvidence'
            ? 'insufficient_evidence'
            : 'failed';
  const onset = regressionOnsetMinute(file);
  const canary = servedAtEnd.get(CANARY_VERSION) ?? { requests: 0, errors: 0 };
  const stable = servedAtEnd.get(STABLE_VERSION) ?? { requests: 0, errors: 0 };
  const maxCanaryWeight = Math.max(
    0,
    ...history.map((h) => h.percent),
  );
  const alarmsFired = result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => ({ atSeconds: seconds(t.at), alarm: shortAlarm(t.alarmName) }));
  const rolledBackAlert = result.alerts.find((a) => a.event === 'ROLLED_BACK');
  const decidedName = (rolledBackAlert?.body?.alarm as { name?: string } | undefined)?.name;
  const decidedBy = decidedName ? shortAlarm(decidedName) : null;
  const reverted = outcome === 'rolled_back' && promote !== undefined && rollback !== undefined && rollback.at > promote.at;
  const summary: Summary = {
    scenario: file.name,
    target,
    strategy,
    seed,
    outcome,
    status: execution.status,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
    promotedAtSeconds: promote ? seconds(promote.at) : null,
    rollbackAtSeconds: outcome !== 'promoted' && rollback ? seconds(rollback.at) : null,
    revertedAfterPromotion: reverted,
    regressionOnsetSeconds: onset ? onset.minute * 60 : null,
    regression: onset?.what ?? [],
    canaryRequests: canary.requests,
    canaryFailedRequests: canary.errors,
    stableRequests: stable.requests,
    maxCanaryWeight,
    alarmsFired,
    decidedBy,
    alerts: result.alerts.map((a) => ({ atSeconds: seconds(a.at), subject: a.subject, event: a.event })),
    faultsInjected: world.faults.injected.length,
    operatorActions,
    rolloutSeconds: seconds(rolloutEnd),
    realMs: Math.round(performance.now() - realStart),
  };

  const events: TimelineEvent[] = [];
  for (const c of file.changes ?? []) {
    const what = [c.canary ? `canary ${describe(c.canary)}` : '', c.stable ? `stable ${describe(c.stable)}` : '', c.requestsPerSecond !== undefined ? `${c.requestsPerSecond} req/s` : '']
      .filter((s) => s)
      .join(', ');
    // A change triggered by a step has no fixed time: the chart marks the timed ones.
    if (c.atMinute !== undefined) events.push({ atSeconds: c.atMinute * 60 + (c.afterSeconds ?? 0), kind: 'change', label: `scenario: ${what}` });
  }
  for (const h of history) {
    if (h.by === 'set-weight') events.push({ atSeconds: seconds(h.at), kind: 'step', label: `step: canary ${h.percent}%` });
  }
  for (const a of alarmsFired) events.push({ atSeconds: a.atSeconds, kind: 'alarm', label: `ALARM ${a.alarm}` });
  if (rollback && outcome !== 'promoted') events.push({ atSeconds: seconds(rollback.at), kind: 'rollback', label: `rolled back${reverted ? ' after the promotion' : ''} (${rollback.by ?? '?'}${decidedBy ? `: ${decidedBy}` : ''})` });
  if (promote) events.push({ atSeconds: seconds(promote.at), kind: 'promote', label: 'promoted' });
  for (const a of operatorActions) events.push({ atSeconds: a.atSeconds, kind: 'operator', label: `${a.command}${a.exitCode === 0 ? '' : ` (exit ${a.exitCode})`}` });
  for (const a of result.alerts) if (a.event === 'HOLDING') events.push({ atSeconds: seconds(a.at), kind: 'hold', label: 'holding: not enough traffic' });
  if (outcome === 'held') events.push({ atSeconds: seconds(rolloutEnd), kind: 'end', label: 'scenario ends, rollout still held' });
  events.sort((a, b) => a.atSeconds - b.atSeconds);

  const timeline: Timeline = {
    scenario: file.name,
    description: file.description,
    seed,
    deployedAt: new Date(deployAt).toISOString(),
    minutes: minutesOf(world, profile, deployAt - WARM_UP_MINUTES * MINUTE, chartEnd, deployAt),
    events,
    summary,
  };
  return { summary, timeline, result };
}

function cloneServed(m: Map<string, { requests: number; errors: number }>) {
  return new Map([...m].map(([k, v]) => [k, { ...v }]));
}

/** `ModelCanaryExample-SentimentCanary-ErrorRate` → `ErrorRate`. */
export function shortAlarm(name: string): string {
  return name.split('-').pop() ?? name;
}

function describe(v: object): string {
  return Object.entries(v)
    .map(([k, x]) => `${k} ${typeof x === 'object' ? JSON.stringify(x).replace(/"/g, '') : x}`)
    .join(', ');
}
