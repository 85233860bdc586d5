/**
 * The simulate CLI in-process (scripts/simulate.ts run()): scenario files → the synthesized
 * workflow on the simulated AWS → the JSON summary; and the chart the demo leaves behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Summary } from '../../sim/scenarios/scenario-run';
import { PANEL_TITLES } from '../../sim/scenarios/chart';
import { parseArgs, run } from '../../scripts/simulate';

// Whole 90-minute scenarios run in the hooks: a loaded CI machine needs more than jest's 60 s.
jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..', '..');
const scenario = (name: string) => path.join(ROOT, 'scenarios', `${name}.json`);

const quiet = (lines: string[] = []) => ({ out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) });

async function simulate(args: string[]): Promise<{ summary: Summary; lines: string[] }> {
  const lines: string[] = [];
  const summary = await run(args, quiet(lines));
  return { summary, lines };
}

describe('npm run simulate -- --json', () => {
  let healthy: { summary: Summary; lines: string[] };
  let spike: { summary: Summary; lines: string[] };

  beforeAll(async () => {
    healthy = await simulate(['--scenario', scenario('healthy'), '--json']);
    // With three throttled UpdateAlias calls, which the SDK's retries and the workflow's Retry absorb.
    spike = await simulate(['--scenario', scenario('error-spike'), '--json', '--seed', '7', '--faults', 'UpdateAlias:throttle,throttle,throttle']);
  });

  it('prints the summary as the last line, one JSON object with the documented fields', () => {
    for (const { summary, lines } of [healthy, spike]) {
      const last = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
      expect(last).toEqual(JSON.parse(JSON.stringify(summary)));
      for (const field of ['outcome', 'promotedAtSeconds', 'rollbackAtSeconds', 'revertedAfterPromotion', 'regressionOnsetSeconds', 'canaryRequests', 'canaryFailedRequests', 'maxCanaryWeight', 'alerts']) {
        expect(last).toHaveProperty(field);
      }
      for (const alert of last.alerts as Record<string, unknown>[]) {
        expect(typeof alert.atSeconds).toBe('number');
        expect(alert.subject).toEqual(expect.any(String));
      }
    }
  });

  it('promotes the healthy canary through every step, with no regression and no rollback', () => {
    const s = healthy.summary;
    expect(s.outcome).toBe('promoted');
    expect(s.regressionOnsetSeconds).toBeNull();
    expect(s.rollbackAtSeconds).toBeNull();
    expect(s.maxCanaryWeight).toBe(100);
    // Four 10-minute steps: promoted after about 40 minutes.
    expect(s.promotedAtSeconds).toBeGreaterThanOrEqual(40 * 60);
    expect(s.promotedAtSeconds).toBeLessThan(45 * 60);
    expect(s.alerts.map((a) => a.event)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    expect(s.canaryFailedRequests).toBeGreaterThan(0);
    expect(s.canaryFailedRequests / s.canaryRequests).toBeLessThan(0.02);
  });

  it('rolls the error spike back after its onset (minute 12), at the 25 % step, with the failed canary requests counted', () => {
    const s = spike.summary;
    expect(s.outcome).toBe('rolled_back');
    expect(s.regressionOnsetSeconds).toBe(720);
    expect(s.regression).toEqual(['errorRate']);
    expect(s.rollbackAtSeconds).toBeGreaterThan(s.regressionOnsetSeconds!);
    expect(s.rollbackAtSeconds! - s.regressionOnsetSeconds!).toBeLessThan(10 * 60);
    expect(s.promotedAtSeconds).toBeNull();
    expect(s.maxCanaryWeight).toBe(25);
    // The check step's judge decides before the 5-minute alarm can.
    expect(s.decidedBy).toBe('ErrorRateVsStable');
    expect(s.alarmsFired.every((a) => a.alarm.startsWith('ErrorRate'))).toBe(true);
    expect(s.alerts.map((a) => a.event)).toEqual(['STARTED', 'STEP', 'STEP', 'ROLLED_BACK']);
    // More than 1 % of the canary's requests failed (8 % after the onset).
    expect(s.canaryFailedRequests / s.canaryRequests).toBeGreaterThan(0.02);
    expect(s.faultsInjected).toBe(3);
  });
});

describe('a scenario without traffic', () => {
  it('is held at its first step when the scenario ends: never promoted, never rolled back', async () => {
    const { summary } = await simulate(['--scenario', scenario('no-traffic'), '--json']);
    expect(summary.outcome).toBe('held');
    expect(summary.status).toBe('RUNNING');
    expect(summary.maxCanaryWeight).toBe(5);
    expect(summary.canaryRequests).toBe(0);
    expect(summary.promotedAtSeconds).toBeNull();
    expect(summary.rollbackAtSeconds).toBeNull();
    expect(summary.alerts.map((a) => a.event)).toEqual(['STARTED', 'STEP', 'HOLDING']);
  });
});

describe('simulate arguments', () => {
  it('rejects an unknown strategy, naming the valid ones', () => {
    expect(() => parseArgs(['--scenario', 'x.json', '--strategy', 'blue-green'], quiet())).toThrow(/unknown strategy "blue-green"; valid: model-canary/);
  });

  it('parses --faults into operations and kinds, and rejects unknown kinds', () => {
    expect(parseArgs(['--scenario', 'x.json', '--faults', 'UpdateAlias:throttle,throttle;GetMetricData:5xx*']).faults).toEqual([
      { operation: 'UpdateAlias', kinds: ['throttle', 'throttle'], always: false },
      { operation: 'GetMetricData', kinds: ['5xx'], always: true },
    ]);
    expect(() => parseArgs(['--scenario', 'x.json', '--faults', 'UpdateAlias:explode'], quiet())).toThrow(/unknown fault kind "explode"/);
  });

  it('runs the SageMaker scenario on the example endpoint: rolled back after the onset', async () => {
    const { summary } = await simulate(['--scenario', scenario('sagemaker-error-spike'), '--json']);
    expect(summary.target).toBe('sagemaker');
    expect(summary.outcome).toBe('rolled_back');
    expect(summary.rollbackAtSeconds).toBeGreaterThan(summary.regressionOnsetSeconds!);
    expect(summary.canaryRequests).toBeGreaterThan(0);
  });
});

describe('the chart', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'simulate-chart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // vega is ESM with top-level await, which jest's module system cannot load: run the CLI itself.
  it('is written as SVG with every panel title and the rollback marked', () => {
    const out = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/simulate.ts', '--scenario', scenario('error-spike'), '--json', '--out', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    const summary = JSON.parse(out.trim().split('\n').pop()!) as Summary;
    expect(summary.outcome).toBe('rolled_back');
    const svg = readFileSync(path.join(dir, 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const title of PANEL_TITLES) expect(svg).toContain(title);
    expect(svg).toContain('rolled back');
    expect(svg).toContain('rolled back (rollback: ErrorRateVsStable)');
    expect(existsSync(path.join(dir, 'timeline.json'))).toBe(true);
    const timeline = JSON.parse(readFileSync(path.join(dir, 'timeline.json'), 'utf8')) as { minutes: unknown[]; summary: Summary };
    expect(timeline.summary).toEqual(summary);
    expect(timeline.minutes.length).toBeGreaterThan(15);
  });

  // tsx loads the lazily imported steps and targets through the ES module loader, in real time: the
  // simulator loads them before virtual time runs, or the same seed gives another run.
  it('the CLI under tsx runs the same rollout as in-process, for the same seed', async () => {
    const cli = JSON.parse(readFileSync(path.join(dir, 'timeline.json'), 'utf8')) as { summary: Summary };
    const { summary } = await simulate(['--scenario', scenario('error-spike'), '--json']);
    const { realMs: _cli, ...fromCli } = cli.summary;
    const { realMs: _here, ...inProcess } = summary;
    expect(fromCli).toEqual(inProcess);
  });
});
