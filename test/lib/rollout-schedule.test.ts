import { Duration } from 'aws-cdk-lib';
import { RolloutSchedule } from '../../lib';

/** A schedule as [percent, bake seconds] pairs. */
const shape = (s: RolloutSchedule): [number, number][] => s.steps.map((step) => [step.percent, step.bake.toSeconds()]);

/** CodeDeploy's linear shape: `percent` more at every interval; the last shift reaches 100 % and needs no bake. */
const linearShape = (percent: number, seconds: number): [number, number][] => {
  const steps: [number, number][] = [];
  for (let p = percent; p < 100; p += percent) steps.push([p, seconds]);
  return [...steps, [100, 0]];
};

describe('RolloutSchedule presets match CodeDeploy\'s predefined Lambda configurations', () => {
  test.each([
    ['CANARY_10PERCENT_5MINUTES', RolloutSchedule.CANARY_10PERCENT_5MINUTES, 5],
    ['CANARY_10PERCENT_10MINUTES', RolloutSchedule.CANARY_10PERCENT_10MINUTES, 10],
    ['CANARY_10PERCENT_15MINUTES', RolloutSchedule.CANARY_10PERCENT_15MINUTES, 15],
    ['CANARY_10PERCENT_30MINUTES', RolloutSchedule.CANARY_10PERCENT_30MINUTES, 30],
  ])('%s: 10 %% for the bake, then everything with no further bake', (_name, schedule, minutes) => {
    expect(shape(schedule)).toEqual([
      [10, minutes * 60],
      [100, 0],
    ]);
    expect(schedule.totalBake.toSeconds()).toBe(minutes * 60);
  });

  test.each([
    ['LINEAR_10PERCENT_EVERY_1MINUTE', RolloutSchedule.LINEAR_10PERCENT_EVERY_1MINUTE, 1],
    ['LINEAR_10PERCENT_EVERY_2MINUTES', RolloutSchedule.LINEAR_10PERCENT_EVERY_2MINUTES, 2],
    ['LINEAR_10PERCENT_EVERY_3MINUTES', RolloutSchedule.LINEAR_10PERCENT_EVERY_3MINUTES, 3],
    ['LINEAR_10PERCENT_EVERY_10MINUTES', RolloutSchedule.LINEAR_10PERCENT_EVERY_10MINUTES, 10],
  ])('%s: 10, 20, ... 90 %% each for the interval, then 100 %%', (_name, schedule, minutes) => {
    expect(shape(schedule)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90].map((p) => [p, minutes * 60]).concat([[100, 0]]));
    expect(schedule.totalBake.toSeconds()).toBe(9 * minutes * 60);
  });

  test('GRADUAL_5_25_50_100 (the default): 5, 25, 50, 100 %, 10 minutes each', () => {
    expect(shape(RolloutSchedule.GRADUAL_5_25_50_100)).toEqual([
      [5, 600],
      [25, 600],
      [50, 600],
      [100, 600],
    ]);
    expect(RolloutSchedule.GRADUAL_5_25_50_100.totalBake.toMinutes()).toBe(40);
  });

  test('ALL_AT_ONCE: 100 % for 10 minutes', () => {
    expect(shape(RolloutSchedule.ALL_AT_ONCE)).toEqual([[100, 600]]);
  });
});

describe('RolloutSchedule builders', () => {
  test('steps(): the given shares in order, each with the same bake', () => {
    expect(shape(RolloutSchedule.steps([1, 5, 20, 100], Duration.minutes(2)))).toEqual([
      [1, 120],
      [5, 120],
      [20, 120],
      [100, 120],
    ]);
  });

  test('canary(): any share and bake', () => {
    expect(shape(RolloutSchedule.canary(25, Duration.minutes(7)))).toEqual([
      [25, 420],
      [100, 0],
    ]);
  });

  test('allAtOnce(): one step at 100 % with the given bake', () => {
    expect(shape(RolloutSchedule.allAtOnce(Duration.minutes(30)))).toEqual([[100, 1800]]);
    expect(RolloutSchedule.allAtOnce(Duration.minutes(30)).totalBake.toMinutes()).toBe(30);
  });

  test('custom(): the steps as given', () => {
    const steps = [
      { percent: 3, bake: Duration.minutes(15) },
      { percent: 100, bake: Duration.minutes(1) },
    ];
    expect(RolloutSchedule.custom(steps).steps).toEqual(steps);
  });

  test.each([
    [25, 60],
    [20, 120],
    [30, 60],
  ])('linear(%d, %ds) adds the share every interval until 100 %%', (percent, seconds) => {
    expect(shape(RolloutSchedule.linear(percent, Duration.seconds(seconds)))).toEqual(linearShape(percent, seconds));
  });

  test('linear() with a share that does not divide 100 keeps exact shares (no float drift)', () => {
    const percents = RolloutSchedule.linear(33.3, Duration.minutes(1)).steps.map((s) => s.percent);
    expect(percents).toEqual([33.3, 66.6, 99.9, 100]);
    const tenths = RolloutSchedule.linear(0.1, Duration.minutes(1)).steps.map((s) => s.percent);
    expect(tenths).toHaveLength(1000);
    expect(tenths[2]).toBe(0.3);
    expect(tenths[998]).toBe(99.9);
    expect(tenths[999]).toBe(100);
  });

  test('linear(100) is a single shift to 100 %', () => {
    expect(shape(RolloutSchedule.linear(100, Duration.minutes(5)))).toEqual([[100, 0]]);
  });

  test.each([0, -5, 150, Number.NaN])('linear(%d) fails and says what a share must be', (percent) => {
    expect(() => RolloutSchedule.linear(percent, Duration.minutes(1))).toThrow(/percentPerStep must be more than 0 and at most 100/);
  });

  test('totalBake adds up every step, including zero-bake ones', () => {
    const schedule = RolloutSchedule.custom([
      { percent: 10, bake: Duration.minutes(3) },
      { percent: 50, bake: Duration.seconds(90) },
      { percent: 100, bake: Duration.seconds(0) },
    ]);
    expect(schedule.totalBake.toSeconds()).toBe(270);
    expect(RolloutSchedule.custom([]).totalBake.toSeconds()).toBe(0);
  });
});
