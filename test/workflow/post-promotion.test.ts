/**
 * The post-promotion watch through the synthesized state machine and the real handlers: after the
 * promotion the guard alarms keep watching; a regression that starts after the promotion sends all
 * traffic back to the previous version (Lambda: the alias's version; SageMaker: the variant kept
 * at weight 0), an abort does the same within seconds, and a healthy canary ends promoted once
 * the window is over.
 */
import { Duration } from 'aws-cdk-lib';
import { run } from '../../cli/main';
import { Guard, RolloutSchedule } from '../../lib';
import { holdChecks } from '../../lambda/shared/hold';
import { STABLE_TAG } from '../../lambda/targets/sagemaker-endpoint/target';
import { type RunResult, type SimWorld, type SynthesizedStack } from '../../sim';
import { canaryStack, HEALTHY, simulate, simulateEndpointRelease, statesEntered, SUMMARIZER_V1, SUMMARIZER_V2 } from './helpers';

const WATCH_MIN = 15;
const ERROR_RATE = 'Watched-Canary-ErrorRate';

function watchedStack(): SynthesizedStack {
  return canaryStack('Watched', {
    guards: [Guard.errorRate()],
    schedule: RolloutSchedule.fromPercentages([10, 50], Duration.minutes(4)),
    postPromotionWatch: Duration.minutes(WATCH_MIN),
  });
}

const promotedAlert = (result: RunResult) => result.alerts.find((a) => a.event === 'PROMOTED')!;
const cli = async (world: SimWorld, argv: string[]) => {
  const out: string[] = [];
  const code = await world.drive(run(argv, { out: (t) => out.push(t), err: (t) => out.push(t) }));
  return { code, text: out.join('\n') };
};

describe('a Lambda canary that starts failing after its promotion', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => {
    ({ world, result } = await simulate(watchedStack(), {
      scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': { ...HEALTHY, changes: [{ minutesAfterPromotion: 2, errorRate: 0.3 }] } } },
    }));
  });
  afterAll(() => world?.dispose());

  it('was promoted first, and the PROMOTED alert says until when the guards watch', () => {
    const promoted = promotedAlert(result);
    expect(promoted.body?.watchUntil).toBe(new Date(promoted.at + WATCH_MIN * 60_000).toISOString().replace(/\.\d{3}Z$/, '.000Z'));
    expect(world.traffic.changeAppliedAt('2')).toBeGreaterThan(promoted.at);
  });

  it('sends all traffic back to v1 through the fast path within seconds of the alarm', () => {
    const alarm = result.alarmTransitions.find((t) => t.to === 'ALARM' && t.alarmName === ERROR_RATE)!;
    expect(alarm.at).toBeGreaterThan(promotedAlert(result).at);
    const back = result.aliasHistory.find((h) => h.at >= alarm.at && h.functionVersion === '1')!;
    expect(back).toMatchObject({ by: 'on-alarm', weights: {} });
    expect(back.at - alarm.at).toBeLessThanOrEqual(10_000);
    expect(world.alias()).toMatchObject({ functionVersion: '1', weights: {} });
  });

  it('ends rolled back from the watch, with one ROLLED_BACK alert that says it was after the promotion', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    expect(result.cause).toMatch(/min after the promotion/);
    const states = statesEntered(result);
    expect(states.indexOf('WatchCheck')).toBeGreaterThan(states.indexOf('Promote'));
    expect(states.slice(-3)).toEqual(['RollBack', 'RegressionOrNot', 'RolledBack']);
    const rolledBack = result.alerts.filter((a) => a.event === 'ROLLED_BACK');
    expect(rolledBack).toHaveLength(1);
    expect(rolledBack[0].subject).toContain('after its promotion');
    expect(rolledBack[0].body).toMatchObject({ afterPromotion: true, alarm: { name: ERROR_RATE } });
  });
});

describe('a healthy Lambda canary in its post-promotion watch', () => {
  let world: SimWorld;
  let result: RunResult;
  let status: { code: number; text: string };
  let statusJson: { rollout: { postPromotionWatch?: { secondsLeft: number; previousVersion: string } } };
  let promote: { code: number; text: string };
  beforeAll(async () => {
    ({ world, result } = await simulate(watchedStack(), { scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY } } }, async (w) => {
      await w.runUntil(() => w.alerts().some((a) => a.event === 'PROMOTED'), { maxMinutes: 60 });
      await w.advance(5 * 60);
      status = await cli(w, ['status', 'Canary']);
      statusJson = JSON.parse((await cli(w, ['status', 'Canary', '--json'])).text);
      promote = await cli(w, ['promote', 'Canary']);
    }));
  });
  afterAll(() => world?.dispose());

  it('keeps watching for the whole window, then ends promoted', () => {
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result).slice(-3)).toEqual(['WatchCheck', 'WatchedOrNot', 'Promoted']);
    const end = result.events.at(-1)!;
    expect(end.timestamp - promotedAlert(result).at).toBeGreaterThanOrEqual(WATCH_MIN * 60_000 - 1000); // whole seconds on the workflow's clock
    // Checks every checkInterval (30 s), backing off like a hold: as many as the history budget counts.
    const checks = statesEntered(result).filter((s) => s === 'WatchCheck').length;
    expect(Math.abs(checks - holdChecks(30, WATCH_MIN * 60))).toBeLessThanOrEqual(1);
    expect(checks).toBeGreaterThan(WATCH_MIN);
    expect(world.alias()).toMatchObject({ functionVersion: '2', weights: {} });
  });

  it('status shows the watch, the time left and the version an abort goes back to', () => {
    expect(status.code).toBe(0);
    expect(status.text).toMatch(/watch: +promoted; the guards watch it until .* \(\d+m\d*s? left|watch: +promoted; the guards watch it until/);
    expect(status.text).toContain('sends traffic back to v1');
    expect(statusJson.rollout.postPromotionWatch?.previousVersion).toBe('1');
    const left = statusJson.rollout.postPromotionWatch!.secondsLeft;
    expect(left).toBeGreaterThan((WATCH_MIN - 6) * 60);
    expect(left).toBeLessThanOrEqual((WATCH_MIN - 5) * 60);
  });

  it('refuses promote in the watch (exit 4): the canary is already promoted', () => {
    expect(promote.code).toBe(4);
    expect(promote.text).toContain('is promoted; the guards watch it');
  });
});

describe('abort in the post-promotion watch', () => {
  let world: SimWorld;
  let result: RunResult;
  let abortedAt = 0;
  let aliasAfter: ReturnType<SimWorld['alias']>;
  beforeAll(async () => {
    ({ world, result } = await simulate(watchedStack(), { scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY } } }, async (w) => {
      await w.runUntil(() => w.alerts().some((a) => a.event === 'PROMOTED'), { maxMinutes: 60 });
      await w.advance(3 * 60);
      // Right after a watch check, so the next one is ~30 s away: the fast path must act, not the check.
      const watchChecks = () => w.latestExecution()!.events.filter((e) => e.type === 'StateExited' && e.state?.name === 'WatchCheck').length;
      const seen = watchChecks();
      await w.runUntil(() => watchChecks() > seen, { maxMinutes: 2 });
      abortedAt = w.now();
      expect((await cli(w, ['abort', 'Canary', '--reason', 'users report bad answers'])).code).toBe(0);
      await w.advance(10);
      aliasAfter = w.alias();
    }));
  });
  afterAll(() => world?.dispose());

  it('sends traffic back to v1 within seconds (the operator fast path)', () => {
    expect(aliasAfter).toMatchObject({ functionVersion: '1', weights: {} });
    const back = result.aliasHistory.find((h) => h.at >= abortedAt && h.functionVersion === '1')!;
    // The operator fast path is its own step of the stack's steps function (it was part of on-alarm).
    expect(back.by).toBe('on-command');
    expect(back.at - abortedAt).toBeLessThanOrEqual(10_000);
  });

  it('ends rolled back; the alerts say who aborted and that it was after the promotion', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    const operator = result.alerts.find((a) => a.event === 'OPERATOR')!;
    expect(operator.body?.reason).toContain('traffic back to the previous version');
    const rolledBack = result.alerts.find((a) => a.event === 'ROLLED_BACK')!;
    expect(rolledBack.body).toMatchObject({ afterPromotion: true });
    expect(rolledBack.body?.reason).toMatch(/aborted by user\/operator|outside the workflow/);
  });
});

describe('a SageMaker canary that starts failing after its promotion', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => {
    const healthy = { errorRate: 0.001, latencyMs: { p50: 300, p95: 800 } };
    ({ world, result } = await simulateEndpointRelease({
      requestsPerSecond: 10,
      versions: { [SUMMARIZER_V1]: healthy, [SUMMARIZER_V2]: { ...healthy, changes: [{ minutesAfterPromotion: 2, errorRate: 0.3 }] } },
    }));
  });
  afterAll(() => world?.dispose());

  it('puts all weight back on the old variant, kept at weight 0 since the promotion, and tags it stable again', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    const endpoint = world.endpoint()!;
    const weights = Object.fromEntries(endpoint.variants.map((v) => [v.name, v.desiredWeight]));
    expect(weights).toEqual({ [SUMMARIZER_V1]: 100, [SUMMARIZER_V2]: 0 });
    expect(endpoint.tags.get(STABLE_TAG)).toBe(SUMMARIZER_V1);
    expect(result.alerts.find((a) => a.event === 'ROLLED_BACK')?.body).toMatchObject({ afterPromotion: true });
    expect(statesEntered(result)).toContain('WatchCheck');
  });
});
