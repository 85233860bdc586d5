/**
 * `npm run simulate -- --scenario scenarios/error-spike.json [--seed N] [--strategy NAME] [--json]
 * [--faults SPEC] [--out DIR]`: one scenario on the simulated AWS (sim/), on a virtual clock.
 * With --json the last line of output is one JSON object (the summary).
 */
import './quiet-sdk';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadScenario } from '../sim/scenarios/scenario';
import { clock, progressLine, summaryLines, writeOutputs } from '../sim/scenarios/report';
import { type FaultSpec, parseFaults, runScenario, shortAlarm, type Summary } from '../sim/scenarios/scenario-run';
import { ALL_STRATEGIES, type AnyStrategy, runsAsStrategy, runStrategy, type StrategyRun } from '../sim/bench/strategies';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const STDIO: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export interface Args {
  readonly scenario: string;
  readonly seed: number;
  readonly strategy: AnyStrategy;
  readonly json: boolean;
  readonly faults: FaultSpec[];
  readonly out?: string;
}

export function parseArgs(argv: readonly string[], io: Io = STDIO): Args {
  const program = new Command('simulate')
    .description('Run one rollout scenario on the simulated AWS (virtual clock, real handlers, synthesized state machine).')
    .requiredOption('--scenario <file>', 'scenario JSON file (see scenarios/ and docs/simulator.md)')
    .option('--seed <n>', 'random seed (traffic, errors, latencies)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('give a whole number, 0 or more');
      return n;
    }, 1)
    .option('--strategy <name>', `rollout strategy (${ALL_STRATEGIES.join(', ')}; the others than model-canary are the anchors of sim/bench/strategies.ts, Lambda scenarios only, without --faults or --out)`, (v) => {
      if (!(ALL_STRATEGIES as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown strategy "${v}"; valid: ${ALL_STRATEGIES.join(', ')}`);
      return v;
    }, 'model-canary')
    .option('--json', 'no progress lines; the last line of output is the summary as one JSON object', false)
    .option('--faults <spec>', 'failures of simulated AWS calls: "UpdateAlias:throttle,throttle;GetMetricData:5xx" (kinds: throttle, 5xx, timeout, accessDenied; kind* = every call)', (v) => {
      try {
        return parseFaults(v);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    }, [] as FaultSpec[])
    .option('--out <dir>', 'write timeline.json and chart.svg to this directory')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{ scenario: string; seed: number; strategy: AnyStrategy; json: boolean; faults: FaultSpec[]; out?: string }>();
  return { scenario: o.scenario, seed: o.seed, strategy: o.strategy, json: o.json, faults: o.faults, out: o.out };
}

export function anchorSummaryLines(r: StrategyRun): string[] {
  const at = (x: number | null) => (x === null ? '-' : `${clock(x)} (${x} s)`);
  return [
    `scenario ${r.scenario}: ${r.outcome.toUpperCase()} (strategy ${r.strategy})`,
    ...(r.reason ? [`  reason: ${r.reason}`] : []),
    `  regression onset ${at(r.regressionOnsetSeconds)}${r.regression.length ? ` [${r.regression.join(', ')}]` : ''}, weight 0 ${at(r.weightZeroAtSeconds)}, 100 % ${at(r.promotedAtSeconds)}`,
    `  steps: ${r.steps.map((s) => `${s.percent}% at ${clock(s.atSeconds)}`).join(', ')}`,
    `  canary: ${r.canaryRequests} requests, ${r.canaryFailedRequests} failed, max weight ${r.maxCanaryWeight}%; after the onset until 0 %: ${r.blastRadiusRequests} requests, ${r.blastRadiusFailed} failed`,
    `  ${Math.round(r.simulatedSeconds / 60)} virtual minutes in ${(r.realMs / 1000).toFixed(1)} s`,
  ];
}

/** A strategy of sim/bench/strategies.ts other than model-canary (an anchor, or the evidence-driven schedule) on one scenario: progress lines, then the summary or its JSON. */
export async function runAnchor(args: Args, io: Io = STDIO): Promise<StrategyRun> {
  if (args.faults.length > 0 || args.out) throw new Error(`--faults and --out work with --strategy model-canary only, not ${args.strategy}`);
  const file = loadScenario(args.scenario);
  if (!args.json) io.out(`scenario ${file.name} (${args.scenario}), seed ${args.seed}, strategy ${args.strategy}${file.description ? `\n  ${file.description}` : ''}`);
  const r = await runStrategy(file, {
    seed: args.seed,
    strategy: args.strategy,
    // One run: simulate a promoted canary to the scenario's end (the bench extrapolates instead).
    simulateAfterPromotion: true,
    onProgress: args.json
      ? undefined
      : (p) => io.out(`[${clock(p.atSeconds)}] canary ${String(p.canaryPercent).padStart(5)}%  alarms: ${p.alarmsInAlarm.map(shortAlarm).join(', ') || 'none'} in ALARM${p.note ? `  ${p.note}` : ''}`),
  });
  if (args.json) io.out(JSON.stringify(r));
  else for (const line of anchorSummaryLines(r)) io.out(line);
  return r;
}

/** The CLI in-process: an anchor strategy's run, or this library's summary (see run()). */
export async function runCli(argv: readonly string[], io: Io = STDIO): Promise<Summary | StrategyRun> {
  const args = parseArgs(argv, io);
  return runsAsStrategy(args.strategy) ? runAnchor(args, io) : run(argv, io);
}

/** The CLI in-process for model-canary: resolves to the summary; throws on bad arguments, an anchor strategy (use runCli) or a scenario that cannot run. */
export async function run(argv: readonly string[], io: Io = STDIO): Promise<Summary> {
  const args = parseArgs(argv, io);
  if (runsAsStrategy(args.strategy)) throw new Error(`run() runs model-canary; use runCli() for ${args.strategy}`);
  const file = loadScenario(args.scenario);
  if (!args.json) io.out(`scenario ${file.name} (${args.scenario}), seed ${args.seed}, strategy ${args.strategy}${file.description ? `\n  ${file.description}` : ''}`);
  const { summary, timeline } = await runScenario(file, {
    seed: args.seed,
    strategy: 'model-canary',
    faults: args.faults,
    onProgress: args.json ? undefined : (p) => io.out(progressLine(p)),
  });
  if (args.out) {
    const files = await writeOutputs(args.out, timeline);
    if (!args.json) io.out(`wrote ${files.timeline} and ${files.chart}`);
  }
  if (args.json) io.out(JSON.stringify(summary));
  else for (const line of summaryLines(summary)) io.out(line);
  return summary;
}

if (require.main === module) {
  // A simulation waiting on something that can never happen leaves nothing for Node to do: say so.
  process.on('beforeExit', () => {
    process.stderr.write('simulate: the simulation stopped without finishing (nothing left to wait for)\n');
    process.exit(1);
  });
  runCli(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof CommanderError) process.exit(err.exitCode);
      process.stderr.write(`simulate: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
