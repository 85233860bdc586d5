/**
 * The execution history stays under Step Functions' 25,000 events
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html) in the worst case of the
 * default schedule: every step bakes 10 minutes, then holds for traffic until 10 minutes before
 * maxHold (6 h) ends, checked every 30 s. With a check every 30 s all along that is about 26,000
 * events and the simulator (like AWS) fails the execution with no Catch and the canary at its share;
 * the hold back-off keeps it to a few thousand.
 */
import type { RunResult, SimWorld } from '../../sim';
import { SimWorld as World } from '../../sim';
import { MAX_HISTORY_EVENTS } from '../../sim/aws/stepfunctions/stepfunctions';
import { RETRY_RESERVE_EVENTS, worstCaseHistoryEvents } from '../../lib/private/history-budget';
import { alertEvents, exampleStack, healthyScenario, startRollout, stepWeights } from './helpers';

const BAKE_MIN = 10;
const HOLD_MIN = 6 * 60;

describe('the worst case of the default schedule (HOLD, maxHold 6 h, checkInterval 30 s)', () => {
  let world: SimWorld;
  let result: RunResult;
  let historyEvents = 0;

  beforeAll(async () => {
    const changes: { atMinute: number; requestsPerSecond: number }[] = [];
    world = World.fromStack(exampleStack(), { seed: 5, scenario: { ...healthyScenario({ requestsPerSecond: 0 }), trafficChanges: changes } });
    await startRollout(world);
    const execution = world.latestExecution()!;
    const deadline = world.now() + 4 * (BAKE_MIN + HOLD_MIN + 30) * 60_000;
    let burstsPlanned = 0;
    while (execution.status === 'RUNNING' && world.now() < deadline) {
      await world.advance(60);
      const steps = world.aliasHistory().filter((h) => h.by === 'set-weight');
      if (steps.length > burstsPlanned) {
        // A few minutes of traffic 10 minutes before this step's hold would end: enough requests, as late as possible.
        const stepMinute = (steps[steps.length - 1].at - world.startMs) / 60_000;
        const at = Math.ceil(stepMinute + BAKE_MIN + HOLD_MIN - 10);
        changes.push({ atMinute: at, requestsPerSecond: 20 }, { atMinute: at + 3, requestsPerSecond: 0 });
        burstsPlanned = steps.length;
      }
    }
    result = await world.runUntilDone({ maxMinutes: 30 });
    historyEvents = execution.historyEvents;
  }, 240_000);
  afterAll(() => world?.dispose());

  it('holds at every step for almost maxHold, then is promoted', () => {
    expect(stepWeights(result)).toEqual([5, 25, 50, 95]);
    expect(alertEvents(result).filter((e) => e === 'HOLDING')).toHaveLength(4);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.durationMs / 60_000).toBeGreaterThan(4 * (BAKE_MIN + HOLD_MIN - 15));
  });

  it('writes fewer history events than the synth-time worst case, well under 25,000', () => {
    const worst = worstCaseHistoryEvents({ steps: Array(4).fill({ bakeSeconds: BAKE_MIN * 60 }), checkIntervalSeconds: 30, maxHoldSeconds: HOLD_MIN * 60, postPromotionWatchSeconds: 600 });
    expect(historyEvents).toBeGreaterThan(1000);
    expect(historyEvents).toBeLessThanOrEqual(worst);
    expect(worst).toBeLessThan(MAX_HISTORY_EVENTS - RETRY_RESERVE_EVENTS);
  });
});
