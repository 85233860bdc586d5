/**
 * `npm run demo`: the error-spike scenario and a healthy one on the simulated AWS, with progress,
 * then out/demo/timeline.json + out/demo/chart.svg (error spike) and
 * out/demo/healthy-timeline.json + out/demo/healthy-chart.svg.
 */
import './quiet-sdk';
import * as path from 'node:path';
import { loadScenario } from '../sim/scenarios/scenario';
import { runScenario } from '../sim/scenarios/scenario-run';
import { progressLine, summaryLines, writeOutputs } from '../sim/scenarios/report';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'out', 'demo');

async function main(): Promise<void> {
  const started = performance.now();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const runs = [
    { file: 'error-spike.json', prefix: '' },
    { file: 'healthy.json', prefix: 'healthy-' },
    // A person pauses and resumes through the CLI's own code: the chart marks both.
    { file: 'operator-pause.json', prefix: 'operator-' },
  ];
  const written: string[] = [];
  for (const { file, prefix } of runs) {
    const scenario = loadScenario(path.join(ROOT, 'scenarios', file));
    say(`\n=== ${scenario.name}: ${scenario.description ?? ''}`);
    const { summary, timeline } = await runScenario(scenario, { seed: 1, onProgress: (p) => say(progressLine(p)) });
    for (const line of summaryLines(summary)) say(line);
    for (const a of summary.operatorActions) say(`  operator at ${(a.atSeconds / 60).toFixed(1)} min: ${a.command} (exit ${a.exitCode})`);
    const files = await writeOutputs(OUT, timeline, prefix);
    written.push(path.relative(process.cwd(), files.chart), path.relative(process.cwd(), files.timeline));
  }
  say(`\nwrote ${written.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  say(`open ${path.relative(process.cwd(), path.join(OUT, 'chart.svg'))} in a browser to see what happened.`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
