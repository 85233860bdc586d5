/**
 * `npm run judge:mc [-- --runs 20000] [--write]`: the judge alone, by Monte Carlo (no simulator):
 *
 * 1. The guarantee: rollouts whose canary sits at the edge of a guard's null (odds exactly
 *    maxRatio × stable's, the worst case the null allows) through the default schedule and the
 *    watch, looking after every minute: how often the change detector ever crosses 1/alpha.
 * 2. What promoting on evidence costs a healthy canary: minutes until every guard of the example
 *    app clears the promotion gate, per traffic level, for margins 3 and 5, on the default schedule
 *    and the evidence-driven one.
 *
 * The code under test is the judge's own (lambda/shared/judge). With --write the results replace
 * the section "The judge by Monte Carlo" of BENCHMARKS.md (the bench keeps it).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { detectionPath } from '../lambda/shared/judge/detector';
import { ConditionalMinute, type MinuteTable } from '../lambda/shared/judge/odds-ratio';
import { type Comparison, promotionGate } from '../lambda/shared/judge/verdict';
import type { JudgedGuardPlan } from '../lambda/shared/judge-plan';
import { Random } from '../sim/aws/core/random';
import { clopperPearson } from './bench-summary';

export const SECTION = '## The judge by Monte Carlo';

/** A minute: `rps` requests a second split at `share`, stable's event rate `p`, the canary's odds `ratio` × stable's. */
function minute(random: Random, rps: number, share: number, p: number, ratio: number): MinuteTable {
  const canary = random.binomial(Math.round(rps * 60), share);
  const stable = Math.round(rps * 60) - canary;
  const odds = (ratio * p) / (1 - p);
  return { canaryTrials: canary, canaryEvents: random.binomial(canary, odds / (1 + odds)), stableTrials: stable, stableEvents: random.binomial(stable, p) };
}

/** The default schedule's shares minute by minute (5/25/50 %, then 95 % with the 5 % control through the 100 % step and the watch). */
const DEFAULT_SHARES = (t: number) => (t < 10 ? 0.05 : t < 20 ? 0.25 : t < 30 ? 0.5 : 0.95);

interface NullRow {
  readonly rps: number;
  readonly ratio: number;
  readonly crossed: number;
  readonly runs: number;
}

/** Part 1: rollouts of `minutes` minutes under the null; a look after every minute. */
export function nullRuns(runs: number, rps: number, ratio: number, alpha: number, seed = 1, minutes = 90): NullRow {
  const random = new Random(seed);
  let crossed = 0;
  const bar = Math.log(1 / alpha);
  for (let r = 0; r < runs; r++) {
    const tables = Array.from({ length: minutes }, (_, t) => new ConditionalMinute(minute(random, rps, DEFAULT_SHARES(t), 0.01, ratio)));
    if (detectionPath(tables, 1.5, { horizonMinutes: 50 }).logEvidence.some((x) => x >= bar)) crossed++;
  }
  return { rps, ratio, crossed, runs };
}

const metric = { namespace: 'M', metricName: 'm', dimensions: {} };
/** The example app's judged guards as event rates (a scale guard's events: requests beyond its thresholds). */
const GUARDS: { guard: JudgedGuardPlan; rates: number[] }[] = [
  { guard: { name: 'ErrorRateVsStable', description: '', test: 'rate', events: metric, trials: metric, maxRatio: 1.5, alphaWeight: 3 }, rates: [0.01] },
  { guard: { name: 'LatencyVsStable', description: '', test: 'scale', values: metric, maxRatio: 1.2, referencePercentiles: [50, 95], direction: 'higher', alphaWeight: 3 }, rates: [0.5, 0.05] },
  { guard: { name: 'TokensPerRequestVsStable', description: '', test: 'scale', values: metric, maxRatio: 1.25, referencePercentiles: [50], direction: 'higher' }, rates: [0.5] },
  { guard: { name: 'GuardrailBlockRateVsStable', description: '', test: 'rate', events: metric, trials: metric, maxRatio: 1.5 }, rates: [0.002] },
  { guard: { name: 'ResponseLengthVsStable', description: '', test: 'scale', values: metric, maxRatio: 1.5, referencePercentiles: [50], direction: 'both' }, rates: [0.5, 0.5] },
  { guard: { name: 'PredictionShift', description: '', test: 'classes', classes: [], maxRatio: 1.5 }, rates: [0.4] },
  { guard: { name: 'BedrockGuardrailBlockRateVsStable', description: '', test: 'rate', events: metric, trials: metric, maxRatio: 1.5 }, rates: [0.002] },
];

interface Step {
  readonly share: number;
  readonly minBake: number;
  readonly bake: number;
}
const DEFAULT_STEPS: Step[] = [0.05, 0.25, 0.5, 0.95].map((share) => ({ share, minBake: 10, bake: 10 }));
const EVIDENCE_STEPS: Step[] = [0.1, 0.5, 0.95].map((share) => ({ share, minBake: 1, bake: 5 }));

/**
 * Part 2: minutes from the deploy until a healthy canary reaches its last step, passing a step at
 * its bake (or from its minimum bake with the evidence in), a step to 100 % only with the
 * evidence; `everyStep`: every step waits for the evidence. A minute's data count from the look
 * two minutes after it began (the metric period and the publication lag); the minute of each step
 * change is left out. At most `limit` minutes.
 */
export function minutesTo100(rps: number, margin: number, steps: readonly Step[], everyStep: boolean, seed: number, limit = 360): number {
  const random = new Random(seed);
  const tables: MinuteTable[][] = GUARDS.flatMap((g) => g.rates.map(() => [] as MinuteTable[]));
  const empty = { canaryTrials: 0, canaryEvents: 0, stableTrials: 0, stableEvents: 0 };
  let step = 0;
  let inStep = 0;
  for (let t = 0; t < limit; t++) {
    let c = 0;
    for (const g of GUARDS) for (const p of g.rates) tables[c++].push(inStep === 0 ? empty : minute(random, rps, steps[step].share, p, 1));
    inStep++;
    const s = steps[step];
    const gated = everyStep || steps[step + 1].share >= 0.95;
    if (inStep < s.minBake || (inStep < s.bake && s.minBake === s.bake)) continue;
    const early = inStep < s.bake;
    if (!gated && !early) {
      step++;
      inStep = 0;
    } else {
      let k = 0;
      const usable = Math.max(0, t - 1);
      const cleared = GUARDS.every((g) => {
        const comparisons: Comparison[] = g.rates.flatMap(() => {
          const minutes = tables[k++].slice(0, usable);
          // A scale guard's margin is in its thresholds (ψ0 = 1); a class moves either way.
          const psi0 = g.guard.test === 'scale' ? 1 : g.guard.maxRatio;
          const above = { label: g.guard.name, psi0, side: 'above' as const, minutes };
          return g.guard.test === 'classes' ? [above, { ...above, psi0: 1 / psi0, side: 'below' as const }] : [above];
        });
        return promotionGate(comparisons, margin).cleared;
      });
      if (cleared) {
        step++;
        inStep = 0;
      }
    }
    if (step === steps.length - 1) return t + 1;
  }
  return limit;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function report(runs: number): string {
  const lines: string[] = [SECTION, '', `Reproduce: \`npm run judge:mc -- --runs ${runs} --write\` (the judge's own code, no simulator).`, ''];
  lines.push('### The false-rollback guarantee, looking after every minute', '');
  lines.push(
    `${runs} rollouts per row of 90 minutes (the default schedule's 5/25/50 % steps, then 95 % with the 5 % control through the 100 % step, the watch, and 40 minutes past the detector's 50-minute horizon), one error-rate guard given the whole alpha = 0.01, stable at 1 % errors. The detector is recomputed after every minute; a row counts the rollouts in which it ever reached 1/alpha. At the edge of the null (canary odds exactly 1.5 × stable's) each e-process is a martingale: Ville's inequality bounds the rate by alpha; a canary as good as stable is further inside the null.`,
    '',
  );
  lines.push('| requests a second | canary odds : stable | rollouts that ever crossed 1/alpha | 95 % interval | bound |', '|---|---|---|---|---|');
  for (const rps of [2, 20, 100]) {
    for (const ratio of [1.5, 1]) {
      const r = nullRuns(runs, rps, ratio, 0.01, rps * 10 + ratio * 100);
      const ci = clopperPearson(r.crossed, r.runs);
      lines.push(`| ${rps} | ${ratio} | ${r.crossed}/${r.runs} = ${((100 * r.crossed) / r.runs).toFixed(2)} % | ${(100 * ci.low).toFixed(2)}–${(100 * ci.high).toFixed(2)} % | ≤ 1 % |`);
    }
  }
  lines.push('', '### What promoting on evidence costs a healthy canary', '');
  lines.push(
    "Minutes from the deploy until a healthy canary reaches its last step (median / 90th percentile over 40 seeds), with the example app's seven judged guards (errors 1 %, latency at p50 and p95, tokens, response length both ways, predicted classes, two guardrail guards at 0.2 %). \"before 100 %\": only the step to 100 % waits for the evidence (this library); \"every step\": each step waits for it. Nominal: 30 minutes (default) and 2 (evidence-driven, its minimum bakes). 360 = never within 6 hours.",
    '',
  );
  lines.push('| requests a second | default, margin 5, before 100 % | default, margin 3, before 100 % | default, margin 5, every step | evidence-driven, margin 5 | evidence-driven, margin 3 |', '|---|---|---|---|---|---|');
  for (const rps of [0.5, 2, 6, 20, 50]) {
    const cell = (margin: number, steps: readonly Step[], every: boolean) => {
      const xs = Array.from({ length: 40 }, (_, s) => minutesTo100(rps, margin, steps, every, 1000 + s));
      const sorted = [...xs].sort((a, b) => a - b);
      return `${median(xs)} / ${sorted[Math.floor(0.9 * sorted.length)]}`;
    };
    lines.push(`| ${rps} | ${cell(5, DEFAULT_STEPS, false)} | ${cell(3, DEFAULT_STEPS, false)} | ${cell(5, DEFAULT_STEPS, true)} | ${cell(5, EVIDENCE_STEPS, false)} | ${cell(3, EVIDENCE_STEPS, false)} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('judge-mc').option('--runs <n>', 'rollouts per row of the guarantee table', (v) => Number(v), 20000).option('--write', 'replace the section in BENCHMARKS.md', false).parse(argv, { from: 'user' }).opts<{ runs: number; write: boolean }>();
  const text = report(o.runs);
  process.stdout.write(text);
  if (!o.write) return;
  const file = path.join(__dirname, '..', 'BENCHMARKS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = current.indexOf(`\n${SECTION}\n`);
  const end = start < 0 ? -1 : current.indexOf('\n## ', start + 1);
  const next = start < 0 ? `${current.trimEnd()}\n\n${text}` : `${current.slice(0, start + 1)}${text}${end < 0 ? '' : current.slice(end)}`;
  writeFileSync(file, next);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`judge-mc: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
