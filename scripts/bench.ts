/**
 * `npm run bench [-- --seeds 1-5] [--jobs 2] [--json] [--no-write]`: this library against the
 * anchors (sim/strategies.ts) on every Lambda scenario in scenarios/, on the same simulated traffic
 * and alarms, over several seeds. Prints a table, writes BENCHMARKS.md (unless --no-write); with
 * --json the last line of output is one JSON object.
 */
import './quiet-sdk';
import { fork } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { bundleReport } from './bundle-report';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadScenario, type ScenarioFile } from '../sim/scenario';
import { ALL_STRATEGIES, ANCHOR_ASSUMPTIONS, ANCHOR_STRATEGIES, type AnyStrategy, runStrategy, type StrategyRun } from '../sim/strategies';

const ROOT = path.join(__dirname, '..');

export interface Job {
  readonly file: string;
  readonly strategy: AnyStrategy;
  readonly seed: number;
}

export interface Cell {
  readonly scenario: string;
  readonly strategy: AnyStrategy;
  readonly regression: boolean;
  readonly runs: number;
  readonly outcomes: Record<string, number>;
  /** Mean failed canary requests from the onset to weight 0 (regression scenarios). */
  readonly blastRadiusFailed: number | null;
  readonly blastRadiusFailedMax: number | null;
  /** Mean canary requests in the same window. */
  readonly blastRadiusRequests: number | null;
  /** Seeds where the regressed canary reached weight 0 after the onset. */
  readonly caught: number;
  /** Median seconds from the onset to weight 0 over the caught seeds. */
  readonly detectionSecondsMedian: number | null;
  /** Median seconds to 100 % over the seeds that reached it (healthy scenarios). */
  readonly secondsTo100Median: number | null;
  /** Rollbacks of a canary that was not (yet) worse: every rollback in a healthy scenario, and rollbacks before the onset. */
  readonly falseRollbacks: number;
}

export interface Verdict {
  readonly scenario: string;
  readonly ours: number;
  readonly bestAnchor: AnyStrategy;
  readonly bestAnchorBlast: number;
  readonly oursFalseRollbacks: number;
  readonly bestAnchorFalseRollbacks: number;
  readonly met: boolean;
  readonly why: string;
  /** The anchor with the fewest false rollbacks on the healthy scenarios, and whether ours has no more. */
  readonly fewestFalse: { readonly anchor: AnyStrategy; readonly rollbacks: number; readonly met: boolean };
  /** The other reading: the best anchor among those with no more false rollbacks (healthy scenarios) than ours. */
  readonly comparable: { readonly anchor: AnyStrategy; readonly blast: number; readonly met: boolean } | null;
}

export interface BenchReport {
  readonly date: string;
  readonly machine: string;
  readonly seeds: number[];
  readonly scenarios: string[];
  readonly strategies: AnyStrategy[];
  readonly cells: Cell[];
  readonly falseRollbacksHealthy: Record<string, { readonly rollbacks: number; readonly runs: number }>;
  readonly verdicts: Verdict[];
  readonly goalMet: boolean;
  readonly runs: StrategyRun[];
  readonly realSeconds: number;
}

/** The Lambda scenarios (the anchors drive a Lambda alias), by name. */
export function lambdaScenarios(dir = path.join(ROOT, 'scenarios')): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => loadScenario(f).target === 'lambda');
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function isFalseRollback(r: StrategyRun): boolean {
  if (r.weightZeroAtSeconds === null) return false;
  return r.regressionOnsetSeconds === null || r.weightZeroAtSeconds < r.regressionOnsetSeconds;
}

export function summarize(runs: readonly StrategyRun[], strategies: readonly AnyStrategy[]): { cells: Cell[]; verdicts: Verdict[]; falseRollbacksHealthy: BenchReport['falseRollbacksHealthy'] } {
  const scenarios = [...new Set(runs.map((r) => r.scenario))];
  const cells: Cell[] = [];
  for (const scenario of scenarios) {
    for (const strategy of strategies) {
      const rs = runs.filter((r) => r.scenario === scenario && r.strategy === strategy);
      if (rs.length === 0) continue;
      const regression = rs[0].regressionOnsetSeconds !== null;
      const outcomes: Record<string, number> = {};
      for (const r of rs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      const caught = rs.filter((r) => r.detectionSeconds !== null);
      cells.push({
        scenario,
        strategy,
        regression,
        runs: rs.length,
        outcomes,
        blastRadiusFailed: regression ? mean(rs.map((r) => r.blastRadiusFailed)) : null,
        blastRadiusFailedMax: regression ? Math.max(...rs.map((r) => r.blastRadiusFailed)) : null,
        blastRadiusRequests: regression ? mean(rs.map((r) => r.blastRadiusRequests)) : null,
        caught: caught.length,
        detectionSecondsMedian: median(caught.map((r) => r.detectionSeconds as number)),
        secondsTo100Median: regression ? null : median(rs.filter((r) => r.promotedAtSeconds !== null).map((r) => r.promotedAtSeconds as number)),
        falseRollbacks: rs.filter(isFalseRollback).length,
      });
    }
  }
  const falseRollbacksHealthy: Record<string, { rollbacks: number; runs: number }> = {};
  for (const strategy of strategies) {
    const healthy = runs.filter((r) => r.strategy === strategy && r.regressionOnsetSeconds === null);
    falseRollbacksHealthy[strategy] = { rollbacks: healthy.filter(isFalseRollback).length, runs: healthy.length };
  }
  const verdicts: Verdict[] = [];
  if (strategies.includes('model-canary')) {
    for (const scenario of scenarios) {
      const ours = cells.find((c) => c.scenario === scenario && c.strategy === 'model-canary');
      if (!ours?.regression || ours.blastRadiusFailed === null) continue;
      const anchors = cells.filter((c) => c.scenario === scenario && c.strategy !== 'model-canary' && c.blastRadiusFailed !== null);
      if (anchors.length === 0) continue;
      const best = anchors.reduce((a, b) => ((b.blastRadiusFailed as number) < (a.blastRadiusFailed as number) ? b : a));
      const bestBlast = best.blastRadiusFailed as number;
      const oursFalse = falseRollbacksHealthy['model-canary'].rollbacks;
      const bestFalse = falseRollbacksHealthy[best.strategy].rollbacks;
      const blastOk = ours.blastRadiusFailed <= bestBlast / 3;
      const falseOk = oursFalse <= bestFalse;
      const why = [
        `blast radius ${ours.blastRadiusFailed.toFixed(1)} vs best anchor ${best.strategy} ${bestBlast.toFixed(1)} (a third: ${(bestBlast / 3).toFixed(1)}) → ${blastOk ? 'ok' : 'NOT met'}`,
        `false rollbacks on healthy seeds ${oursFalse} vs ${bestFalse} → ${falseOk ? 'ok' : 'NOT met'}`,
      ].join('; ');
      const fair = anchors.filter((c) => falseRollbacksHealthy[c.strategy].rollbacks <= oursFalse);
      const fairBest = fair.length ? fair.reduce((a, b) => ((b.blastRadiusFailed as number) < (a.blastRadiusFailed as number) ? b : a)) : undefined;
      const fewest = anchors.reduce((a, b) => (falseRollbacksHealthy[b.strategy].rollbacks < falseRollbacksHealthy[a.strategy].rollbacks ? b : a));
      const fewestCount = falseRollbacksHealthy[fewest.strategy].rollbacks;
      verdicts.push({
        fewestFalse: { anchor: fewest.strategy, rollbacks: fewestCount, met: oursFalse <= fewestCount },
        comparable: fairBest
          ? { anchor: fairBest.strategy, blast: fairBest.blastRadiusFailed as number, met: ours.blastRadiusFailed <= (fairBest.blastRadiusFailed as number) / 3 }
          : null,
        scenario,
        ours: ours.blastRadiusFailed,
        bestAnchor: best.strategy,
        bestAnchorBlast: bestBlast,
        oursFalseRollbacks: oursFalse,
        bestAnchorFalseRollbacks: bestFalse,
        met: blastOk && falseOk,
        why,
      });
    }
  }
  return { cells, verdicts, falseRollbacksHealthy };
}

async function runJob(job: Job): Promise<StrategyRun> {
  return runStrategy(loadScenario(job.file), { seed: job.seed, strategy: job.strategy });
}

/** Runs the jobs in `jobs` worker processes (1: in this process), in job order. */
export async function runJobs(jobs: readonly Job[], workers: number, onDone?: (r: StrategyRun, done: number) => void): Promise<StrategyRun[]> {
  const results: StrategyRun[] = new Array(jobs.length);
  let done = 0;
  if (workers <= 1) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await runJob(jobs[i]);
      onDone?.(results[i], ++done);
    }
    return results;
  }
  let next = 0;
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
      child.on('message', (m: { result?: StrategyRun; error?: string }) => {
        if (m.error) {
          child.kill();
          reject(new Error(`${jobs[current].file} ${jobs[current].strategy} seed ${jobs[current].seed}: ${m.error}`));
          return;
        }
        results[current] = m.result as StrategyRun;
        onDone?.(results[current], ++done);
        give();
      });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench worker exited with ${code}`))));
      give();
    });
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, worker));
  return results;
}

const fmt = (x: number | null, digits = 0) => (x === null ? '-' : x.toFixed(digits));

export function tableLines(cells: readonly Cell[]): string[] {
  const head = ['scenario', 'strategy', 'outcomes', 'blast radius: failed (mean / max)', 'canary requests after onset (mean)', 'onset → 0 % (median s, caught/runs)', 'to 100 % (median s)', 'false rollbacks'];
  const rows = cells.map((c) => [
    c.scenario,
    c.strategy,
    Object.entries(c.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    c.regression ? `${fmt(c.blastRadiusFailed, 1)} / ${fmt(c.blastRadiusFailedMax)}` : '-',
    c.regression ? fmt(c.blastRadiusRequests) : '-',
    c.regression ? `${fmt(c.detectionSecondsMedian)} (${c.caught}/${c.runs})` : '-',
    c.regression ? '-' : fmt(c.secondsTo100Median),
    `${c.falseRollbacks}/${c.runs}`,
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
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

function whyRows(runs: readonly StrategyRun[]): string[] {
  const rows: string[] = [];
  const scenarios = [...new Set(runs.filter((r) => r.regressionOnsetSeconds !== null).map((r) => r.scenario))];
  for (const scenario of scenarios) {
    for (const strategy of ALL_STRATEGIES) {
      const rs = runs.filter((r) => r.scenario === scenario && r.strategy === strategy);
      if (rs.length === 0) continue;
      const onset = rs[0].regressionOnsetSeconds as number;
      const n = (f: (r: StrategyRun) => boolean) => `${rs.filter(f).length}/${rs.length}`;
      rows.push(
        `| ${scenario} | ${onset} | ${strategy} | ${n((r) => r.promotedAtSeconds !== null && r.promotedAtSeconds <= onset)} | ${n(isFalseRollback)} | ${n((r) => r.detectionSeconds !== null)} | ${n((r) => r.weightZeroAtSeconds === null)} |`,
      );
    }
  }
  return rows;
}

/** The reading of the results that does not depend on the numbers (the numbers are in the tables above). */
const DISCUSSION = [
  '## Reading the results',
  '',
  '- Three scenarios (error-spike at minute 12, latency-regression at 15, guardrail-spike at 22) turn the canary bad after the',
  '  fast anchors are done: CodeDeploy\'s presets and the seed controller reach 100 % within 4–10 minutes and stop watching, so the',
  '  bad version then serves everything until the scenario ends (the table above counts those seeds). Their blast radius there',
  '  measures how long the rollout lasts, not how well it detects; this library\'s 40-minute schedule is still at 5–25 % when the',
  '  regression starts, and that, more than detection speed, is why it wins there. The same regressions from minute 0 would test',
  '  detection head to head; they are not in scenarios/ and were not added for this benchmark.',
  '- Where the regression starts at minute 0 (prediction-shift, token-blowup), the CodeDeploy presets watch the same guard alarms',
  '  as this library and still promote: those alarms need more canary traffic and more minutes than 10 % for 5 minutes (or the',
  '  linear ramp) gives them, and CodeDeploy has no step that waits for evidence. The error-rate and latency controllers (seed,',
  '  Flagger) do not look at tokens or predicted classes at all; a Flagger rollback there is its noise, not the regression.',
  '- Flagger with its documented example thresholds (success rate ≥ 99 %, p99 ≤ 500 ms) fails checks on the example app\'s',
  '  *healthy* canary: stable fails 1 % of requests and has a p99 near 440 ms, so many one-minute checks fail on noise and five',
  '  failures roll it back, often before any regression (its false rollbacks) and always with no traffic. Its lower mean blast',
  '  radius comes from those early rollbacks. A Flagger user would calibrate the thresholds to the app; the benchmark uses the',
  '  documented numbers, as the issue asks.',
  '- "The best anchor" is ambiguous: the verdict table gives the reading where it is the anchor with the smallest blast radius',
  '  (Flagger here, which rolls back most healthy canaries), the false rollbacks against the anchor with the fewest, and the blast',
  '  radius against the best anchor that rolls back healthy canaries no more often than this library.',
  '- The LatencyP95VsStable guard compares only minutes where the canary served at least 100 requests: before that rule, a',
  '  per-minute p95 of about 25 canary requests (noisy-healthy at 5 %) tripped it on noise. With 15 healthy runs per strategy,',
  '  small differences in false rollbacks are not measured differences in rates; more seeds would be needed to tell.',
  '- What would have to change in this library\'s design for a clear margin on detection itself: its blast radius is the requests',
  '  served between the onset and the first alarm evaluation that fires (about five minutes: the alarms\' evaluation periods and the',
  '  1-minute metric delay). Cutting that needs a faster decision on fewer requests: a sequential test in the check step (an',
  '  anytime-valid comparison of canary and stable counts each minute, e.g. a mixture SPRT on error counts), so a large difference',
  '  ends the step after one or two minutes instead of waiting out fixed evaluation periods, with the false-rollback rate bounded',
  '  however often it looks.',
];

export function markdown(report: BenchReport, command: string): string {
  const anchorLines = ANCHOR_STRATEGIES.map((a) => `- **${a}**: ${ANCHOR_ASSUMPTIONS[a]}`);
  const verdictLines = report.verdicts.map(
    (v) =>
      `| ${v.scenario} | ${v.met ? 'met' : '**not met**'} | ${v.why} | ${v.fewestFalse.met ? 'met' : '**not met**'}: ${v.oursFalseRollbacks} vs ${v.fewestFalse.anchor} ${v.fewestFalse.rollbacks} | ${v.comparable ? `${v.comparable.met ? 'met' : '**not met**'}: ${v.ours.toFixed(1)} vs ${v.comparable.anchor} ${v.comparable.blast.toFixed(1)}` : '-'} |`,
  );
  return [
    '# Benchmarks: this library against the anchors',
    '',
    `Reproduce: \`${command}\``,
    '',
    `Date: ${report.date}. Machine: ${report.machine}. Seeds: ${report.seeds.join(', ')}. Wall time: ${report.realSeconds.toFixed(0)} s.`,
    '',
    'Everything here runs on the simulator (`sim/`, virtual clock): the same example app (SentimentCanary, a Lambda alias),',
    'the same scenario files and seeds for every strategy, the guard alarms as synthesized and evaluated by the simulated CloudWatch.',
    'A simulation is not evidence of how AWS, CodeDeploy or Flagger behave; the anchors are models of their documented behaviour',
    'under the assumptions below. The same seed gives the same traffic model, but not request-for-request the same draws once the',
    'strategies route differently.',
    '',
    `Scenarios: every Lambda scenario in \`scenarios/\` (${report.scenarios.join(', ')}). \`sagemaker-error-spike\` is left out: the anchors drive a Lambda alias.`,
    '',
    '## Metrics',
    '',
    '- **blast radius**: failed requests the canary served from the regression onset (the first minute the scenario makes it worse',
    '  than stable) until its weight reached 0, or until the scenario ended if it never did (a promoted bad canary keeps serving',
    '  everything); regression scenarios only. A rollback before the onset gives 0 (nothing bad was served) and counts as a false rollback.',
    '  For regressions that do not fail requests (latency, tokens, guardrail, predicted classes) the failures are the 1 % baseline, so',
    '  the "canary requests after onset" column is the better measure of exposure.',
    '- **onset → 0 %**: seconds from the onset to weight 0, median over the seeds that rolled back after the onset (caught/runs).',
    '- **to 100 %**: seconds from the deploy until the canary first gets all traffic (healthy scenarios; model-canary then bakes',
    '  once more before it declares the promotion).',
    '- **false rollbacks**: rollbacks of a canary that was not (yet) worse than stable.',
    '',
    '## Results',
    '',
    ...tableLines(report.cells),
    '',
    `False rollbacks on the healthy scenarios (all seeds): ${Object.entries(report.falseRollbacksHealthy)
      .map(([s, f]) => `${s} ${f.rollbacks}/${f.runs}`)
      .join(', ')}.`,
    '',
    '## Anchor assumptions',
    '',
    '- **model-canary**: this library with its defaults, the synthesized workflow and real handlers, as `npm run simulate` runs it.',
    ...anchorLines,
    '',
    '## Verdict on the goal',
    '',
    'Goal (issue 4): "a blast radius at most a third of the best anchor\'s on every regression scenario, with no more false rollbacks',
    'than the best anchor". Best anchor = the anchor with the smallest mean blast radius on that scenario; false rollbacks are',
    'counted over the healthy scenarios.',
    '',
    '| scenario | goal (best anchor = smallest blast radius) | numbers | false rollbacks vs the anchor with the fewest | blast radius vs the best anchor with no more false rollbacks than ours |',
    '|---|---|---|---|---|',
    ...verdictLines,
    '',
    `Overall, best anchor = the one with the smallest blast radius: **${report.goalMet ? 'met' : 'not met'}**. ` +
      `Read as "no more false rollbacks than the anchor with the fewest": **${report.verdicts.every((v) => v.fewestFalse.met) ? 'met' : 'not met'}** ` +
      `(${report.verdicts[0] ? `${report.verdicts[0].oursFalseRollbacks} vs ${report.verdicts[0].fewestFalse.anchor} ${report.verdicts[0].fewestFalse.rollbacks} on ${report.falseRollbacksHealthy['model-canary']?.runs ?? 0} healthy runs` : '-'}).`,
    '',
    '## Why, run by run',
    '',
    'Where each anchor was when the regression began (seeds out of the runs):',
    '',
    '| scenario | onset (s) | strategy | at 100 % before the onset | rolled back before the onset | rolled back after the onset | never rolled back |',
    '|---|---|---|---|---|---|---|',
    ...whyRows(report.runs),
    '',
    ...DISCUSSION,
    '',
  ].join('\n');
}

export async function bench(options: { seeds: number[]; jobs: number; scenarios?: string[]; strategies?: AnyStrategy[]; onDone?: (r: StrategyRun, done: number, total: number) => void }): Promise<BenchReport> {
  const start = performance.now();
  const files = options.scenarios ?? lambdaScenarios();
  const strategies = options.strategies ?? [...ALL_STRATEGIES];
  const jobs: Job[] = [];
  for (const file of files) for (const strategy of strategies) for (const seed of options.seeds) jobs.push({ file, strategy, seed });
  const runs = await runJobs(jobs, options.jobs, (r, done) => options.onDone?.(r, done, jobs.length));
  const { cells, verdicts, falseRollbacksHealthy } = summarize(runs, strategies);
  return {
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
    seeds: options.seeds,
    scenarios: files.map((f: string) => (loadScenario(f) as ScenarioFile).name),
    strategies,
    cells,
    falseRollbacksHealthy,
    verdicts,
    goalMet: verdicts.length > 0 && verdicts.every((v) => v.met),
    runs,
    realSeconds: (performance.now() - start) / 1000,
  };
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('bench')
    .description('This library against the anchors on the simulated AWS (scenarios/ × strategies × seeds).')
    .option('--seeds <list>', 'seeds: 1-5 or 1,2,7', parseSeeds, [1, 2, 3, 4, 5])
    .option('--jobs <n>', 'worker processes', (v) => Number(v), Math.max(1, Math.min(2, os.cpus().length)))
    .option('--json', 'the last line of output is the report as one JSON object', false)
    .option('--no-write', 'do not write BENCHMARKS.md');
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ seeds: number[]; jobs: number; json: boolean; write: boolean }>();
  const report = await bench({
    seeds: o.seeds,
    jobs: o.jobs,
    onDone: o.json ? undefined : (r, done, total) => process.stderr.write(`[${done}/${total}] ${r.scenario} ${r.strategy} seed ${r.seed}: ${r.outcome} (${r.realMs} ms)\n`),
  });
  const seedsArg = o.seeds.join(',');
  const command = `npm run bench -- --seeds ${seedsArg}`;
  if (o.write) {
    const bundles = `\n## Handler bundles\n\nReproduce: \`npm run bundle && npm run bundle:report\` (also written by \`npm run bench\`). Goal: at most 300 KiB and 150 ms of cold import each.\n\n${bundleReport()}\n`;
    writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), markdown(report, command) + bundles);
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  for (const line of tableLines(report.cells)) process.stdout.write(`${line}\n`);
  process.stdout.write(`\nfalse rollbacks on healthy scenarios: ${Object.entries(report.falseRollbacksHealthy).map(([s, f]) => `${s} ${f.rollbacks}/${f.runs}`).join(', ')}\n\n`);
  for (const v of report.verdicts) {
    const other =
      ` [false rollbacks vs the fewest (${v.fewestFalse.anchor} ${v.fewestFalse.rollbacks}): ${v.fewestFalse.met ? 'met' : 'NOT met'}]` +
      (v.comparable ? ` [blast vs ${v.comparable.anchor} ${v.comparable.blast.toFixed(1)}: ${v.comparable.met ? 'met' : 'NOT met'}]` : '');
    process.stdout.write(`${v.scenario}: ${v.met ? 'met' : 'NOT met'} — ${v.why}${other}\n`);
  }
  process.stdout.write(`\ngoal ${report.goalMet ? 'met' : 'NOT met'}; ${report.runs.length} runs in ${report.realSeconds.toFixed(0)} s${o.write ? '; wrote BENCHMARKS.md' : ''}\n`);
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
