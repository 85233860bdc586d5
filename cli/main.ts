/**
 * `cdk-model-canary`: see and steer the rollouts of deployed canaries. commander parses the
 * command line (subcommands, help, errors); every command takes --json for scripts.
 */
import { Command, CommanderError, Option } from 'commander';
import type { OperatorCommandName } from '../lambda/shared/operator';
import { CliError, EXIT, explain } from './errors';
import type { Io } from './io';
import { callerIdentity, retry, sendCommand } from './operate';
import { renderHistory, renderList, renderSent, renderStatus } from './render';
import { clients, findCanary, listCanaries, listRollouts } from './rollouts';
import { canaryStatus } from './status';
import { watch } from './watch';

export interface Globals {
  readonly region?: string;
  readonly profile?: string;
  readonly stack?: string;
  readonly json?: boolean;
}

/** What a command added to the program gets (cli/simulate.ts): the program, the output, the global options, the action wrapper. */
export interface CommandContext {
  readonly program: Command;
  readonly io: Io;
  globals(): Globals;
  /** Runs a command's action: its exit code (default 0), its errors explained as the other commands' are. */
  action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void>;
}

/** Adds a command to the program (the bin adds `simulate`, which loads the simulator: sim/ calls run() itself). */
export type AddCommand = (ctx: CommandContext) => void;

/** Runs one command line; resolves to the exit code. */
export async function run(
  argv: readonly string[],
  io: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
  commands: readonly AddCommand[] = [],
): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command('cdk-model-canary')
    .description('See and steer the rollouts of cdk-model-canary canaries')
    .addOption(new Option('--region <region>', 'AWS region (default: the standard chain, AWS_REGION)'))
    .addOption(new Option('--profile <profile>', 'AWS profile (default: the standard credential chain)'))
    .option('--stack <stack>', 'the stack of the canary, when two stacks have one of the same name')
    .option('--json', 'print JSON for scripts')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) });

  const globals = (): Globals => program.opts<Globals>();
  const print = (value: unknown, human: string) => io.out(globals().json ? JSON.stringify(value, null, 2) : human);
  const action = <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) => async (...args: A) => {
    const g = globals();
    // Read lazily by every SDK client, including the shared handlers' module-level ones.
    if (g.region) process.env.AWS_REGION = g.region;
    if (g.profile) process.env.AWS_PROFILE = g.profile;
    code = (await fn(...args)) ?? EXIT.OK;
  };

  program.command('list').description('the canaries of this account and region').action(action(async () => {
    const list = await listCanaries(clients());
    print(list, renderList(list));
  }));
  program.command('status').argument('<canary>').description('the rollout in flight (or the last one): step, weights, guards').action(action(async (name: string) => {
    const c = clients();
    const s = await canaryStatus(c, await findCanary(c, name, globals().stack));
    print(s, renderStatus(s));
  }));
  program.command('watch').argument('<canary>').option('--interval <seconds>', 'refresh every', '10').description('status, refreshed in place until the rollout ends; exit code 0 promoted, 6 otherwise').action(action(async (name: string, opts: { interval: string }) => {
    const c = clients();
    const interval = Number(opts.interval);
    if (!Number.isFinite(interval) || interval < 1) throw new CliError(`--interval ${opts.interval}: give seconds, at least 1`, EXIT.USAGE);
    return watch(c, await findCanary(c, name, globals().stack), { intervalSeconds: interval, json: globals().json === true, io });
  }));
  program.command('history').argument('<canary>').option('--max <n>', 'how many rollouts', '20').description('past rollouts and their outcomes, newest first').action(action(async (name: string, opts: { max: string }) => {
    const c = clients();
    const list = await listRollouts(c, await findCanary(c, name, globals().stack), Math.min(100, Math.max(1, Number(opts.max) || 20)));
    print(list, renderHistory(list));
  }));
  const operator = (command: OperatorCommandName, description: string, extra?: (cmd: Command) => Command) => {
    const cmd = program.command(command).argument('<canary>').description(description).option('--reason <text>', 'recorded with the command and in the alert');
    (extra ? extra(cmd) : cmd).action(action(async (name: string, opts: { force?: boolean; reason?: string }) => {
      const c = clients();
      const result = await sendCommand(c, await findCanary(c, name, globals().stack), command, opts);
      print(result, renderSent(command, result));
    }));
  };
  operator('promote', 'skip the remaining steps: the canary serves everything (refused while a guard fires)', (cmd) => cmd.option('--force', 'promote although a guard fires'));
  operator('abort', 'canary to 0% within seconds; the rollout ends as rolled back');
  operator('pause', 'hold the current share; the bake clock stops (guards keep watching)');
  operator('resume', 'go on after a pause');
  operator('approve', 'let the rollout past the approval gate it waits at');
  program.command('retry').argument('<canary>').description('start the last rolled-back release again, without a deploy').action(action(async (name: string) => {
    const c = clients();
    const result = await retry(c, await findCanary(c, name, globals().stack));
    print(result, `retry of ${result.canary} started by ${result.by}: ${result.execution}: ${result.effect}`);
  }));
  program.command('whoami').description('the caller identity commands are recorded under').action(action(async () => {
    const arn = await callerIdentity();
    print({ arn }, arn);
  }));
  for (const add of commands) add({ program, io, globals, action });

  try {
    await program.parseAsync(['node', 'cdk-model-canary', ...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const { message, exitCode } = explain(err);
    io.err(globals().json ? JSON.stringify({ error: message, exitCode }) : `cdk-model-canary: ${message}`);
    return exitCode;
  }
}
