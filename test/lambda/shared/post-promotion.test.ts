import type { AlarmView } from '../../../lambda/shared/alarms';
import { NO_OPERATOR } from '../../../lambda/shared/operator';
import { decideWatch, startWatch, watchSecondsOf, type WatchObservation } from '../../../lambda/shared/post-promotion';
import type { RolloutProgress } from '../../../lambda/shared/types';
import { NOW, plan, progress } from '../helpers';

const ALICE = 'arn:aws:iam::123456789012:user/alice';
const WATCH = 600;
const watching = plan({ postPromotionWatchSeconds: WATCH }); // checkInterval 120 s
const firing = (name: string, extra: Partial<AlarmView> = {}): AlarmView => ({ name, state: 'ALARM', updatedAt: NOW - 30, reason: 'Threshold Crossed', configuredAt: 0, versions: [], value: 0.31, threshold: 0.05, ...extra });

/** Promoted at NOW, watching: what the promote step hands the first WatchCheck. */
const promotedAt = (at = NOW, extra: Partial<RolloutProgress> = {}): RolloutProgress =>
  progress({ stepIndex: 3, weightPercent: 100, decision: 'watch', watchStartedAt: at, waitSeconds: 120, ...extra });
const obs = (extra: Partial<WatchObservation> = {}): WatchObservation => ({ firing: [], relation: 'promoted', now: NOW + 300, ...extra });

describe('watchSecondsOf', () => {
  test('absent or negative is no watch; a positive watch is kept', () => {
    expect(watchSecondsOf(plan())).toBe(0);
    expect(watchSecondsOf(plan({ postPromotionWatchSeconds: -5 }))).toBe(0);
    expect(watchSecondsOf(watching)).toBe(WATCH);
  });
});

describe('startWatch', () => {
  const promoted = progress({ stepIndex: 3, weightPercent: 100, decision: 'promote', waitSeconds: 0 });

  test('without a watch the promotion is returned unchanged (the rollout ends)', () => {
    expect(startWatch(plan({ postPromotionWatchSeconds: 0 }), promoted, NOW)).toBe(promoted);
    expect(startWatch(plan(), promoted, NOW)).toBe(promoted);
  });

  test('with a watch: decision watch, started now, first check one interval later', () => {
    const started = startWatch(watching, promoted, NOW);
    expect(started).toMatchObject({ decision: 'watch', watchStartedAt: NOW, waitSeconds: 120, weightPercent: 100 });
  });

  test('a watch shorter than the interval waits only the watch', () => {
    expect(startWatch(plan({ postPromotionWatchSeconds: 60 }), promoted, NOW).waitSeconds).toBe(60);
  });
});

describe('decideWatch', () => {
  test('an abort sends traffic back, naming who and the minutes since the promotion (and wins over a firing guard)', () => {
    const aborted = promotedAt(NOW, { operator: { ...NO_OPERATOR, abortBy: { by: ALICE, at: NOW + 300, reason: 'bad answers' } } });
    const next = decideWatch(watching, aborted, obs({ now: NOW + 300, firing: [firing('ErrorRate')] }));
    expect(next).toMatchObject({ decision: 'rollback', waitSeconds: 0, reason: 'aborted by user/alice 5 min after the promotion: bad answers' });
    // The abort wins: no alarm detail on it.
    expect(next.alarm).toBeUndefined();
    // Also past the window and with someone else's change: the abort still wins.
    expect(decideWatch(watching, aborted, obs({ now: NOW + WATCH + 60, relation: 'superseded' })).decision).toBe('rollback');
  });

  test('an abort without a reason ends at the minutes', () => {
    const aborted = promotedAt(NOW, { operator: { ...NO_OPERATOR, abortBy: { by: ALICE, at: NOW + 120 } } });
    expect(decideWatch(watching, aborted, obs({ now: NOW + 120 })).reason).toBe('aborted by user/alice 2 min after the promotion');
  });

  test('a firing guard sends traffic back, with the alarm detail of the first one', () => {
    const next = decideWatch(watching, promotedAt(), obs({ now: NOW + 180, firing: [firing('ErrorRate'), firing('LatencyP95', { value: 900, threshold: 500 })] }));
    expect(next).toMatchObject({
      decision: 'rollback',
      waitSeconds: 0,
      reason: 'guard alarm in ALARM 3 min after the promotion: ErrorRate, LatencyP95',
      alarm: { name: 'ErrorRate', reason: 'Threshold Crossed', value: 0.31, threshold: 0.05 },
    });
  });

  test('a guard firing past the window still rolls back (the guards win over the end of the window)', () => {
    expect(decideWatch(watching, promotedAt(), obs({ now: NOW + WATCH + 10, firing: [firing('ErrorRate')] })).decision).toBe('rollback');
  });

  test("'idle': traffic already went back outside the workflow (fast path): external rolled_back with a watch reason", () => {
    const next = decideWatch(watching, promotedAt(), obs({ relation: 'idle', now: NOW + 240 }));
    expect(next).toMatchObject({ decision: 'external', externalOutcome: 'rolled_back', waitSeconds: 0 });
    expect(next.reason).toBe('traffic went back to the previous version outside the workflow 4 min after the promotion (alarm fast path or an operator)');
    // Not the generic "weight set to 0" text of the steps before the promotion.
    expect(next.reason).not.toContain('canary weight was set to 0');
  });

  test("'superseded': another release took over, external superseded", () => {
    expect(decideWatch(watching, promotedAt(), obs({ relation: 'superseded' }))).toMatchObject({ decision: 'external', externalOutcome: 'superseded', reason: 'another release took over the target', waitSeconds: 0 });
  });

  test("'ours': the canary lost part of its traffic (changed by hand): rollback", () => {
    const next = decideWatch(watching, promotedAt(), obs({ relation: 'ours' }));
    expect(next).toMatchObject({ decision: 'rollback', waitSeconds: 0 });
    expect(next.reason).toContain('post-promotion watch');
    expect(next.externalOutcome).toBeUndefined();
  });

  test('within the window: watch again after the interval, or after what is left of it (at least 1 s)', () => {
    // 300 s in, 300 s left: the interval (120 s).
    expect(decideWatch(watching, promotedAt(), obs({ now: NOW + 300 }))).toMatchObject({ decision: 'watch', waitSeconds: 120, watchStartedAt: NOW });
    // 530 s in, 70 s left: 70 s.
    expect(decideWatch(watching, promotedAt(), obs({ now: NOW + 530 }))).toMatchObject({ decision: 'watch', waitSeconds: 70 });
    // 599.5 s in, half a second left: at least 1 s.
    expect(decideWatch(watching, promotedAt(), obs({ now: NOW + 599.5 }))).toMatchObject({ decision: 'watch', waitSeconds: 1 });
  });

  test('the window over: promote (the canary stays promoted)', () => {
    expect(decideWatch(watching, promotedAt(), obs({ now: NOW + WATCH }))).toMatchObject({ decision: 'promote', waitSeconds: 0 });
    expect(decideWatch(watching, promotedAt(), obs({ now: NOW + WATCH + 500 }))).toMatchObject({ decision: 'promote', waitSeconds: 0 });
  });

  test('a hold left over from the steps is cleared', () => {
    expect(decideWatch(watching, promotedAt(NOW, { hold: 'traffic' }), obs()).hold).toBeUndefined();
  });
});
