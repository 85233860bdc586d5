/**
 * `node --expose-gc --import tsx scripts/sim-memory.ts [scenario file] [runs] [strategy]`: what
 * simulated runs leave on the heap. Runs one scenario (default scenarios/healthy.json) `runs` times
 * (default 20, seeds 1..runs) in this process, as `npm run simulate` does or, given a strategy, as
 * the bench does, and prints the heap after a full GC following each run and the growth per run
 * after the first (BENCHMARKS.md "Memory and the full fault matrix").
 */
import './quiet-sdk';
import { loadScenario } from '../sim/scenarios/scenario';
import { runScenario } from '../sim/scenarios/scenario-run';
import { ALL_STRATEGIES, type AnyStrategy, runStrategy } from '../sim/bench/strategies';

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc --import tsx scripts/sim-memory.ts');
  const file = process.argv[2] ?? 'scenarios/healthy.json';
  const runs = Number(process.argv[3] ?? 20);
  if (!Number.isInteger(runs) || runs < 2) throw new Error(`runs: give a whole number of at least 2, not ${process.argv[3]}`);
  const strategy = process.argv[4] as AnyStrategy | undefined;
  if (strategy && !ALL_STRATEGIES.includes(strategy)) throw new Error(`strategy: one of ${ALL_STRATEGIES.join(', ')}, not ${strategy}`);
  const scenario = loadScenario(file);
  const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
  const heapAfterGc = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const started = performance.now();
  const after: number[] = [];
  for (let seed = 1; seed <= runs; seed++) {
    if (strategy) await runStrategy(scenario, { seed, strategy });
    else await runScenario(scenario, { seed });
    after.push(heapAfterGc());
    process.stdout.write(`run ${seed}: heap after GC ${mb(after[after.length - 1])} MB\n`);
  }
  const perRun = (after[runs - 1] - after[0]) / (runs - 1);
  process.stdout.write(
    `${file}${strategy ? ` (${strategy})` : ''}, ${runs} runs in ${((performance.now() - started) / 1000).toFixed(0)} s: heap after the first ${mb(after[0])} MB, ` +
      `after the last ${mb(after[runs - 1])} MB, ${mb(perRun)} MB a run\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`sim-memory: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
