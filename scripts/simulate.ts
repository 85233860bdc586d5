/**
 * `npm run simulate -- --scenario scenarios/error-spike.json [--seed N] [--strategy NAME] [--json]
 * [--faults SPEC] [--out DIR]`: one scenario on the simulated AWS (sim/), on a virtual clock.
 * With --json the last line of output is one JSON object (the summary).
 */
import './quiet-sdk';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { loadScenario } from '../sim/scenario';
import { renderChart } from './chart';
import { type FaultSpec, parseFaults, type Progress, runScenario, shortAlarm, STRATEGIES, type Strategy, type Summary, type Timeline } from '../sim/scenario-run';

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
  readonly strategy: Strategy;
  readonly json: boolean;
  readonly faults: FaultSpec[];
  readonly out?: string;
}

export function parseArgs(argv: readonly string[], io: Io = STDIO): Args {
  const program = new Command('simulate')
    .description('Run one rollout scenario on the simulated AWS (virtual clock, real handlers, synthesized state machine).')
    .requiredOption('--scenario <file>', 'scenario JSON file (see scenarios/ and README "Try it without AWS")')
    .option('--seed <n>', 'random seed (traffic, errors, latencies)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('give a whole number, 0 or more');
      return n;
    }, 1)
    .option('--strategy <name>', `rollout strategy (${STRATEGIES.join(', ')})`, (v) => {
      if (!(STRATEGIES as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown strategy "${v}"; valid: ${STRATEGIES.join(', ')}`);
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
  const o = program.opts<{ scenario: string; seed: number; strategy: Strategy; json: boolean; faults: FaultSpec[]; out?: string }>();
  return { scenario: o.scenario, seed: o.seed, strategy: o.strategy, json: o.json, faults: o.faults, out: o.out };
}

function clock(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const s = Math.abs(Math.round(seconds));
  return `${sign}${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function progressLine(p: Progress): string {
  const firing = p.alarms.filter((a) => a.state === 'ALARM').map((a) => shortAlarm(a.name));
  const ok = p.alarms.filter((a) => a.state === 'OK').length;
  const insufficient = p.alarms.filter((a) => a.state === 'INSUFFICIENT_DATA').length;
  return (
    `[${clock(p.atSeconds)}] ${p.state.padEnd(16)} canary ${String(p.canaryPercent).padStart(5)}%  ` +
    `alarms: ${firing.length > 0 ? `ALARM ${firing.join(', ')}; ` : ''}${ok} OK, ${insufficient} no data`
  );
}

export function summaryLines(s: Summary): string[] {
  const at = (x: number | null) => (x === null ? '-' : `${clock(x)} (${x} s)`);
  return [
    `scenario ${s.scenario}: ${s.outcome.toUpperCase()}${s.error ? ` (${s.error})` : ''}`,
    ...(s.cause ? [`  cause: ${s.cause}`] : []),
    `  regression onset ${at(s.regressionOnsetSeconds)}${s.regression.length ? ` [${s.regression.join(', ')}]` : ''}, rollback ${at(s.rollbackAtSeconds)}, promoted ${at(s.promotedAtSeconds)}`,
    `  canary: ${s.canaryRequests} requests, ${s.canaryFailedRequests} failed, max weight ${s.maxCanaryWeight}%`,
    `  alarms fired: ${s.alarmsFired.map((a) => `${a.alarm} at ${clock(a.atSeconds)}`).join(', ') || 'none'}`,
    `  alerts: ${s.alerts.map((a) => a.event ?? '?').join(' → ') || 'none'}${s.faultsInjected ? `; ${s.faultsInjected} faults injected` : ''}`,
    `  ${Math.round(s.rolloutSeconds / 60)} virtual minutes in ${(s.realMs / 1000).toFixed(1)} s`,
  ];
}

/** Writes timeline.json and chart.svg; returns the chart's path. */
export async function writeOutputs(dir: string, timeline: Timeline, prefix = ''): Promise<{ timeline: string; chart: string }> {
  mkdirSync(dir, { recursive: true });
  const files = { timeline: path.join(dir, `${prefix}timeline.json`), chart: path.join(dir, `${prefix}chart.svg`) };
  writeFileSync(files.timeline, `${JSON.stringify(timeline, null, 2)}\n`);
  writeFileSync(files.chart, await renderChart(timeline));
  return files;
}

/** The CLI in-process: resolves to the summary; throws on bad arguments or a scenario that cannot run. */
export async function run(argv: readonly string[], io: Io = STDIO): Promise<Summary> {
  const args = parseArgs(argv, io);
  const file = loadScenario(args.scenario);
  if (!args.json) io.out(`scenario ${file.name} (${args.scenario}), seed ${args.seed}, strategy ${args.strategy}${file.description ? `\n  ${file.description}` : ''}`);
  const { summary, timeline } = await runScenario(file, {
    seed: args.seed,
    strategy: args.strategy,
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
  run(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof CommanderError) process.exit(err.exitCode);
      process.stderr.write(`simulate: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
