/**
 * `cdk-model-canary simulate` in-process (the bin's run() with the simulate command): a small app
 * of a user's, synthesized to a cloud assembly as `cdk synth` writes it, dry-run with a preset and
 * with a scenario file, on its own schedule; and the errors for bad input.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { run } from '../../cli/main';
import { simulateCommand } from '../../cli/simulate';
import type { SimulateResult } from '../../cli/simulate-run';
import { ConfigModelCanary, Guard, LambdaModelCanary, RolloutSchedule, SageMakerModelCanary } from '../../lib';

// Two whole rollouts run in the hooks: a loaded CI machine needs more than jest's 60 s.
jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '..', '..');
let dir: string;
let app: string;

/**
 * The user's app: its own schedule (10, 50, 100 % with 8-minute bakes; the example's is 5, 25, 50,
 * 100 %), a guard of its own (an alarm without a name, as CDK's Alarm makes it) and a second canary.
 */
function synthesizeUserApp(outdir: string): void {
  const cdkApp = new App({ outdir });
  const stack = new Stack(cdkApp, 'DryRunStack');
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
  const ranker = new LambdaModelCanary(stack, 'Ranker', { modelFunction: fn('RankerModel'), schedule: RolloutSchedule.fromPercentages([10, 50, 100], Duration.minutes(8)) });
  ranker.addGuard(Guard.fromAlarm(new cloudwatch.Alarm(stack, 'RankerErrors', { metric: ranker.alias.metricErrors(), threshold: 500, evaluationPeriods: 2 })));
  new LambdaModelCanary(stack, 'Tagger', { modelFunction: fn('TaggerModel') });
  // A SageMaker canary with the library's defaults: the post-promotion watch keeps stable at its
  // control share, so the promotion's weight update leaves the canary at 95 %, not 100 %.
  const model = new sagemaker.CfnModel(stack, 'ClassifierModel', {
    modelName: 'classifier-2026-11-01',
    executionRoleArn: 'arn:aws:iam::123456789012:role/classifier',
    primaryContainer: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/classifier:1' },
  });
  new SageMakerModelCanary(stack, 'Classifier', { model, endpointName: 'classifier', instanceType: 'ml.m5.large' });
  // A config canary: its template holds one config; the dry run releases it as two versions.
  new ConfigModelCanary(stack, 'Chat', { config: { modelId: 'anthropic.claude-3-5-haiku', promptVersion: '7' } });
  cdkApp.synth();
}

async function cli(...args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await run(args, { out: (t) => lines.push(...t.split('\n')), err: (t) => lines.push(...t.split('\n')) }, [simulateCommand]);
  return { code, lines };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'simulate-cli-'));
  app = path.join(dir, 'cdk.out');
  synthesizeUserApp(app);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('simulate --scenario healthy --json', () => {
  let code: number;
  let lines: string[];
  let result: SimulateResult;
  beforeAll(async () => {
    ({ code, lines } = await cli('simulate', '--app', app, '--canary', 'Ranker', '--scenario', 'healthy', '--json'));
    result = JSON.parse(lines.join('\n')) as SimulateResult;
  });

  it('prints one JSON object: the summary of scripts/simulate.ts and which canary of which app', () => {
    expect(code).toBe(0);
    expect(result).toMatchObject({ app, stack: 'DryRunStack', canary: 'Ranker', chart: null, scenario: 'healthy', target: 'lambda', seed: 1 });
    for (const field of ['outcome', 'promotedAtSeconds', 'rollbackAtSeconds', 'regressionOnsetSeconds', 'canaryRequests', 'canaryFailedRequests', 'maxCanaryWeight', 'alarmsFired', 'decidedBy', 'alerts', 'operatorActions']) {
      expect(result).toHaveProperty(field);
    }
  });

  it("promotes the healthy canary through the app's own schedule (three steps, 8-minute bakes), not the example's", () => {
    expect(result.outcome).toBe('promoted');
    expect(result.rollbackAtSeconds).toBeNull();
    expect(result.alerts.map((a) => a.event)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    expect(result.alerts.filter((a) => a.event === 'STEP').map((a) => a.subject)).toEqual([
      expect.stringMatching(/Ranker v2 now gets 10% of traffic \(step 1\/3\)/),
      expect.stringMatching(/Ranker v2 now gets 50% of traffic \(step 2\/3\)/),
      expect.stringMatching(/Ranker .*\(step 3\/3\)/),
    ]);
    // Three 8-minute steps: promoted after about 24 minutes.
    expect(result.promotedAtSeconds! / 60).toBeGreaterThanOrEqual(24);
    expect(result.promotedAtSeconds! / 60).toBeLessThan(28);
  });
});

describe('simulate a SageMaker canary of the app (its defaults: a watch with a 5 % control share)', () => {
  let code: number;
  let result: SimulateResult;
  beforeAll(async () => {
    let lines: string[];
    ({ code, lines } = await cli('simulate', '--app', app, '--canary', 'Classifier', '--scenario', 'healthy', '--json', '--expect', 'promoted'));
    result = JSON.parse(lines.join('\n')) as SimulateResult;
  });

  it('reads the promotion at 95 % (stable keeps its control share through the watch) as promoted, then 100 %', () => {
    expect(code).toBe(0);
    expect(result).toMatchObject({ target: 'sagemaker', status: 'SUCCEEDED', outcome: 'promoted', maxCanaryWeight: 100, rollbackAtSeconds: null });
    expect(result.alerts.map((a) => a.event)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    expect(Math.abs(result.promotedAtSeconds! - result.alerts[5].atSeconds)).toBeLessThan(1);
  });
});

// Through the package's bin (assets/cli/index.js, bundled by the global setup), as a user runs it:
// the chart's vega is ES modules, which jest's CommonJS cannot load in-process.
describe('the bundled CLI: simulate with a scenario file, the timeline, an operator status, the chart', () => {
  let code: number;
  let lines: string[];
  let chart: string;
  beforeAll(async () => {
    // error-spike.json (the canary fails 8 % of requests from minute 12), with a person looking at minute 5.
    const spike = JSON.parse(readFileSync(path.join(ROOT, 'scenarios', 'error-spike.json'), 'utf8'));
    const file = path.join(dir, 'spike-with-status.json');
    writeFileSync(file, JSON.stringify({ ...spike, name: 'spike-with-status', durationMinutes: 40, operator: [{ atMinute: 5, command: 'status' }] }));
    chart = path.join(dir, 'charts', 'spike.svg');
    const bin = path.join(ROOT, 'assets', 'cli', 'index.js');
    const args = [bin, 'simulate', '--app', app, '--canary', 'Ranker', '--scenario', file, '--chart', chart, '--seed', '3'];
    const done = await promisify(execFile)(process.execPath, args, { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    code = done.code;
    lines = done.out.trimEnd().split('\n');
  });

  it('prints the timeline a minute at a line and rolls the error spike back at the 50 % step', () => {
    expect(code).toBe(0);
    expect(lines[0]).toBe(`canary Ranker (stack DryRunStack, lambda-alias) of ${app}: scenario spike-with-status (${path.join(dir, 'spike-with-status.json')}), seed 3`);
    expect(lines.filter((l) => /^\[\+\d\d:\d\d\] \S+ +canary +\d+(\.\d+)?%/.test(l)).length).toBeGreaterThan(12);
    expect(lines).toContain('scenario spike-with-status: ROLLED_BACK (CanaryRolledBack)');
    expect(lines.some((l) => /^\[\+1\d:\d\d\] \S+ +canary +50%/.test(l))).toBe(true);
  });

  it("shows the scenario's status command as a person sees it: the step, the weights and the guards' table", () => {
    const at = lines.findIndex((l) => /^\[\+05:\d\d\] operator: cdk-model-canary status → exit 0$/.test(l));
    expect(at).toBeGreaterThan(0);
    const status = lines.slice(at + 1, at + 6).join('\n');
    expect(status).toMatch(/^ {4}Ranker \(stack DryRunStack, alias live of function /);
    expect(status).toMatch(/traffic: {2}stable v1 90%, canary v2 10%/);
    expect(status).toMatch(/step: {5}1 of 3 at 10%/);
    expect(lines.slice(at + 1).some((l) => /│ DryRunStack-Ranker-ErrorRate /.test(l))).toBe(true);
    // The app's own alarm, named as CloudFormation names an alarm without an AlarmName.
    expect(lines.slice(at + 1).some((l) => /│ DryRunStack-RankerErrors[0-9A-F]{8} +│ OK /.test(l))).toBe(true);
  });

  it('writes the chart to the file --chart names', () => {
    expect(existsSync(chart)).toBe(true);
    const svg = readFileSync(chart, 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('spike-with-status');
    expect(lines[lines.length - 1]).toMatch(/^wrote the chart to .*spike\.svg$/);
  });
});

describe('simulate a config canary of the app (AppConfig routing, users kept on one variant)', () => {
  it('promotes the healthy config and rolls back the error spike, with the app\'s guards', async () => {
    const healthy = await cli('simulate', '--app', app, '--canary', 'Chat', '--scenario', 'healthy', '--json', '--expect', 'promoted');
    expect(healthy.code).toBe(0);
    const h = JSON.parse(healthy.lines.join('\n')) as SimulateResult;
    expect(h).toMatchObject({ target: 'config', outcome: 'promoted', maxCanaryWeight: 100 });
    expect(h.alerts.map((a) => a.event)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    const spike = await cli('simulate', '--app', app, '--canary', 'Chat', '--scenario', 'error-spike', '--json', '--expect', 'rolled_back');
    expect(spike.code).toBe(0);
    expect((JSON.parse(spike.lines.join('\n')) as SimulateResult).decidedBy).toMatch(/^ErrorRate/);
  });
});

describe("the timeline states the shares the alerts state", () => {
  it('in the post-promotion watch the promoted canary serves 95 % (stable keeps the 5 % control), 100 % after it', async () => {
    const { code, lines } = await cli('simulate', '--app', app, '--canary', 'Ranker', '--scenario', 'healthy');
    expect(code).toBe(0);
    const watch = lines.filter((l) => /WatchAfterPromotion/.test(l));
    expect(watch.length).toBeGreaterThan(3);
    for (const l of watch) expect(l).toMatch(/canary +95%/);
    expect(lines.some((l) => /Promoted +canary +100%/.test(l))).toBe(true);
  });
});

describe('simulate --expect: a CI check of the outcome', () => {
  it('another outcome than --expect names exits 7 and says what happened (in either case, as --json or the summary spell it); an unknown outcome is a usage error', async () => {
    const file = path.join(dir, 'short.json');
    // No `target`: with --app the canary says how the model is served.
    const { target: _target, ...healthy } = JSON.parse(readFileSync(path.join(ROOT, 'scenarios', 'healthy.json'), 'utf8'));
    writeFileSync(file, JSON.stringify({ ...healthy, durationMinutes: 2 }));
    const held = await cli('simulate', '--app', app, '--canary', 'Ranker', '--scenario', file, '--expect', 'promoted');
    expect(held.code).toBe(7);
    expect(held.lines.join('\n')).toContain('expected the rollout to end promoted, it ended held');
    const asked = await cli('simulate', '--app', app, '--canary', 'Ranker', '--scenario', file, '--expect', 'HELD');
    expect(asked.code).toBe(0);
    const bad = await cli('simulate', '--app', app, '--canary', 'Ranker', '--expect', 'rolledback');
    expect(bad.code).toBe(2);
    expect(bad.lines.join('\n')).toContain('give one of promoted, rolled_back, insufficient_evidence, held, failed');
  });
});

describe('simulate: bad input says what to change', () => {
  it('no synthesized app: run cdk synth first (exit 2)', async () => {
    const { code, lines } = await cli('simulate', '--app', path.join(dir, 'nothing-here'), '--canary', 'Ranker');
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/nothing-here is not a synthesized CDK app \(no manifest\.json there\): run `cdk synth` first/);
  });

  it('an unknown canary, or none named where the app has two: the canaries found (exit 3)', async () => {
    for (const args of [['--canary', 'Nope'], []]) {
      const { code, lines } = await cli('simulate', '--app', app, ...args);
      expect(code).toBe(3);
      expect(lines.join('\n')).toContain('Ranker (stack DryRunStack, lambda-alias), Tagger (stack DryRunStack, lambda-alias), Classifier (stack DryRunStack, sagemaker-endpoint), Chat (stack DryRunStack, appconfig)');
    }
    const { lines } = await cli('simulate', '--app', app, '--canary', 'Ranker', '--stack', 'OtherStack');
    expect(lines.join('\n')).toMatch(/no canary Ranker in stack OtherStack in .*: give --canary and --stack from these/);
  });

  it('an unknown preset lists the presets; a scenario file with a bad field names the field (exit 2)', async () => {
    const preset = await cli('simulate', '--app', app, '--canary', 'Ranker', '--scenario', 'healthyy');
    expect(preset.code).toBe(2);
    expect(preset.lines.join('\n')).toContain('no preset "healthyy": give one of healthy, error-spike, latency-regression, token-blowup, no-traffic');
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(path.join(ROOT, 'scenarios', 'healthy.json'), 'utf8')), requestsPerSecond: -1 }));
    const bad = await cli('simulate', '--app', app, '--canary', 'Ranker', '--scenario', file);
    expect(bad.code).toBe(2);
    expect(bad.lines.join('\n')).toContain('requestsPerSecond must be a number from 0 to 10000');
  });
});
