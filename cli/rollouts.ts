/** Reading canaries and their rollouts from AWS: the descriptor parameters, the workflow and its history. */
import { DescribeExecutionCommand, DescribeStateMachineCommand, GetExecutionHistoryCommand, type HistoryEvent, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type CanaryDescriptor, PARAMETER_ROOT, parseChannel, type CommandChannel } from '../lambda/shared/operator';
import type { Release, RolloutPlan, RolloutProgress } from '../lambda/shared/types';
import { CliError, EXIT } from './errors';

export interface Clients {
  readonly ssm: SSMClient;
  readonly sfn: SFNClient;
}

export function clients(): Clients {
  return { ssm: new SSMClient({}), sfn: new SFNClient({}) };
}

/** Every canary of the account and region (each writes a descriptor under /cdk-model-canary/). */
export async function listCanaries(c: Clients): Promise<CanaryDescriptor[]> {
  const out: CanaryDescriptor[] = [];
  let token: string | undefined;
  do {
    const page = await c.ssm.send(new GetParametersByPathCommand({ Path: PARAMETER_ROOT, Recursive: true, NextToken: token }));
    for (const p of page.Parameters ?? []) {
      if (!p.Name?.endsWith('/config')) continue;
      try {
        const d = JSON.parse(p.Value ?? '') as CanaryDescriptor;
        if (d.schema === 'cdk-model-canary/canary@1') out.push(d);
      } catch {
        // Not ours, or damaged: list what can be read.
      }
    }
    token = page.NextToken;
  } while (token);
  return out.sort((a, b) => `${a.stackName}/${a.canaryName}`.localeCompare(`${b.stackName}/${b.canaryName}`));
}

export async function findCanary(c: Clients, name: string, stack?: string): Promise<CanaryDescriptor> {
  const all = await listCanaries(c);
  const matches = all.filter((d) => d.canaryName === name && (!stack || d.stackName === stack));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new CliError(`${matches.length} canaries are named "${name}" (stacks ${matches.map((m) => m.stackName).join(', ')}): give --stack`, EXIT.NOT_FOUND);
  }
  const known = all.map((d) => `${d.canaryName} (${d.stackName})`).join(', ');
  throw new CliError(`no canary named "${name}"${stack ? ` in stack ${stack}` : ''} in this account and region${known ? `; there are: ${known}` : ': run `cdk-model-canary list`, or check --region'}`, EXIT.NOT_FOUND);
}

/** The rollout plan, as the workflow's Plan state holds it. */
export async function readPlan(c: Clients, d: CanaryDescriptor): Promise<RolloutPlan> {
  const sm = await c.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: d.stateMachineArn }));
  const def = JSON.parse(sm.definition ?? '{}') as { States?: Record<string, { Result?: unknown }> };
  const plan = def.States?.Plan?.Result as RolloutPlan | undefined;
  if (!plan) throw new CliError(`the workflow ${d.stateMachineArn} has no Plan state: is it a cdk-model-canary workflow?`, EXIT.ERROR);
  return plan;
}

export async function readChannelOf(c: Clients, d: CanaryDescriptor): Promise<CommandChannel> {
  try {
    const out = await c.ssm.send(new GetParameterCommand({ Name: d.commandParameter }));
    return parseChannel(out.Parameter?.Value);
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') return parseChannel(undefined);
    throw err;
  }
}

export type Outcome = 'in progress' | 'promoted' | 'rolled back' | 'insufficient evidence' | 'failed' | 'superseded' | 'stopped' | 'timed out';

export interface RolloutRecord {
  readonly execution: string;
  readonly executionArn: string;
  readonly status: string;
  readonly outcome: Outcome;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  readonly release?: Release;
  /** Why it ended (the workflow's cause), when it did not promote. */
  readonly cause?: string;
}

/** Past and present rollouts, newest first. */
export async function listRollouts(c: Clients, d: CanaryDescriptor, max = 20): Promise<RolloutRecord[]> {
  const page = await c.sfn.send(new ListExecutionsCommand({ stateMachineArn: d.stateMachineArn, maxResults: max }));
  const out: RolloutRecord[] = [];
  for (const e of page.executions ?? []) {
    const full = await c.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
    out.push(recordOf(full));
  }
  return out;
}

function recordOf(e: { name?: string; executionArn?: string; status?: string; startDate?: Date; stopDate?: Date; input?: string; output?: string; error?: string; cause?: string }): RolloutRecord {
  let release: Release | undefined;
  try {
    release = (JSON.parse(e.input ?? '{}') as { release?: Release }).release;
  } catch {
    release = undefined;
  }
  return {
    execution: e.name ?? '',
    executionArn: e.executionArn ?? '',
    status: e.status ?? 'UNKNOWN',
    outcome: outcomeOf(e.status, e.error, e.output),
    startedAt: (e.startDate ?? new Date(0)).toISOString(),
    stoppedAt: e.stopDate?.toISOString(),
    release,
    cause: e.status === 'SUCCEEDED' ? undefined : (e.cause ?? e.error ?? undefined),
  };
}

function outcomeOf(status: string | undefined, error: string | undefined, output: string | undefined): Outcome {
  switch (status) {
    case 'RUNNING':
      return 'in progress';
    case 'SUCCEEDED': {
      const external = (safeJson(output) as { progress?: RolloutProgress } | undefined)?.progress?.externalOutcome;
      return external === 'superseded' ? 'superseded' : 'promoted';
    }
    case 'FAILED':
      return error === 'CanaryRolledBack' ? 'rolled back' : error === 'InsufficientEvidence' ? 'insufficient evidence' : 'failed';
    case 'ABORTED':
      return error === 'Superseded' ? 'superseded' : 'stopped';
    case 'TIMED_OUT':
      return 'timed out';
    default:
      return 'failed';
  }
}

function safeJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/** What a state handed on: each Task's output holds the progress so far. */
export interface ProgressReading {
  readonly progress?: RolloutProgress;
  /** Every step change seen in the history, oldest first. */
  readonly steps: readonly { readonly at: string; readonly stepNumber: number; readonly percent: number }[];
}

/** The newest progress of an execution and its step changes, from its history. */
export async function readProgress(c: Clients, executionArn: string): Promise<ProgressReading> {
  const events: HistoryEvent[] = [];
  let token: string | undefined;
  do {
    const page = await c.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken: token, includeExecutionData: true }));
    events.push(...(page.events ?? []));
    token = page.nextToken;
  } while (token && events.length < 25_000);
  let progress: RolloutProgress | undefined;
  const steps: { at: string; stepNumber: number; percent: number }[] = [];
  for (const ev of events) {
    const exited = ev.stateExitedEventDetails;
    if (!exited?.output) continue;
    const p = (safeJson(exited.output) as { progress?: RolloutProgress } | undefined)?.progress;
    if (!p) continue;
    if (exited.name === 'SetWeight' && (!progress || p.stepIndex !== progress.stepIndex)) {
      steps.push({ at: (ev.timestamp ?? new Date(0)).toISOString(), stepNumber: p.stepIndex + 1, percent: p.weightPercent });
    }
    progress = p;
  }
  return { progress, steps };
}
