/**
 * Operator actions of a scenario (`"operator": [{ "atMinute": 6, "command": "pause" }]`), run
 * through the CLI's own code (cli/main.ts) against the simulated AWS, as a person would type them.
 */
import { run } from '../../cli/main';
import { listCanaries, clients } from '../../cli/rollouts';
import type { SimWorld } from '../world/world';

export const SCENARIO_COMMANDS = ['promote', 'abort', 'pause', 'resume', 'approve', 'status'] as const;
export type ScenarioCommand = (typeof SCENARIO_COMMANDS)[number];

export interface OperatorAction {
  /** Minutes after the deploy of the canary. */
  readonly atMinute: number;
  readonly command: ScenarioCommand;
  /** promote --force */
  readonly force?: boolean;
  readonly reason?: string;
  /** The caller identity the command runs as. @default arn:aws:iam::<account>:user/operator */
  readonly as?: string;
}

export interface OperatorActionResult {
  /** Seconds after the deploy of the canary. */
  readonly atSeconds: number;
  readonly command: ScenarioCommand;
  readonly exitCode: number;
  /** The command's --json output (or its error). */
  readonly output: unknown;
}

/** Runs one action through the CLI; its output is what `--json` prints. */
export async function runOperatorAction(world: SimWorld, stateMachineArn: string, action: OperatorAction): Promise<{ exitCode: number; output: unknown }> {
  const c = clients();
  const canary = (await world.drive(listCanaries(c))).find((d) => d.stateMachineArn === stateMachineArn);
  if (!canary) throw new Error(`no canary descriptor names the workflow ${stateMachineArn}`);
  const args = [action.command, canary.canaryName, '--stack', canary.stackName, '--json', ...(action.force ? ['--force'] : []), ...(action.reason ? ['--reason', action.reason] : [])];
  const out: string[] = [];
  const previous = process.env.SIM_CALLER_ARN;
  if (action.as) process.env.SIM_CALLER_ARN = action.as;
  try {
    const exitCode = await world.drive(run(args, { out: (t) => out.push(t), err: (t) => out.push(t) }));
    let output: unknown = out.join('\n');
    try {
      output = JSON.parse(out.join('\n'));
    } catch {
      // Not JSON: keep the text.
    }
    return { exitCode, output };
  } finally {
    if (action.as) {
      if (previous === undefined) delete process.env.SIM_CALLER_ARN;
      else process.env.SIM_CALLER_ARN = previous;
    }
  }
}

export function validateOperatorActions(raw: unknown, problems: string[]): void {
  if (raw === undefined) return;
  if (!Array.isArray(raw)) {
    problems.push('operator must be an array of { atMinute, command }');
    return;
  }
  raw.forEach((a: unknown, i) => {
    const o = (a ?? {}) as Record<string, unknown>;
    if (typeof o.atMinute !== 'number' || !Number.isFinite(o.atMinute) || o.atMinute < 0 || o.atMinute > 24 * 60) problems.push(`operator[${i}].atMinute must be a number from 0 to 1440`);
    if (!(SCENARIO_COMMANDS as readonly unknown[]).includes(o.command)) problems.push(`operator[${i}].command must be one of ${SCENARIO_COMMANDS.join(', ')}`);
    if (o.force !== undefined && typeof o.force !== 'boolean') problems.push(`operator[${i}].force must be true or false`);
    for (const k of ['reason', 'as']) if (o[k] !== undefined && typeof o[k] !== 'string') problems.push(`operator[${i}].${k} must be a string`);
    for (const k of Object.keys(o)) if (!['atMinute', 'command', 'force', 'reason', 'as'].includes(k)) problems.push(`operator[${i}].${k} is not a field`);
  });
}
