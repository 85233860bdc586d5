/**
 * Nobody calls the model: no traffic is never evidence. With the default HOLD the canary holds at
 * its first step, alerts once, and after maxHold (6 hours) goes to 0 % as insufficient evidence
 * (not a regression), never promoted.
 */
import type { RunResult, SimWorld } from '../../sim';
import { alertEvents, exampleStack, healthyScenario, simulate, stepWeights } from './helpers';

describe('a canary without traffic (HOLD, maxHold 6 h)', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), { scenario: healthyScenario({ requestsPerSecond: 0 }) }, undefined, 8 * 60));
  });
  afterAll(() => world?.dispose());

  it('holds at the first step and alerts HOLDING once', () => {
    expect(stepWeights(result)).toEqual([5]);
    const holding = result.alerts.filter((a) => a.event === 'HOLDING');
    expect(holding).toHaveLength(1);
    expect(String(holding[0].body?.reason)).toMatch(/served 0 of the 100 requests/);
    const step1 = result.aliasHistory.find((h) => h.by === 'set-weight')!;
    // The hold starts when the 10-minute bake ends.
    expect(holding[0].at - step1.at).toBeGreaterThanOrEqual(600_000);
    expect(holding[0].at - step1.at).toBeLessThan(600_000 + 60_000);
  });

  it('goes to 0 % after maxHold as insufficient evidence, not a regression, never promoting', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InsufficientEvidence');
    expect(result.cause).toMatch(/insufficient evidence, not a regression: held 360 min \(maxHold\) and still the canary served 0 of the 100 requests/);
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'HOLDING', 'INSUFFICIENT_EVIDENCE']);
    expect(result.alerts[3].subject).toMatch(/NOT PROMOTED .*insufficient evidence, not a regression/);
    const step1 = result.aliasHistory.find((h) => h.by === 'set-weight')!;
    const back = result.aliasHistory[result.aliasHistory.length - 1];
    expect(back).toMatchObject({ by: 'rollback', functionVersion: '1', weights: {} });
    expect(back.at - step1.at).toBeGreaterThanOrEqual((600 + 6 * 3600) * 1000);
    expect(result.aliasHistory.some((h) => h.functionVersion === '2')).toBe(false);
  });

  it('saw no request at all, and no guard alarm fired', () => {
    expect(world.served.size).toBe(0);
    expect(result.alarmTransitions.filter((t) => t.to === 'ALARM')).toEqual([]);
  });
});
