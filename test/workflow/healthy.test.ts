/**
 * A healthy canary, end to end: the synthesized state machine, the real handlers, simulated AWS on
 * a virtual clock (sim/). 40 virtual minutes of rollout in well under a second.
 */
import type { RunResult, SimWorld } from '../../sim';
import {
  ALARMS,
  alertEvents,
  exampleStack,
  healthyScenario,
  simulate,
  statesEntered,
  stepWeights,
} from './helpers';

describe('a healthy canary', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), { scenario: healthyScenario() }));
  });
  afterAll(() => world?.dispose());

  it('ends SUCCEEDED in the Promoted state', () => {
    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result).slice(-3)).toEqual(['WatchCheck', 'WatchedOrNot', 'Promoted']);
    // The default post-promotion watch ran after the promotion.
    expect(statesEntered(result)).toContain('PromotedOrNot');
  });

  it('keeps the previous version at its 5 % control share from the 100 % step to the end of the watch, then leaves the canary alone', () => {
    expect(world.alias()).toMatchObject({ functionVersion: '2', weights: {} });
    const promote = result.aliasHistory.find((h) => h.by === 'promote')!;
    expect(promote).toMatchObject({ functionVersion: '2', extraVersion: '1', extraPercent: 5 });
    const last = result.aliasHistory[result.aliasHistory.length - 1];
    expect(last).toMatchObject({ by: 'watch', functionVersion: '2', extraPercent: 0 });
    // The watch's 10 minutes after the promotion.
    expect(last.at - promote.at).toBeGreaterThanOrEqual(600_000);
  });

  it('moves the weights 5 → 25 → 50 → 100 (95 + the 5 % control), each step baking its 10 minutes', () => {
    expect(stepWeights(result)).toEqual([5, 25, 50, 95]);
    const shifts = result.aliasHistory.filter((h) => h.by === 'set-weight' || h.by === 'promote');
    for (let i = 1; i < shifts.length; i++) {
      expect(shifts[i].at - shifts[i - 1].at).toBeGreaterThanOrEqual(600_000);
      // ...and not much longer: the check runs every 30 s, and set-weight changes the weight just
      // before a minute ends (the judge leaves out a minute with two weights).
      expect(shifts[i].at - shifts[i - 1].at).toBeLessThan(600_000 + 30_000 + 60_000);
    }
  });

  it('changes every weight in the last seconds of a minute', () => {
    const seconds = result.aliasHistory.filter((h) => h.by === 'set-weight').map((h) => (h.at / 1000) % 60);
    for (const s of seconds) expect(s).toBeGreaterThanOrEqual(49);
    for (const s of seconds) expect(s).toBeLessThan(55);
  });

  it('alerts STARTED, four STEPs and PROMOTED, in that order', () => {
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
    expect(result.alerts.map((a) => a.body?.weightPercent)).toEqual([0, 5, 25, 50, 95, 95]);
  });

  it('never lets a guard alarm fire, and the canary really served traffic', () => {
    const fired = result.alarmTransitions.filter((t) => t.to === 'ALARM' && Object.values(ALARMS).includes(t.alarmName));
    expect(fired).toEqual([]);
    expect(world.served.get('2')?.requests).toBeGreaterThan(4 * 100);
  });
});

