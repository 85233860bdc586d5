import { relate, type TrafficSplit } from '../../../lambda/shared/traffic-target';
import { RELEASE } from '../helpers';

// RELEASE: stable 5, canary 6
describe('relate', () => {
  test.each<[string, TrafficSplit, ReturnType<typeof relate>]>([
    ['stable alone', { stable: '5', canaryPercent: 0 }, 'idle'],
    ['our canary at 0 %', { stable: '5', canary: '6', canaryPercent: 0 }, 'idle'],
    ['our canary at 5 %', { stable: '5', canary: '6', canaryPercent: 5 }, 'ours'],
    ['our canary at 100 %', { stable: '5', canary: '6', canaryPercent: 100 }, 'ours'],
    ['our canary serving alone', { stable: '6', canaryPercent: 0 }, 'promoted'],
    ['another canary on our stable', { stable: '5', canary: '7', canaryPercent: 10 }, 'superseded'],
    ['another canary at 0 % on our stable', { stable: '5', canary: '7', canaryPercent: 0 }, 'superseded'],
    ['another stable alone', { stable: '4', canaryPercent: 0 }, 'superseded'],
    ['our canary promoted, a newer canary on it', { stable: '6', canary: '7', canaryPercent: 5 }, 'superseded'],
    ['our canary promoted, stable kept at a control share (the post-promotion watch)', { stable: '6', canary: '5', canaryPercent: 5 }, 'promoted'],
    ['our canary promoted, another version at a share', { stable: '6', canary: '4', canaryPercent: 5 }, 'superseded'],
  ])('%s -> %s', (_name, split, expected) => {
    expect(relate(split, RELEASE)).toBe(expected);
  });
});
