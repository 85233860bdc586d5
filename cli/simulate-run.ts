/**
 * The `simulate` command's run: the user's canary from the synthesized app, the scenario, the
 * rollout on the simulated AWS with its timeline on the terminal (or the summary as JSON), the chart.
 */
import * as path from 'node:path';
import { CliError, EXIT } from './errors';
import type { Io } from './io';
import type { CommandResult } from './operate';
import { renderSent, renderStatus } from './render';
import type { CanaryStatus } from './status';
import { AssemblyError, loadCanary } from '../sim/world/cloud-assembly';
import type { OperatorActionResult } from '../sim/scenarios/operator-actions';
import { resolveScenario } from '../sim/scenarios/presets';
import { clock, progressLine, summaryLines, writeChart } from '../sim/scenarios/report';
import { ScenarioError } from '../sim/scenarios/scenario';
import { runScenario, type Summary } from '../sim/scenarios/scenario-run';

/** The command line of `simulate` (cli/simulate.ts), as commander parses it. */
export interface SimulateFlags {
  readonly app: string;
  readonly canary?: string;
  readonly scenario: string;
  readonly seed: number;
  readonly chart?: string;
  readonly expect?: string;
}

export interface SimulateOptions extends SimulateFlags {
  /** The stack of the canary, when several stacks have one of that name (the global --stack). */
  readonly stack?: string;
  readonly json: boolean;
}

/** What `simulate --json` prints: the scenario run's summary (scripts/simulate.ts prints the same), and which canary of which app. */
export interface SimulateResult extends Summary {
  readonly app: string;
  readonly stack: string;
  readonly canary: string;
  /** The chart written (--chart), else null. */
  readonly chart: string | null;
}

/** An operator action of the scenario as the person who typed it saw it: the command, then what it printed. */
export function operatorLines(a: OperatorActionResult): string[] {
  const head = `[${clock(a.atSeconds)}] operator: cdk-model-canary ${a.command} → exit ${a.exitCode}`;
  const out = a.output as Record<string, unknown> | undefined;
  if (a.exitCode !== 0 || typeof out !== 'object' || out === null) return [`${head}: ${typeof out?.error === 'string' ? out.error : JSON.stringify(a.output)}`];
  if (a.command === 'status') return [head, ...renderStatus(out as unknown as CanaryStatus).split('\n').map((l) => `    ${l}`)];
  return [`${head}: ${renderSent(a.command, out as unknown as CommandResult)}`];
}

export async function simulate(o: SimulateOptions, io: Io): Promise<number> {
  const loaded = asUsageError(() => loadCanary(o.app, o.canary, o.stack));
  const { file, source } = asUsageError(() => resolveScenario(o.scenario));
  const app = { stack: loaded.stack, canaryName: loaded.canaryName, kind: loaded.kind };
  if (!o.json) {
    io.out(`canary ${loaded.canaryName} (stack ${loaded.stack.stackName}, ${loaded.kind}) of ${o.app}: scenario ${file.name} (${source}), seed ${o.seed}`);
    if (file.description) io.out(`  ${file.description}`);
    io.out('  simulated AWS, virtual clock: minutes after the canary\'s deploy');
  }
  const { summary, timeline } = await runScenario(file, {
    seed: o.seed,
    app,
    onProgress: o.json ? undefined : (p) => io.out(progressLine(p)),
    onOperatorAction: o.json ? undefined : (a) => operatorLines(a).forEach((l) => io.out(l)),
  }).catch((err: unknown) => {
    throw err instanceof ScenarioError ? new CliError(err.message, EXIT.USAGE) : err;
  });
  if (o.chart) await writeChart(o.chart, timeline);
  if (o.json) {
    const result: SimulateResult = { ...summary, app: o.app, stack: loaded.stack.stackName, canary: loaded.canaryName, chart: o.chart ?? null };
    io.out(JSON.stringify(result, null, 2));
    return expected(o, summary, io);
  }
  for (const line of summaryLines(summary)) io.out(line);
  if (summary.outcome === 'held') io.out(`  the rollout was still running when the scenario's ${file.durationMinutes} minutes ended: give a scenario file with a longer durationMinutes to see its end`);
  if (o.chart) io.out(`wrote the chart to ${path.relative(process.cwd(), path.resolve(o.chart)) || o.chart}`);
  return expected(o, summary, io);
}

/** With --expect, another outcome is a failed check (exit 7, said on stderr so --json stays one object). */
function expected(o: SimulateOptions, summary: Summary, io: Io): number {
  if (o.expect === undefined || summary.outcome === o.expect) return EXIT.OK;
  io.err(`expected the rollout to end ${o.expect}, it ended ${summary.outcome}${summary.decidedBy ? ` (decided by ${summary.decidedBy})` : ''}`);
  return EXIT.UNEXPECTED_OUTCOME;
}

/** Bad input as the CLI's errors: a missing app or scenario is a usage error, an unknown canary "not found". */
function asUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AssemblyError) throw new CliError(err.message, err.notFound ? EXIT.NOT_FOUND : EXIT.USAGE);
    if (err instanceof ScenarioError) throw new CliError(err.message, EXIT.USAGE);
    throw err;
  }
}
