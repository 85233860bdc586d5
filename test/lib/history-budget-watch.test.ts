import { holdChecks } from '../../lambda/shared/hold';
import { EVENTS_PER_CHECK, historyProblems, type HistoryInputs, workflowTimeout, worstCaseHistoryEvents } from '../../lib/private/history-budget';

const base: HistoryInputs = { steps: [{ bakeSeconds: 600 }, { bakeSeconds: 600 }, { bakeSeconds: 600 }, { bakeSeconds: 600 }], checkIntervalSeconds: 30, maxHoldSeconds: 6 * 3600 };

describe('the post-promotion watch in the history bound', () => {
  test.each([
    [600, 30], // the default: 21 checks
    [601, 30], // a part interval is one more check
    [60, 120], // a watch shorter than the interval: one wait, then the last check
    [3600, 120],
  ])('a %d s watch checked every %d s adds 9 events per check, the checks backing off like a hold', (watch, interval) => {
    const without = worstCaseHistoryEvents({ ...base, checkIntervalSeconds: interval });
    const withWatch = worstCaseHistoryEvents({ ...base, checkIntervalSeconds: interval, postPromotionWatchSeconds: watch });
    expect(EVENTS_PER_CHECK).toBe(9);
    expect(withWatch - without).toBe(9 * holdChecks(interval, watch));
    // Never more than one check per interval (plus the last), never fewer than one per 5 minutes.
    expect(holdChecks(interval, watch)).toBeLessThanOrEqual(Math.ceil(watch / interval) + 1);
    expect(holdChecks(interval, watch)).toBeGreaterThanOrEqual(Math.ceil(watch / 300));
  });

  test('the default 10-minute watch at 30 s checks every 30 s until 5 minutes in, then backs off', () => {
    // 10 checks at 30 s to 300 s, then waits of a tenth of the time watched (30..59 s), and the last check.
    expect(holdChecks(30, 600)).toBe(19);
  });

  test('a day-long watch at the default interval fits (the checks back off to 5 minutes)', () => {
    expect(historyProblems({ ...base, postPromotionWatchSeconds: 24 * 3600 })).toEqual([]);
  });

  test('0 or absent adds nothing', () => {
    expect(worstCaseHistoryEvents({ ...base, postPromotionWatchSeconds: 0 })).toBe(worstCaseHistoryEvents(base));
  });

  test('a long watch checked often overflows the bound; the problem names the watch and says to shorten it', () => {
    // A 6-hour step checked every 10 s nearly fills the history alone; the day-long watch tips it over.
    const full: HistoryInputs = { steps: [{ bakeSeconds: 6 * 3600 }], checkIntervalSeconds: 10, maxHoldSeconds: 6 * 3600 };
    const inputs = { ...full, postPromotionWatchSeconds: 24 * 3600 };
    expect(historyProblems(full)).toEqual([]);
    const [problem] = historyProblems(inputs);
    expect(problem).toContain('86400s post-promotion watch');
    expect(problem).toContain('shorten postPromotionWatch');
  });
});

describe('the post-promotion watch in the workflow timeout', () => {
  test.each([600, 3600, 24 * 3600])('a %d s watch adds exactly its seconds', (watch) => {
    expect(workflowTimeout({ ...base, postPromotionWatchSeconds: watch }).toSeconds() - workflowTimeout(base).toSeconds()).toBe(watch);
  });

  test('0 adds nothing', () => {
    expect(workflowTimeout({ ...base, postPromotionWatchSeconds: 0 }).toSeconds()).toBe(workflowTimeout(base).toSeconds());
  });
});
