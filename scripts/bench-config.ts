/**
 * The config canaries' part of `npm run bench` (scripts/bench.ts, `--targets config`): which
 * scenarios, which seeds, and from the runs (sim/bench/config-bench.ts) issue 19's goals and the
 * section of BENCHMARKS.md.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { APPCONFIG_ANCHOR, APPCONFIG_ANCHOR_ASSUMPTIONS } from '../sim/bench/appconfig-anchor';
import { type ConfigBenchRun, CONFIG_STRATEGIES, CONFIG_STRATEGY, GROSS_FAILURE_GOAL } from '../sim/bench/config-bench';
import { materialRegression } from '../sim/bench/practical-margin';
import { loadScenario } from '../sim/scenarios/scenario';
import { clopperPearson, mean, median, type Rate, rateText } from './bench-summary';

export const CONFIG_SECTION = '## Config canaries: AppConfig routing by user';

/** The `"target": "config"` scenarios, by path. */
export function configScenarios(dir = path.join(__dirname, '..', 'scenarios')): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f))
    .filter((f) => loadScenario(f).target === 'config');
}

/** The config scenario a name (file name, scenario name or path) means, if any. */
export function configScenarioNamed(name: string, all = configScenarios()): string | undefined {
  return all.find((f) => f === path.resolve(name) || path.basename(f, '.json') === name || loadScenario(f).name === name);
}

/** The runs to make: `seeds` on the regressions, `healthySeeds` on the healthy scenarios; first seeds first. */
export function configJobs(files: readonly string[], seeds: readonly number[], healthySeeds: readonly number[]): { file: string; seed: number }[] {
  const seedsOf = (f: string) => (materialRegression(loadScenario(f)).onset ? seeds : healthySeeds);
  const jobs: { file: string; seed: number }[] = [];
  for (let i = 0; i < Math.max(seeds.length, healthySeeds.length); i++) for (const f of files) if (i < seedsOf(f).length) jobs.push({ file: f, seed: seedsOf(f)[i] });
  return jobs;
}

export interface ConfigReport {
  /** The strategies run (the library and the anchors), in the tables' order. @default the library alone */
  readonly strategies?: string[];
  readonly seeds: number[];
  readonly healthySeeds: number[];
  readonly metricPublishDelaySeconds: number;
  /** Scenario files run, and which of them fail grossly (the time goal). */
  readonly scenarios: string[];
  readonly grossFailures: string[];
  readonly runs: ConfigBenchRun[];
  readonly realSeconds: number;
}

export interface ConfigCell {
  readonly scenario: string;
  readonly strategy: string;
  readonly regression: boolean;
  readonly runs: number;
  readonly outcomes: Record<string, number>;
  readonly caught: number;
  readonly promotedBad: number;
  readonly falseRollbacks: number;
  /** Onset → the rollback's deployment, and → the last router process at 0 %: sorted, over the caught runs. */
  readonly detection: number[];
  readonly detectionAllRouters: number[];
  readonly blastRequestsMean: number | null;
  readonly blastRequestsMax: number | null;
  readonly blastFailedMean: number | null;
  /** Sums over the runs (users per run are distinct; the same user in two runs counts twice). */
  readonly switchedBack: number;
  readonly switchedBackStale: number;
  readonly switchedBackStaleInPromotion: number;
  readonly switchedBackSticky: number;
  readonly switchedBackInRollback: number;
  readonly bothInSessionOutsideRollback: number;
  readonly usersMean: number;
  readonly realMsMean: number;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
/** A rollback of a canary not (yet) materially worse: before the onset, or without one. */
export const isFalseConfigRollback = (r: ConfigBenchRun) => r.rollbackAtSeconds !== null && r.outcome !== 'insufficient_evidence' && (r.regressionOnsetSeconds === null || r.rollbackAtSeconds < r.regressionOnsetSeconds);

/** One cell per scenario and strategy: scenarios in the runs' order, the library first, then the anchors. */
export function configCells(runs: readonly ConfigBenchRun[]): ConfigCell[] {
  const order = (s: string) => ((CONFIG_STRATEGIES as readonly string[]).indexOf(s) + 1 || Infinity);
  const strategies = [...new Set(runs.map((r) => r.strategy))].sort((a, b) => order(a) - order(b));
  const pairs = [...new Set(runs.map((r) => r.scenario))].flatMap((scenario) => strategies.map((strategy) => ({ scenario, strategy })));
  return pairs.filter(({ scenario, strategy }) => runs.some((r) => r.scenario === scenario && r.strategy === strategy)).map(({ scenario, strategy }) => {
    const rs = runs.filter((r) => r.scenario === scenario && r.strategy === strategy);
    const regression = rs[0].regressionOnsetSeconds !== null;
    const outcomes: Record<string, number> = {};
    for (const r of rs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const users = (k: 'switchedBack' | 'switchedBackStale' | 'switchedBackStaleInPromotion' | 'switchedBackSticky' | 'switchedBackInRollback' | 'bothInSessionOutsideRollback' | 'users') => rs.map((r) => r.users?.[k] ?? 0);
    const sorted = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
    return {
      scenario,
      strategy,
      regression,
      runs: rs.length,
      outcomes,
      caught: rs.filter((r) => r.detectionSeconds !== null).length,
      promotedBad: regression ? rs.filter((r) => r.outcome === 'promoted').length : 0,
      falseRollbacks: rs.filter(isFalseConfigRollback).length,
      detection: sorted(rs.map((r) => r.detectionSeconds)),
      detectionAllRouters: sorted(rs.map((r) => r.detectionAllRoutersSeconds)),
      blastRequestsMean: regression ? mean(rs.map((r) => r.blastRadiusRequests)) : null,
      blastRequestsMax: regression ? Math.max(...rs.map((r) => r.blastRadiusRequests)) : null,
      blastFailedMean: regression ? mean(rs.map((r) => r.blastRadiusFailed)) : null,
      switchedBack: sum(users('switchedBack')),
      switchedBackStale: sum(users('switchedBackStale')),
      switchedBackStaleInPromotion: sum(users('switchedBackStaleInPromotion')),
      switchedBackSticky: sum(users('switchedBackSticky')),
      switchedBackInRollback: sum(users('switchedBackInRollback')),
      bothInSessionOutsideRollback: sum(users('bothInSessionOutsideRollback')),
      usersMean: mean(users('users')) ?? 0,
      realMsMean: mean(rs.map((r) => r.realMs)) ?? 0,
    };
  });
}

export interface ConfigGoal {
  readonly text: string;
  readonly met: boolean;
  /** Counts towards the goals met. */
  readonly counted: boolean;
}

/** Issue 19's goals for config canaries, from the library's runs (an anchor's are compared in the table, not judged). */
export function configGoals(report: Pick<ConfigReport, 'runs' | 'grossFailures'>): { goals: ConfigGoal[]; falseRollbacks: Rate } {
  const runs = report.runs.filter((r) => r.strategy === CONFIG_STRATEGY);
  const cells = configCells(runs);
  const healthy = runs.filter((r) => r.regressionOnsetSeconds === null);
  const k = healthy.filter(isFalseConfigRollback).length;
  const falseRollbacks: Rate = { rollbacks: k, runs: healthy.length, ...clopperPearson(k, healthy.length) };
  const back = cells.filter((c) => !c.regression);
  const switched = sum(back.map((c) => c.switchedBack));
  const goals: ConfigGoal[] = [
    { text: `healthy config rollouts: 0 false rollbacks: ${rateText(falseRollbacks)}`, met: healthy.length > 0 && k === 0, counted: true },
    {
      text:
        `healthy config rollouts: 0 users switched back outside a rollback (met the canary, then stable again): ${switched} over ${healthy.length} runs ` +
        `(by a router process that had not read the change yet: ${sum(back.map((c) => c.switchedBackStale - c.switchedBackStaleInPromotion))} during a raise, ` +
        `${sum(back.map((c) => c.switchedBackStaleInPromotion))} during the promotion; ${sum(back.map((c) => c.switchedBackSticky))} by the routing rule)`,
      met: healthy.length > 0 && switched === 0,
      counted: true,
    },
    ...cells.filter((c) => c.regression).map((c) => ({ text: `${c.scenario}: caught ${c.caught}/${c.runs}, promoted ${c.promotedBad}/${c.runs}`, met: c.caught === c.runs && c.promotedBad === 0, counted: true })),
    ...cells
      .filter((c) => report.grossFailures.includes(c.scenario))
      .map((c) => {
        const propagation = runs.find((r) => r.scenario === c.scenario)?.propagationSeconds ?? 90;
        const limit = GROSS_FAILURE_GOAL.withinSeconds + propagation;
        const all = c.detectionAllRouters;
        const met = all.length === c.runs && all[all.length - 1] <= limit;
        return {
          text:
            `${c.scenario}: every router at 0 % within ${GROSS_FAILURE_GOAL.withinSeconds} s of the onset plus the propagation (${limit} s): ` +
            `onset → last router at 0 % median ${median(all) ?? '-'} s, max ${all[all.length - 1] ?? '-'} s over ${all.length}/${c.runs} runs`,
          met,
          counted: true,
        };
      }),
  ];
  return { goals, falseRollbacks };
}

export const configGoalsMet = (goals: readonly ConfigGoal[]) => goals.every((g) => g.met || !g.counted);

const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined ? '-' : x.toFixed(digits));
const row = (cols: readonly (string | number)[]) => `| ${cols.join(' | ')} |`;

export function configTableLines(runs: readonly ConfigBenchRun[]): string[] {
  const head = ['scenario', 'strategy', 'runs', 'outcomes', 'onset → rollback deployed (median / max s, caught)', 'onset → last router at 0 % (median / max s)', 'blast radius: canary requests after onset (mean / max), failed (mean)', 'users switched back outside a rollback, all runs (stale process: raise / promotion; rule)', 'users moved back by the rollback, all runs', 'users who met both in one session outside a rollback, all runs', 'users a run (mean)', 'false rollbacks', 'real s a run'];
  return [
    row(head),
    `|${head.map(() => '---').join('|')}|`,
    ...configCells(runs).map((c) =>
      row([
        c.scenario,
        c.strategy,
        c.runs,
        Object.entries(c.outcomes).map(([k, v]) => `${k} ${v}`).join(', '),
        c.regression ? `${fmt(median(c.detection))} / ${fmt(c.detection[c.detection.length - 1])} (${c.caught}/${c.runs})` : '-',
        c.regression ? `${fmt(median(c.detectionAllRouters))} / ${fmt(c.detectionAllRouters[c.detectionAllRouters.length - 1])}` : '-',
        c.regression ? `${fmt(c.blastRequestsMean)} / ${fmt(c.blastRequestsMax)}, ${fmt(c.blastFailedMean, 1)}` : '-',
        `${c.switchedBack} (${c.switchedBackStale - c.switchedBackStaleInPromotion} / ${c.switchedBackStaleInPromotion}; ${c.switchedBackSticky})`,
        c.switchedBackInRollback,
        c.bothInSessionOutsideRollback,
        fmt(c.usersMean),
        `${c.falseRollbacks}/${c.runs}`,
        fmt(c.realMsMean / 1000, 1),
      ]),
    ),
  ];
}

export function configGoalLines(report: Pick<ConfigReport, 'runs' | 'grossFailures'>): string[] {
  const mark = (g: ConfigGoal) => (g.met ? 'met' : g.counted ? '**not met**' : 'not met');
  return configGoals(report).goals.map((g) => `- ${mark(g)}: ${g.text}.`);
}

/** The section of BENCHMARKS.md, heading included. */
export function configSection(report: ConfigReport, command: string): string {
  const { goals } = configGoals(report);
  return [
    CONFIG_SECTION,
    '',
    `Reproduce: \`${command}\` (${report.runs.length} runs, ${report.realSeconds.toFixed(0)} s). Seeds: ${report.seeds.join(', ')}; on the healthy scenarios ${report.healthySeeds.length}. ` +
      `Publication lag ${report.metricPublishDelaySeconds} s.`,
    '',
    '`sim/bench/config-bench.ts`: each `"target": "config"` scenario on a stack with one `ConfigModelCanary` (the default guards plus',
    'tokens and guardrail blocks against stable and `Guard.fastErrorRate()`, the default 90 s propagation), released 1 → 2 by the workflow.',
    'The router\'s 1-second counts (the fast guard\'s) are readable 5 s after their second ends: an assumption, AWS states no figure',
    '(`highResolutionPublishDelaySeconds`, sim/README.md); the publication lag above applies to 1-minute data. Users (5,000 by default)',
    'make sessions of about 5 requests 10–30 s apart at the scenario\'s rate; each request lands on one of 4 router processes at random,',
    'each reading the routing every 90 s at its own stagger (`sim/targets/user-sessions.ts`). **Switched back**: a user who met the',
    'canary and then stable again where no rollback explains it — by a process that had not read a raise yet (stale), or by the routing',
    'rule itself (0 for `runtime/routing.ts`; with one router process there are no stale ones either, `test/sim/config-sessions.test.ts`).',
    'A raise moving a stable user to the canary is the rollout, not a switch back; a rollback moving everyone back is counted apart.',
    'Outcome `held`: the rollout was still running when the scenario ended (a late promotion still in its post-promotion watch, or a held step).',
    '',
    ...anchorLines(report),
    '| scenario | what changes | req/s |',
    '|---|---|---|',
    ...report.scenarios.map((f) => {
      const s = loadScenario(f);
      const { onset } = materialRegression(s);
      return row([s.name, onset ? `${onset.what.join(', ')} from minute ${onset.minute}${report.grossFailures.includes(s.name) ? ' (gross failure)' : ''}` : 'nothing (healthy)', s.requestsPerSecond]);
    }),
    '',
    ...(report.runs.some((r) => r.strategy === CONFIG_STRATEGY)
      ? [`Goals (issue 19, \`${CONFIG_STRATEGY}\`): ${configGoalsMet(goals) ? '**met**' : '**not met**'}`, '', ...configGoalLines(report), '']
      : [`Goals (issue 19): not measured (\`${CONFIG_STRATEGY}\` did not run).`, '']),
    ...configTableLines(report.runs),
    '',
  ].join('\n');
}

/** What the anchor is and how to read its rows, when it ran. */
function anchorLines(report: ConfigReport): string[] {
  if (!report.runs.some((r) => r.strategy === APPCONFIG_ANCHOR)) return [];
  return [
    `**\`${APPCONFIG_ANCHOR}\`** (the anchor, \`sim/bench/appconfig-anchor.ts\`): the same stack, traffic and seeds, but the release resource`,
    'starts no workflow and AWS AppConfig releases the config itself. Its rows read the same way, with two differences: its',
    '"rollback deployed" is the moment AppConfig rolled the deployment back, and its users "switched back" are users whose requests',
    'reached router processes AppConfig had given different versions (counted as stale during a promotion: a process with the',
    "deployment serves the new version to everyone). Issue 19's goals judge the library only.",
    '',
    `Assumptions: ${APPCONFIG_ANCHOR_ASSUMPTIONS}`,
    '',
  ];
}

/** `markdown` with the section headed `title` replaced by `section`; if absent, put before the first of `before` present, or at the end. */
export function replaceSection(markdown: string, title: string, section: string, before: readonly string[] = []): string {
  const body = `${section.trimEnd()}\n`;
  const start = markdown.indexOf(`\n${title}\n`);
  if (start >= 0) {
    const end = markdown.indexOf('\n## ', start + 1);
    return `${markdown.slice(0, start + 1)}${body}${end < 0 ? '' : markdown.slice(end)}`;
  }
  const at = before.map((b) => markdown.indexOf(`\n${b}\n`)).find((i) => i >= 0) ?? -1;
  if (at < 0) return `${markdown.trimEnd()}\n\n${body}`;
  return `${markdown.slice(0, at + 1)}${body}\n${markdown.slice(at + 1)}`;
}
