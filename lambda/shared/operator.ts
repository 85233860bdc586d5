/**
 * The operator's channel, shared by lib/ (the parameters it creates), lambda/ (the workflow reads
 * it at every check) and the CLI (writes it): one SSM String parameter per canary holds the recent
 * commands; a second holds what the CLI needs to find the canary. Standard parameters hold at most
 * 4 KB: https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
 */
import type { TargetConfig } from '../targets/contract';

/** Every canary's parameters live under this path (the CLI's `list` reads it). */
export const PARAMETER_ROOT = '/cdk-model-canary';
export const STANDARD_PARAMETER_MAX_CHARS = 4096;
/** Commands the channel keeps (oldest dropped): enough for a rollout, small enough for 4 KB. */
export const MAX_CHANNEL_COMMANDS = 10;

export const OPERATOR_COMMANDS = ['promote', 'abort', 'pause', 'resume', 'approve'] as const;
export type OperatorCommandName = (typeof OPERATOR_COMMANDS)[number];

/** One command from a person, as the CLI writes it. */
export interface OperatorCommand {
  /** Unique; the workflow applies each id once. */
  readonly id: string;
  readonly command: OperatorCommandName;
  /** The caller identity (STS GetCallerIdentity ARN) of whoever ran the command. */
  readonly by: string;
  /** Epoch seconds. */
  readonly at: number;
  /** The execution name of the rollout it is meant for: a command never outlives its rollout. */
  readonly execution: string;
  /** The canary version of that rollout (alerts and the fast path name it). */
  readonly canaryVersion?: string;
  /** promote --force: promote although a guard fires. */
  readonly force?: boolean;
  readonly reason?: string;
}

export interface CommandChannel {
  readonly schema: 'cdk-model-canary/commands@1';
  readonly commands: readonly OperatorCommand[];
}

export const EMPTY_CHANNEL: CommandChannel = { schema: 'cdk-model-canary/commands@1', commands: [] };

/**
 * What the CLI reads to find a canary, and the fast paths to act on it (the `config` parameter,
 * written by CloudFormation). The fields after dashboardName came with the stack's shared
 * controller: absent in descriptors of earlier releases.
 */
export interface CanaryDescriptor {
  readonly schema: 'cdk-model-canary/canary@1';
  readonly canaryName: string;
  readonly stackName: string;
  readonly stateMachineArn: string;
  readonly topicArn: string;
  readonly commandParameter: string;
  readonly dashboardName?: string;
  /** Where traffic goes (the plan's target). */
  readonly target?: TargetConfig;
  /** Every guard alarm: an alarm not named here is not this canary's. */
  readonly guardAlarmNames?: string[];
  /** The library's alarms that name the canary version in a dimension. */
  readonly versionScopedAlarmNames?: string[];
  /** Above 0: a promoted canary is watched, and the fast path sends traffic back to the previous version. */
  readonly postPromotionWatchSeconds?: number;
}

/** SSM parameter names allow a-zA-Z0-9_.-/ only: anything else becomes '-'. */
export function parameterSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '-');
}

export function canaryParameterPath(stackName: string, canaryName: string): string {
  return `${PARAMETER_ROOT}/${parameterSegment(stackName)}/${parameterSegment(canaryName)}`;
}

export const commandParameterName = (stackName: string, canaryName: string) => `${canaryParameterPath(stackName, canaryName)}/commands`;
export const descriptorParameterName = (stackName: string, canaryName: string) => `${canaryParameterPath(stackName, canaryName)}/config`;

/** A channel from its parameter value; anything unreadable is an empty channel (never a reason to fail a rollout). */
export function parseChannel(value: string | undefined): CommandChannel {
  try {
    const parsed = JSON.parse(value ?? '') as Partial<CommandChannel>;
    if (!Array.isArray(parsed.commands)) return EMPTY_CHANNEL;
    const commands = parsed.commands.filter(
      (c): c is OperatorCommand =>
        !!c && typeof c.id === 'string' && typeof c.by === 'string' && typeof c.at === 'number' && typeof c.execution === 'string' && (OPERATOR_COMMANDS as readonly string[]).includes(c.command),
    );
    return { schema: EMPTY_CHANNEL.schema, commands };
  } catch {
    return EMPTY_CHANNEL;
  }
}

/** The channel with one more command, the oldest dropped so it stays within the parameter's size. */
export function withCommand(channel: CommandChannel, command: OperatorCommand): CommandChannel {
  let commands = [...channel.commands, command].slice(-MAX_CHANNEL_COMMANDS);
  let out: CommandChannel = { schema: EMPTY_CHANNEL.schema, commands };
  while (JSON.stringify(out).length > STANDARD_PARAMETER_MAX_CHARS && commands.length > 1) {
    commands = commands.slice(1);
    out = { schema: EMPTY_CHANNEL.schema, commands };
  }
  return out;
}

/**
 * Commands for this execution not applied yet, in the order they were written (the channel's
 * order: an operator's clock may be wrong, the order of writes is not).
 */
export function pendingCommands(channel: CommandChannel, execution: string, applied: readonly string[]): OperatorCommand[] {
  const done = new Set(applied);
  return channel.commands.filter((c) => c.execution === execution && !done.has(c.id));
}

/** What the operator has asked of a rollout so far, as the workflow keeps it in its progress. */
export interface OperatorState {
  /** Command ids already applied. */
  readonly applied: readonly string[];
  /** Set while paused: who paused, and when the workflow applied it (epoch seconds, AWS's clock). */
  readonly pausedBy?: { readonly by: string; readonly at: number };
  /** Set once someone asked for the promotion. */
  readonly promoteBy?: { readonly by: string; readonly at: number; readonly force: boolean };
  readonly abortBy?: { readonly by: string; readonly at: number; readonly reason?: string };
  /** Steps (1-based numbers) approved, with who approved them. */
  readonly approvals: readonly { readonly step: number; readonly by: string; readonly at: number }[];
  /** Every command applied, for the record (who, what, when). */
  readonly log: readonly { readonly command: OperatorCommandName; readonly by: string; readonly at: number; readonly appliedAt: number; readonly reason?: string }[];
}

export const NO_OPERATOR: OperatorState = { applied: [], approvals: [], log: [] };

/** A person-readable name for an IAM ARN: `user/alice` or `assumed-role/Admin/alice`. */
export function shortIdentity(arn: string): string {
  const m = /^arn:[^:]+:(?:iam|sts)::\d*:(.+)$/.exec(arn);
  return m ? m[1] : arn;
}
