/**
 * `npm run bench [-- --seeds 1-5] [--healthy-seeds 20] [--targets lambda,config] [--scenarios a,b]
 * [--strategies a,b] [--jobs 2] [--publish-delay 60] [--json] [--no-write]`: this library against the
 * anchors (sim/bench/strategies.ts) on every Lambda scenario in scenarios/, on the same simulated
 * traffic and alarms, over several seeds (more on the healthy scenarios, for the false-rollback
 * rate); and the config canary and its anchor (AppConfig's own gradual deployment) on every
 * `"target": "config"` scenario (sim/bench/config-bench.ts, scripts/bench-config.ts). Prints tables
 * and the goals, writes BENCHMARKS.md (unless --no-write; `--targets config` rewrites only the config
 * section); with --json the last line of output is one JSON object. Without --targets both run,
 * unless --strategies (Lambda strategies: Lambda; the config anchor: config) or --scenarios say which.
 */
import './quiet-sdk';
import { fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { materialRegression } from '../sim/bench/practical-margin';
import { loadScenario } from '../sim/scenarios/scenario';
import { ALL_STRATEGIES, type AnyStrategy, runStrategy, type StrategyRun } from '../sim/bench/strategies';
import { type ConfigBenchRun, CONFIG_STRATEGIES, configControllerFor, type ConfigStrategy, isConfigStrategy, isGrossFailure, runConfigBench } from '../sim/bench/config-bench';
import { CONFIG_SECTION, configGoalLines, configJobs, type ConfigReport, configScenarioNamed, configScenarios, configSection, configTableLines, replaceSection } from './bench-config';
import { type BenchReport, goalLines, markdown, tableLines, tradeOffLines } from './bench-markdown';
import { checkGoals, DEFAULTS, goalsMet, rateText, scenarioKind, summarize } from './bench-summary';
import { bundleReport } from './bundle-report';
import { fleetReport } from './fleet-report';
import { SECTION as JUDGE_SECTION } from './judge-monte-carlo';

export { isFalseRollback, summarize, checkGoals, clopperPearson, scenarioKind, DEFAULTS } from './bench-summary';
export { markdown, tableLines } from './bench-markdown';
export type { BenchReport } from './bench-markdown';

const ROOT = path.join(__dirname, '..');


export interface Job {
  readonly file: string;
  /** A Lambda strategy, or for a config job a config strategy (CONFIG_STRATEGIES). */
  readonly strategy: AnyStrategy | ConfigStrategy;
  readonly seed: number;
  readonly metricPublishDelaySeconds: number;
  /** A config scenario, run by sim/bench/config-bench.ts with `strategy` (the library, or the AppConfig anchor). */
  readonly target?: 'config';
}

/** The Lambda scenarios (the anchors drive a Lambda alias), by path. */
export function lambdaScenarios(dir = path.join(ROOT, 'scenarios')): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => loadScenario(f).target === 'lambda');
}

/** Scenario files by name or path (`--scenarios healthy,first-minute-errors-25pct`). */
export function selectScenarios(names: readonly string[], all = lambdaScenarios()): string[] {
  return names.map((n) => {
    const hit = all.find((f) => f === path.resolve(n) || path.basename(f, '.json') === n || loadScenario(f).name === n);
    if (!hit) throw new InvalidArgumentError(`no Lambda scenario "${n}" in scenarios/ (known: ${all.map((f) => path.basename(f, '.json')).join(', ')})`);
    return hit;
  });
}

async function runJob(job: Job): Promise<StrategyRun | ConfigBenchRun> {
  if (job.target === 'config') return runConfigBench(loadScenario(job.file), { seed: job.seed, metricPublishDelaySeconds: job.metricPublishDelaySeconds, controller: configControllerFor(job.strategy) });
  return runStrategy(loadScenario(job.file), { seed: job.seed, strategy: job.strategy as AnyStrategy, metricPublishDelaySeconds: job.metricPublishDelaySeconds });
}

/** Runs the jobs in `jobs` worker processes (1: in this process), in job order. */
export async function runJobs<R extends StrategyRun | ConfigBenchRun = StrategyRun>(jobs: readonly Job[], workers: number, onDone?: (r: R, done: number) => void): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  let done = 0;
  if (workers <= 1) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = (await runJob(jobs[i])) as R;
      onDone?.(results[i], ++done);
    }
    return results;
  }
  let next = 0;
  // One process per worker for every job it takes: a disposed world leaves nothing on the heap
  // (BENCHMARKS.md "Memory"), so a worker needs no fresh process.
  const worker = () =>
    new Promise<void>((resolve, reject) => {
      const child = fork(__filename, ['--worker'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let current = -1;
      const give = () => {
        if (next >= jobs.length) {
          child.send({ exit: true });
          return;
        }
        current = next++;
        child.send({ job: jobs[current] });
      };
      child.on('message', (m: { result?: R; error?: string }) => {
        if (m.error) {
          child.kill();
          reject(new Error(`${jobs[current].file} ${jobs[current].strategy} seed ${jobs[current].seed}: ${m.error}`));
          return;
        }
        results[current] = m.result as R;
        onDone?.(results[current], ++done);
        give();
      });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench worker exited with ${code}`))));
      give();
    });
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, worker));
  return results;
}

/** Sections of BENCHMARKS.md measured by other commands than the bench's: a rewrite keeps them as they stand. */
const MEMORY_SECTION = '## Memory and the full fault matrix';
/** The evidence-driven schedule's time to 100 %, measured by a bench run of that strategy alone. */
const EVIDENCE_SECTION = '## The evidence-driven schedule';

/** The section headed `title` in `markdown` (up to the next `## ` heading), with a blank line before it; '' if absent. */
export function keptSection(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n${title}\n`);
  if (start < 0) return '';
  const end = markdown.indexOf('\n## ', start + 1);
  return `${markdown.slice(start, end < 0 ? undefined : end).trimEnd()}\n`;
}

function parseSeeds(v: string): number[] {
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new InvalidArgumentError('give seeds as 1-5 or 1,2,7');
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

export interface BenchOptions {
  readonly seeds: number[];
  /** Seeds 1..N on the healthy scenarios (at least the regression seeds). @default the regression seeds */
  readonly healthySeeds?: number;
  readonly jobs: number;
  readonly scenarios?: string[];
  readonly strategies?: AnyStrategy[];
  /** @default 60 */
  readonly metricPublishDelaySeconds?: number;
  readonly onDone?: (r: StrategyRun, done: number, total: number) => void;
  /** Once every scenario and strategy has run its first seed: the expected wall time of the whole bench. */
  readonly onEstimate?: (text: string) => void;
}

/**
 * The jobs, first seed of every (scenario, strategy) first, so that the run time of each is measured
 * early and the whole bench's can be estimated.
 */
export function plan(files: readonly string[], strategies: readonly AnyStrategy[], seeds: readonly number[], healthySeeds: readonly number[], delay: number): Job[] {
  const jobs: Job[] = [];
  const seedsOf = (file: string) => (materialRegression(loadScenario(file)).onset ? seeds : healthySeeds);
  const rounds = Math.max(seeds.length, healthySeeds.length);
  for (let i = 0; i < rounds; i++) {
    for (const file of files) {
      const ss = seedsOf(file);
      if (i < ss.length) for (const strategy of strategies) jobs.push({ file, strategy, seed: ss[i], metricPublishDelaySeconds: delay });
    }
  }
  return jobs;
}

export async function bench(options: BenchOptions): Promise<BenchReport> {
  const start = performance.now();
  const files = options.scenarios ?? lambdaScenarios();
  const strategies = options.strategies ?? [...ALL_STRATEGIES];
  const delay = options.metricPublishDelaySeconds ?? DEFAULTS.publishDelaySeconds;
  const healthyCount = Math.max(options.healthySeeds ?? 0, options.seeds.length);
  const healthySeeds = [...new Set([...options.seeds, ...Array.from({ length: healthyCount }, (_, i) => i + 1)])].slice(0, healthyCount);
  const jobs = plan(files, strategies, options.seeds, healthySeeds, delay);
  const firstRound = files.length * strategies.length;
  const msOf = new Map<string, number>();
  let estimated = false;
  const runs = await runJobs(jobs, options.jobs, (r, n) => {
    if (!msOf.has(`${r.scenario}|${r.strategy}`)) msOf.set(`${r.scenario}|${r.strategy}`, r.realMs);
    options.onDone?.(r, n, jobs.length);
    if (!estimated && msOf.size === firstRound && options.onEstimate) {
      estimated = true;
      const nameOf = new Map(files.map((f) => [f, loadScenario(f).name]));
      const total = jobs.reduce((a, j) => a + (msOf.get(`${nameOf.get(j.file)}|${j.strategy}`) ?? 0), 0) / 1000 / Math.max(1, options.jobs);
      options.onEstimate(`expected wall time ≈ ${(total / 60).toFixed(1)} min for ${jobs.length} runs on ${options.jobs} worker(s) (from the first seed's run times)`);
    }
  });
  const { cells, falseRollbacksHealthy } = summarize(runs, strategies);
  const kinds = files.map((f) => scenarioKind(loadScenario(f)));
  const goals = checkGoals(cells, falseRollbacksHealthy, kinds);
  return {
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
    seeds: options.seeds,
    healthySeeds,
    metricPublishDelaySeconds: delay,
    jobs: options.jobs,
    scenarios: kinds.map((k) => k.name),
    kinds,
    strategies,
    cells,
    falseRollbacksHealthy,
    goals,
    goalMet: goalsMet(goals),
    runs,
    realSeconds: (performance.now() - start) / 1000,
  };
}

const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);
const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('give a whole number, 0 or more');
  return n;
};

/** The config canary's runs (sim/bench/config-bench.ts) in the same worker processes: each config strategy (default: all) on each scenario and seed. */
export async function benchConfig(options: { files: string[]; seeds: number[]; healthySeeds: number[]; jobs: number; metricPublishDelaySeconds: number; strategies?: ConfigStrategy[]; onDone?: (r: ConfigBenchRun, done: number, total: number) => void }): Promise<ConfigReport> {
  const start = performance.now();
  const strategies = options.strategies ?? [...CONFIG_STRATEGIES];
  const jobs: Job[] = configJobs(options.files, options.seeds, options.healthySeeds).flatMap(({ file, seed }) =>
    strategies.map((strategy) => ({ file, seed, strategy, metricPublishDelaySeconds: options.metricPublishDelaySeconds, target: 'config' as const })),
  );
  const runs = await runJobs<ConfigBenchRun>(jobs, options.jobs, (r, n) => options.onDone?.(r, n, jobs.length));
  const names = options.files.map((f) => loadScenario(f));
  return {
    strategies,
    seeds: options.seeds,
    healthySeeds: options.healthySeeds,
    metricPublishDelaySeconds: options.metricPublishDelaySeconds,
    scenarios: options.files,
    grossFailures: names.filter(isGrossFailure).map((s) => s.name),
    runs,
    realSeconds: (performance.now() - start) / 1000,
  };
}

export const TARGETS = ['lambda', 'config'] as const;

/**
 * Which targets run and on which scenarios: --targets if given; else the targets of the scenarios
 * --scenarios names; else with --strategies, Lambda for its Lambda strategies (model-canary
 * included) and config for a config anchor (APPCONFIG_ANCHOR); else both.
 */
export function benchTargets(o: { targets?: string; scenarios?: string; strategies?: string }): { lambda?: string[] | 'all'; config?: string[] } {
  const names = o.scenarios ? list(o.scenarios) : undefined;
  const configNames = (names ?? []).filter((n) => configScenarioNamed(n) !== undefined);
  const lambdaNames = (names ?? []).filter((n) => configScenarioNamed(n) === undefined);
  const given = o.targets ? list(o.targets) : undefined;
  for (const t of given ?? []) if (!(TARGETS as readonly string[]).includes(t)) throw new InvalidArgumentError(`unknown target "${t}"; valid: ${TARGETS.join(', ')}`);
  const strategies = o.strategies ? list(o.strategies) : undefined;
  const byStrategy = (t: (typeof TARGETS)[number]) =>
    !strategies || (t === 'lambda' ? strategies.some((s) => (ALL_STRATEGIES as readonly string[]).includes(s)) : strategies.some((s) => isConfigStrategy(s) && !(ALL_STRATEGIES as readonly string[]).includes(s)));
  const on = (t: (typeof TARGETS)[number], named: string[]) => (given ? given.includes(t) : names ? named.length > 0 : byStrategy(t));
  if (given && names) {
    const off = [...(given.includes('lambda') ? [] : lambdaNames), ...(given.includes('config') ? [] : configNames)];
    if (off.length > 0) throw new InvalidArgumentError(`--scenarios ${off.join(', ')}: not a scenario of --targets ${given.join(',')}`);
  }
  return {
    ...(on('lambda', lambdaNames) ? { lambda: names ? selectScenarios(lambdaNames) : ('all' as const) } : {}),
    ...(on('config', configNames) ? { config: names ? configNames.map((n) => configScenarioNamed(n)!) : configScenarios() } : {}),
  };
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('bench')
    .description('This library against the anchors on the simulated AWS (scenarios/ × strategies × seeds), and the config canary on the config scenarios.')
    .option('--seeds <list>', 'seeds of the regression scenarios: 1-5 or 1,2,7', parseSeeds, [...DEFAULTS.seeds])
    .option('--healthy-seeds <n>', 'seeds 1..n on the healthy scenarios (false-rollback rate)', count, DEFAULTS.healthySeeds)
    .option('--targets <list>', `${TARGETS.join(', ')}: the Lambda canary against the anchors, the config canary (default: both, or those of --scenarios; Lambda alone with --strategies)`)
    .option('--scenarios <list>', 'only these scenarios (names or files), comma-separated')
    .option('--strategies <list>', `only these strategies, comma-separated: Lambda ${ALL_STRATEGIES.join(', ')}; config ${CONFIG_STRATEGIES.join(', ')}`)
    .option('--publish-delay <seconds>', 'publication lag of every metric, for every strategy', count, DEFAULTS.publishDelaySeconds)
    .option('--jobs <n>', 'worker processes', (v) => Number(v), Math.max(1, Math.min(DEFAULTS.jobs, os.cpus().length)))
    .option('--json', 'the last line of output is the report as one JSON object', false)
    .option('--no-write', 'do not write BENCHMARKS.md');
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ seeds: number[]; healthySeeds: number; targets?: string; scenarios?: string; strategies?: string; publishDelay: number; jobs: number; json: boolean; write: boolean }>();
  const strategies = o.strategies ? list(o.strategies) : undefined;
  const known = [...new Set<string>([...ALL_STRATEGIES, ...CONFIG_STRATEGIES])];
  for (const s of strategies ?? []) if (!known.includes(s)) throw new InvalidArgumentError(`unknown strategy "${s}"; valid: ${known.join(', ')}`);
  const lambdaStrategies = strategies?.filter((s): s is AnyStrategy => (ALL_STRATEGIES as readonly string[]).includes(s));
  // The config strategies listed; none listed (e.g. --targets config --strategies kayenta): all of them.
  const configStrategies = strategies?.filter(isConfigStrategy);
  const targets = benchTargets(o);
  if (targets.lambda && strategies && !lambdaStrategies?.length) throw new InvalidArgumentError(`--strategies ${o.strategies}: no Lambda strategy for --targets lambda (${ALL_STRATEGIES.join(', ')})`);
  const progress = o.json ? undefined : (r: { scenario: string; strategy: string; seed: number; outcome: string; realMs: number }, done: number, total: number) => process.stderr.write(`[${done}/${total}] ${r.scenario} ${r.strategy} seed ${r.seed}: ${r.outcome} (${r.realMs} ms)\n`);
  const report = targets.lambda
    ? await bench({
        seeds: o.seeds,
        healthySeeds: o.healthySeeds,
        jobs: o.jobs,
        scenarios: targets.lambda === 'all' ? undefined : targets.lambda,
        strategies: lambdaStrategies?.length ? lambdaStrategies : undefined,
        metricPublishDelaySeconds: o.publishDelay,
        onDone: progress,
        onEstimate: o.json ? undefined : (text) => process.stderr.write(`${text}\n`),
      })
    : undefined;
  const healthySeeds = Array.from({ length: Math.max(o.healthySeeds, o.seeds.length) }, (_, i) => i + 1);
  const config = targets.config
    ? await benchConfig({
        files: targets.config,
        seeds: o.seeds,
        healthySeeds: [...new Set([...o.seeds, ...healthySeeds])].slice(0, healthySeeds.length),
        jobs: o.jobs,
        metricPublishDelaySeconds: o.publishDelay,
        strategies: configStrategies?.length ? configStrategies : undefined,
        onDone: progress,
      })
    : undefined;
  const command = (target?: string) =>
    [
      'npm run bench --',
      `--seeds ${o.seeds.join(',')}`,
      `--healthy-seeds ${report?.healthySeeds.length ?? config?.healthySeeds.length}`,
      ...(o.targets || target ? [`--targets ${target ?? o.targets}`] : []),
      ...(o.scenarios ? [`--scenarios ${o.scenarios}`] : []),
      ...(o.strategies ? [`--strategies ${o.strategies}`] : []),
      `--publish-delay ${o.publishDelay}`,
    ].join(' ');
  if (o.write) {
    const file = path.join(ROOT, 'BENCHMARKS.md');
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const configText = config ? `\n${configSection(config, command(report ? undefined : 'config'))}` : keptSection(current, CONFIG_SECTION);
    if (report) {
      const bundles = `\n## Handler bundles\n\nReproduce: \`npm run bundle && npm run bundle:report\` (also written by \`npm run bench\`). Goal: at most 300 KiB and 150 ms of cold import each.\n\n${await bundleReport()}\n`;
      const kept = keptSection(current, JUDGE_SECTION) + keptSection(current, EVIDENCE_SECTION) + keptSection(current, MEMORY_SECTION);
      const fleet = `\n## A fleet of canaries in one stack\n\nReproduce: \`npx tsx scripts/fleet-report.ts\` (also written by \`npm run bench\`).\n\n${fleetReport()}\n`;
      writeFileSync(file, markdown(report, command()) + bundles + fleet + configText + kept);
    } else if (config) writeFileSync(file, replaceSection(current, CONFIG_SECTION, configText.trimStart(), [JUDGE_SECTION, EVIDENCE_SECTION, MEMORY_SECTION]));
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...report, ...(config ? { config } : {}) })}\n`);
    return;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (report) {
    for (const line of tableLines(report.cells)) out(line);
    out('');
    for (const line of tradeOffLines(report)) out(line);
    out('');
    out(`false rollbacks on healthy scenarios: ${Object.entries(report.falseRollbacksHealthy).map(([s, f]) => `${s} ${rateText(f)}`).join(', ')}`);
    out('');
    for (const line of goalLines(report.goals)) out(line.replace(/\*\*/g, ''));
    out(`\ngoals ${report.goalMet ? 'met' : 'NOT met'}; ${report.runs.length} runs in ${report.realSeconds.toFixed(0)} s${o.write ? '; wrote BENCHMARKS.md' : ''}`);
  }
  if (config) {
    if (report) out('');
    out('config canaries:');
    for (const line of configTableLines(config.runs)) out(line);
    out('');
    for (const line of configGoalLines(config)) out(line.replace(/\*\*/g, ''));
    out(`\n${config.runs.length} config runs in ${config.realSeconds.toFixed(0)} s${o.write ? '; wrote BENCHMARKS.md' : ''}`);
  }
}

if (require.main === module) {
  if (process.argv.includes('--worker')) {
    process.on('message', (m: { job?: Job; exit?: boolean }) => {
      if (m.exit || !m.job) {
        process.disconnect?.();
        process.exit(0);
      }
      runJob(m.job).then(
        (result) => process.send?.({ result }),
        (err: unknown) => process.send?.({ error: (err as Error).stack ?? String(err) }),
      );
    });
  } else {
    main(process.argv.slice(2)).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`bench: ${(err as Error).message}\n`);
        process.exit(2);
      },
    );
  }
}
