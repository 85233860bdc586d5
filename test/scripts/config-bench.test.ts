/**
 * The config canaries' bench (sim/bench/config-bench.ts, scripts/bench-config.ts, `npm run bench --
 * --targets config`): one seed of one scenario with the real workflow yields the run's fields; the
 * goals and the section of BENCHMARKS.md follow from runs; which targets a command line runs.
 */
import * as path from 'node:path';
import { type ConfigBenchRun, configBenchStack, isGrossFailure, runConfigBench } from '../../sim/bench/config-bench';
import { loadScenario } from '../../sim/scenarios/scenario';
import { APPCONFIG_ANCHOR, APPCONFIG_ANCHOR_ASSUMPTIONS } from '../../sim/bench/appconfig-anchor';
import { CONFIG_SECTION, configCells, configGoals, configGoalsMet, configJobs, configScenarios, configSection, configTableLines, replaceSection } from '../../scripts/bench-config';
import { benchTargets } from '../../scripts/bench';

const scenario = (name: string) => path.join(__dirname, '..', '..', 'scenarios', `${name}.json`);

describe('one seed of config-model-swap-tokens (the real workflow, 60 s publication lag)', () => {
  let r: ConfigBenchRun;
  beforeAll(async () => {
    r = await runConfigBench(loadScenario(scenario('config-model-swap-tokens')), { seed: 1, metricPublishDelaySeconds: 60 });
  }, 60_000);

  it('rolls the token regression back with the tokens guard, and times the rollback from the onset', () => {
    expect(r).toMatchObject({ scenario: 'config-model-swap-tokens', strategy: 'model-canary', seed: 1, outcome: 'rolled_back', regressionOnsetSeconds: 0, regression: ['tokensPerRequest'], promotedAtSeconds: null, propagationSeconds: 90 });
    expect(r.reason).toMatch(/TokensPerRequestVsStable/);
    expect(r.detectionSeconds).toBe(r.rollbackAtSeconds);
    // The last process reads the rollback within one poll interval of its deployment.
    expect(r.allRoutersAtZeroSeconds!).toBeGreaterThanOrEqual(r.rollbackAtSeconds!);
    expect(r.allRoutersAtZeroSeconds! - r.rollbackAtSeconds!).toBeLessThanOrEqual(r.propagationSeconds + 1);
    expect(r.detectionAllRoutersSeconds).toBe(r.allRoutersAtZeroSeconds);
  });

  it('counts the blast radius from the onset (its deploy) and the users by what they met', () => {
    expect(r.blastRadiusRequests).toBe(r.canaryRequests);
    expect(r.blastRadiusRequests).toBeGreaterThan(0);
    expect(r.blastRadiusFailed).toBeLessThan(r.blastRadiusRequests);
    expect(r.maxCanaryPercent).toBe(5);
    expect(r.users).not.toBeNull();
    expect(r.users!.switchedBackInRollback).toBeGreaterThan(0);
    expect(r.users!.switchedBackSticky).toBe(0);
  });
});

const run = (over: Partial<ConfigBenchRun>): ConfigBenchRun => ({
  scenario: 'healthy',
  strategy: 'model-canary',
  seed: 1,
  outcome: 'promoted',
  reason: null,
  regressionOnsetSeconds: null,
  regression: [],
  metricPublishDelaySeconds: 60,
  propagationSeconds: 90,
  rollbackAtSeconds: null,
  allRoutersAtZeroSeconds: null,
  detectionSeconds: null,
  detectionAllRoutersSeconds: null,
  promotedAtSeconds: 2400,
  maxCanaryPercent: 95,
  blastRadiusRequests: 0,
  blastRadiusFailed: 0,
  canaryRequests: 30000,
  users: null,
  simulatedSeconds: 3000,
  realMs: 1000,
  ...over,
});

describe('goals and the section', () => {
  const gross = { scenario: 'gross', regressionOnsetSeconds: 180, outcome: 'rolled_back' as const, rollbackAtSeconds: 300, detectionSeconds: 120, allRoutersAtZeroSeconds: 380, detectionAllRoutersSeconds: 200 };

  it('a healthy rollback is a false rollback; a user switched back fails the goal; the gross-failure time counts', () => {
    const users = { users: 10, sessions: 10, sessionsSpanningProcesses: 0, onBothVersions: 1, switchedBack: 0, switchedBackStale: 0, switchedBackStaleInPromotion: 0, switchedBackSticky: 0, switchedBackInRollback: 0, bothInSession: 0, bothInSessionOutsideRollback: 0 };
    const slow = configGoals({ runs: [run({ users }), run(gross)], grossFailures: ['gross'] });
    // 200 s from the onset to the last router at 0 %, against 60 s + the 90 s propagation.
    expect(slow.goals.map((g) => [g.met, g.counted])).toEqual([[true, true], [true, true], [true, true], [false, true]]);
    expect(slow.goals[3].text).toMatch(/median 200 s, max 200 s over 1\/1 runs/);
    expect(configGoalsMet(slow.goals)).toBe(false);
    const good = configGoals({ runs: [run({ users }), run({ ...gross, detectionAllRoutersSeconds: 120 })], grossFailures: ['gross'] });
    expect(good.goals.map((g) => g.met)).toEqual([true, true, true, true]);
    expect(configGoalsMet(good.goals)).toBe(true);
    const bad = configGoals({ runs: [run({ outcome: 'rolled_back', rollbackAtSeconds: 600 }), run({ seed: 2, users: { ...users, switchedBack: 3, switchedBackStale: 3 } })], grossFailures: [] });
    expect(bad.falseRollbacks).toMatchObject({ rollbacks: 1, runs: 2 });
    expect(bad.goals.map((g) => g.met)).toEqual([false, false]);
    expect(bad.goals[1].text).toMatch(/3 over 2 runs \(by a router process that had not read the change yet: 3 during a raise/);
  });

  it('a promoted regression is not caught', () => {
    const { goals } = configGoals({ runs: [run({ scenario: 'tokens', regressionOnsetSeconds: 0 })], grossFailures: [] });
    expect(goals.find((g) => g.text.startsWith('tokens'))).toMatchObject({ met: false, text: 'tokens: caught 0/1, promoted 1/1' });
  });

  it("the anchor's runs have rows of their own beside the library's, with its assumptions; the goals judge the library only", () => {
    const runs = [run({ scenario: 'config-chat-healthy', strategy: APPCONFIG_ANCHOR, outcome: 'promoted', users: null }), run({ scenario: 'config-chat-healthy' }), run({ scenario: 'config-chat-healthy', strategy: APPCONFIG_ANCHOR, seed: 2, rollbackAtSeconds: 600, outcome: 'rolled_back' })];
    expect(configCells(runs).map((c) => [c.scenario, c.strategy, c.runs, c.falseRollbacks])).toEqual([
      ['config-chat-healthy', 'model-canary', 1, 0],
      ['config-chat-healthy', APPCONFIG_ANCHOR, 2, 1],
    ]);
    expect(configTableLines(runs)[3]).toMatch(/^\| config-chat-healthy \| appconfig-canary10-20min \| 2 \| promoted 1, rolled_back 1 \|/);
    expect(configGoals({ runs, grossFailures: [] }).falseRollbacks).toMatchObject({ rollbacks: 0, runs: 1 });
    const report = { seeds: [1], healthySeeds: [1, 2], metricPublishDelaySeconds: 60, scenarios: [scenario('config-chat-healthy')], grossFailures: [], runs, realSeconds: 3 };
    expect(configSection(report, 'npm run bench -- --targets config')).toContain(`Assumptions: ${APPCONFIG_ANCHOR_ASSUMPTIONS}`);
    expect(configSection({ ...report, runs: runs.filter((r) => r.strategy === APPCONFIG_ANCHOR) }, 'x')).toContain('Goals (issue 19): not measured');
    expect(configSection({ ...report, runs: runs.filter((r) => r.strategy !== APPCONFIG_ANCHOR) }, 'x')).not.toContain('Assumptions:');
  });

  it('the section replaces its own in BENCHMARKS.md, or goes before the sections kept by hand', () => {
    const section = configSection({ seeds: [1], healthySeeds: [1], metricPublishDelaySeconds: 60, scenarios: [scenario('config-chat-healthy')], grossFailures: [], runs: [run({ scenario: 'config-chat-healthy' })], realSeconds: 3 }, 'npm run bench -- --targets config');
    expect(section.startsWith(`${CONFIG_SECTION}\n`)).toBe(true);
    const doc = `# B\n\n## Fleet\n\nx\n\n${CONFIG_SECTION}\n\nold\n\n## Memory\n\nm\n`;
    expect(replaceSection(doc, CONFIG_SECTION, `${CONFIG_SECTION}\n\nnew\n`)).toBe(`# B\n\n## Fleet\n\nx\n\n${CONFIG_SECTION}\n\nnew\n\n## Memory\n\nm\n`);
    expect(replaceSection('# B\n\n## Memory\n\nm\n', CONFIG_SECTION, `${CONFIG_SECTION}\n\nnew\n`, ['## Judge', '## Memory'])).toBe(`# B\n\n${CONFIG_SECTION}\n\nnew\n\n## Memory\n\nm\n`);
  });
});

describe('which targets and scenarios', () => {
  it('the config scenarios in scenarios/: the gross failure gives 2 canary requests a second at the first 5 % step', () => {
    const names = configScenarios().map((f) => path.basename(f, '.json'));
    expect(names).toEqual(['config-chat-healthy', 'config-gross-failure', 'config-model-swap-tokens', 'config-prompt-guardrail']);
    const gross = loadScenario(scenario('config-gross-failure'));
    expect(isGrossFailure(gross)).toBe(true);
    expect(gross.requestsPerSecond * 0.05).toBeGreaterThanOrEqual(2);
    expect(configScenarios().filter((f) => isGrossFailure(loadScenario(f)))).toEqual([scenario('config-gross-failure')]);
    expect(configJobs(configScenarios(), [1, 2], [1, 2, 3]).filter((j) => j.file.endsWith('config-chat-healthy.json')).map((j) => j.seed)).toEqual([1, 2, 3]);
  });

  it('both by default; Lambda alone with --strategies; those of --scenarios; --targets wins and must cover --scenarios', () => {
    expect(Object.keys(benchTargets({}))).toEqual(['lambda', 'config']);
    expect(Object.keys(benchTargets({ strategies: 'kayenta' }))).toEqual(['lambda']);
    expect(benchTargets({ scenarios: 'config-chat-healthy' })).toEqual({ config: [scenario('config-chat-healthy')] });
    expect(Object.keys(benchTargets({ scenarios: 'healthy,config-chat-healthy' }))).toEqual(['lambda', 'config']);
    expect(Object.keys(benchTargets({ targets: 'config', strategies: 'kayenta' }))).toEqual(['config']);
    // The config anchor's name selects the config target; model-canary alone stays Lambda.
    expect(Object.keys(benchTargets({ strategies: APPCONFIG_ANCHOR }))).toEqual(['config']);
    expect(Object.keys(benchTargets({ strategies: `kayenta,${APPCONFIG_ANCHOR}` }))).toEqual(['lambda', 'config']);
    expect(Object.keys(benchTargets({ strategies: 'model-canary' }))).toEqual(['lambda']);
    expect(() => benchTargets({ targets: 'config', scenarios: 'healthy' })).toThrow('--scenarios healthy: not a scenario of --targets config');
    expect(() => benchTargets({ targets: 'sagemaker' })).toThrow('unknown target "sagemaker"; valid: lambda, config');
  });

  it('configBenchStack: one synthesized template per version, the version a literal of it', () => {
    expect(configBenchStack('1')).toBe(configBenchStack('1'));
    expect(JSON.stringify(configBenchStack('2').template)).toContain('"Version":"2"');
  });
});
