/** The post-promotion watch's default: 10 minutes, and with waitForVerdict what the deploy's wait leaves. */
import { Duration } from 'aws-cdk-lib';
import { RolloutSchedule } from '../../lib';
import { postPromotionWatchOf, VERDICT_BUDGET_SECONDS } from '../../lib/private/option-problems';

describe('postPromotionWatch', () => {
  it('defaults to 10 minutes without waitForVerdict', () => {
    expect(postPromotionWatchOf({}).toSeconds()).toBe(600);
  });

  it('with waitForVerdict defaults to what the 50 minutes leave after the default schedule: 6 whole minutes', () => {
    // 4 × (10 min bake + 30 s check + up to 30 s to a minute's edge) = 44 min; 50 − 44 = 6.
    expect(VERDICT_BUDGET_SECONDS).toBe(3000);
    expect(postPromotionWatchOf({ waitForVerdict: true }).toSeconds()).toBe(6 * 60);
  });

  it('with waitForVerdict and a short schedule keeps the full 10 minutes', () => {
    const schedule = RolloutSchedule.fromPercentages([10, 100], Duration.minutes(5));
    expect(postPromotionWatchOf({ waitForVerdict: true, schedule }).toSeconds()).toBe(600);
  });

  it('with waitForVerdict and a schedule that fills the 50 minutes, no watch', () => {
    const schedule = RolloutSchedule.fromPercentages([10, 50, 100], Duration.minutes(16));
    expect(postPromotionWatchOf({ waitForVerdict: true, schedule }).toSeconds()).toBe(0);
  });

  it('keeps a watch the user gave, even with waitForVerdict (synth then says whether it fits)', () => {
    expect(postPromotionWatchOf({ waitForVerdict: true, postPromotionWatch: Duration.minutes(30) }).toSeconds()).toBe(1800);
    expect(postPromotionWatchOf({ postPromotionWatch: Duration.seconds(0) }).toSeconds()).toBe(0);
  });
});
