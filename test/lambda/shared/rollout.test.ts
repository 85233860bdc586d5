import type { AlarmView } from '../../../lambda/shared/alarms';
import {
  alertFacts,
  caughtErrorText,
  decideCheck,
  externalStop,
  isLastStep,
  progressOf,
} from '../../../lambda/shared/rollout';
import { holdChecks, MAX_HOLD_CHECK_SECONDS } from '../../../lambda/shared/hold';
import { LambdaAliasTarget } from '../../../lambda/targets/lambda-alias/target';
import type { SplitRelation } from '../../../lambda/shared/traffic-target';
import { NOW, RELEASE, freezeTime, plan, progress } from '../helpers';

function firing(name: string, extra: Partial<AlarmView> = {}): AlarmView {
  return { name, state: 'ALARM', updatedAt: NOW - 30, reason: `${name} crossed`, threshold: 0.05, value: 0.2, configuredAt: 0, versions: [], ...extra };
}

/** Step `stepIndex` started `elapsed` seconds before NOW. */
function at(stepIndex: number, elapsed: number, extra = {}) {
  return progress({ stepIndex, stepStartedAt: NOW - elapsed, canaryRequests: 0, reason: 'old reason', ...extra });
}

describe('decideCheck', () => {
  const p = plan(); // steps 5/25/100 % baking 600 s, interval 120 s, 100 requests, ROLL_BACK, hold 3600 s

  test('a firing alarm wins over everything: external change, unfinished bake, enough requests', () => {
    const next = decideCheck(p, at(0, 10), {
      firing: [firing('ErrorRate', { value: 0.31, threshold: 0.05 }), firing('LatencyP95')],
      relation: 'superseded',
      canaryRequests: 5000,
      now: NOW,
    });
    expect(next.decision).toBe('rollback');
    expect(next.waitSeconds).toBe(0);
    expect(next.reason).toBe('guard alarm in ALARM: ErrorRate, LatencyP95');
    expect(next.alarm).toEqual({ name: 'ErrorRate', reason: 'ErrorRate crossed', value: 0.31, threshold: 0.05 });
    expect(next.canaryRequests).toBe(5000);
    expect(next.externalOutcome).toBeUndefined();
  });

  test.each<[Exclude<SplitRelation, 'ours'>, string]>([
    ['idle', 'rolled_back'],
    ['promoted', 'promoted'],
    ['superseded', 'superseded'],
  ])('target %s (changed outside the workflow) -> external %s, even with enough evidence', (relation, outcome) => {
    const next = decideCheck(p, at(0, 900), { firing: [], relation, canaryRequests: 5000, now: NOW });
    expect(next.decision).toBe('external');
    expect(next.externalOutcome).toBe(outcome);
    expect(next.waitSeconds).toBe(0);
    expect(next.reason).toEqual(expect.any(String));
  });

  test('bake not finished: waits the check interval while more than that remains', () => {
    const next = decideCheck(p, at(0, 100), { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW });
    expect(next.decision).toBe('bake');
    expect(next.waitSeconds).toBe(120);
    expect(next.canaryRequests).toBe(5000);
    expect(next.reason).toBeUndefined();
  });

  test('bake not finished: waits only the remaining bake when that is shorter than the interval', () => {
    const next = decideCheck(p, at(0, 550), { firing: [], relation: 'ours', canaryRequests: 5000, now: NOW });
    expect(next).toMatchObject({ decision: 'bake', waitSeconds: 50 });
  });

  test('enough requests after the bake: advance on a middle step', () => {
    const next = decideCheck(p, at(1, 600), { firing: [], relation: 'ours', canaryRequests: 100, now: NOW });
    expect(next).toMatchObject({ decision: 'advance', waitSeconds: 0, canaryRequests: 100, reason: undefined });
  });

  test('enough requests after the bake: promote on the last step', () => {
    const next = decideCheck(p, at(2, 601), { firing: [], relation: 'ours', canaryRequests: 250, now: NOW });
    expect(next).toMatchObject({ decision: 'promote', waitSeconds: 0 });
  });

  test('too few requests with ROLL_BACK: rolls back and says how many were missing', () => {
    const next = decideCheck(p, at(0, 600), { firing: [], relation: 'ours', canaryRequests: 99, now: NOW });
    expect(next.decision).toBe('rollback');
    expect(next.reason).toContain('not enough traffic');
    expect(next.reason).toContain('99 of the 100');
  });

  describe('too few requests with HOLD', () => {
    const hold = plan({ insufficientTraffic: 'HOLD', maxHoldSeconds: 3600 });

    test('holds at the share, checks again after the interval, and says why', () => {
      const next = decideCheck(hold, at(0, 600), { firing: [], relation: 'ours', canaryRequests: 12, now: NOW });
      expect(next.decision).toBe('bake');
      expect(next.waitSeconds).toBe(120);
      expect(next.reason).toMatch(/^holding: .*12 of the 100/);
    });

    test('backs off while holding: a tenth of the time held, at most 5 minutes, never past maxHold', () => {
      const wait = (held: number) => decideCheck(hold, at(0, 600 + held), { firing: [], relation: 'ours', canaryRequests: 12, now: NOW }).waitSeconds;
      expect(wait(0)).toBe(120); // the check interval first
      expect(wait(1500)).toBe(150);
      expect(wait(2900)).toBe(290);
      expect(wait(3500)).toBe(100); // what is left of maxHold
      const long = plan({ insufficientTraffic: 'HOLD', maxHoldSeconds: 6 * 3600, checkIntervalSeconds: 30 });
      expect(decideCheck(long, at(0, 600 + 5 * 3600), { firing: [], relation: 'ours', canaryRequests: 0, now: NOW }).waitSeconds).toBe(MAX_HOLD_CHECK_SECONDS);
    });

    test('a 6-hour hold checked every 30 s takes about a hundred checks, not 720', () => {
      expect(holdChecks(30, 6 * 3600)).toBeLessThan(110);
      expect(holdChecks(30, 6 * 3600)).toBeGreaterThan(60);
      expect(holdChecks(10, 0)).toBe(1);
    });

    test('still holds one second before bake + maxHold', () => {
      const next = decideCheck(hold, at(0, 600 + 3599), { firing: [], relation: 'ours', canaryRequests: 12, now: NOW });
      expect(next.decision).toBe('bake');
    });

    test('stops once bake + maxHold has passed: canary to 0 % as insufficient evidence, not a regression', () => {
      const next = decideCheck(hold, at(0, 600 + 3600), { firing: [], relation: 'ours', canaryRequests: 12, now: NOW });
      expect(next.decision).toBe('rollback');
      expect(next.outcome).toBe('insufficient_evidence');
      expect(next.waitSeconds).toBe(0);
      expect(next.reason).toMatch(/^insufficient evidence, not a regression: held 60 min \(maxHold\) and still the canary served 12 of the 100 requests/);
    });

    test('enough traffic arriving during the hold advances', () => {
      const next = decideCheck(hold, at(0, 1800), { firing: [], relation: 'ours', canaryRequests: 100, now: NOW });
      expect(next.decision).toBe('advance');
    });
  });

  test.each([
    ['ROLL_BACK', 3600],
    ['HOLD', 3600],
    ['HOLD', 0],
  ] as const)('no traffic is never promoted (%s, maxHold %ss)', (insufficientTraffic, maxHoldSeconds) => {
    const strict = plan({ insufficientTraffic, maxHoldSeconds, minRequestsPerStep: 1 });
    for (const elapsed of [0, 599, 600, 601, 4200, 100_000]) {
      const next = decideCheck(strict, at(2, elapsed), { firing: [], relation: 'ours', canaryRequests: 0, now: NOW });
      expect(['bake', 'rollback']).toContain(next.decision);
    }
  });

  test('no traffic is never promoted, even by a plan that asks for 0 requests', () => {
    const lax = plan({ minRequestsPerStep: 0 });
    const next = decideCheck(lax, at(2, 900), { firing: [], relation: 'ours', canaryRequests: 0, now: NOW });
    expect(next.decision).toBe('rollback');
  });
});

describe('rollout helpers', () => {
  afterEach(() => jest.restoreAllMocks());

  test('isLastStep', () => {
    expect(isLastStep(plan(), 1)).toBe(false);
    expect(isLastStep(plan(), 2)).toBe(true);
  });

  test('progressOf throws when Start did not run', () => {
    expect(() => progressOf({ plan: plan(), release: RELEASE })).toThrow(/no progress/);
  });

  test('externalStop keeps the progress and records the outcome', () => {
    const next = externalStop(progress({ weightPercent: 25 }), 'promoted');
    expect(next).toMatchObject({ decision: 'external', externalOutcome: 'promoted', weightPercent: 25, waitSeconds: 0 });
  });

  test('caughtErrorText unwraps a Lambda error Cause', () => {
    const cause = JSON.stringify({ errorType: 'PreTrafficCheckFailed', errorMessage: 'request 1 failed' });
    expect(caughtErrorText({ Error: 'PreTrafficCheckFailed', Cause: cause })).toBe('PreTrafficCheckFailed: request 1 failed');
    expect(caughtErrorText({ Error: 'States.Timeout', Cause: 'plain text' })).toBe('States.Timeout: plain text');
    expect(caughtErrorText(undefined)).toBe('unknown error');
  });

  test('alertFacts numbers steps from 1 and stamps the time', () => {
    freezeTime(NOW);
    const target = new LambdaAliasTarget({ kind: 'lambda-alias', functionName: 'f', aliasName: 'live' });
    const facts = alertFacts({ plan: plan(), release: RELEASE, progress: progress({ stepIndex: 1, weightPercent: 25 }) }, target, 'STEP');
    expect(facts).toMatchObject({
      event: 'STEP',
      step: { number: 2, of: 3 },
      weightPercent: 25,
      stableVersion: '5',
      canaryVersion: '6',
      target: 'alias live of function f',
      at: NOW,
    });
    expect(alertFacts({ plan: plan(), release: RELEASE }, target, 'STARTED').step).toBeUndefined();
  });
});

describe('decideCheck: every guard decides or says it cannot, and the canary gets all traffic only on evidence', () => {
  const judge = { alpha: 0.01, canaryName: 'sentiment', stackName: 'Stack', guards: [], promotionMargin: 5 };
  const gated = plan({ insufficientTraffic: 'HOLD', judge }); // steps 5/25/100 %: step 2 leads to 100 %
  const seen = (blind: { name: string; why: string }[] = [], evidencePending?: string[]) => ({ firing: [], relation: 'ours' as SplitRelation, canaryRequests: 500, now: NOW, judge: { blind, evidencePending } });

  test('a blind guard holds a baked step with a reason naming it (it never passes silently)', () => {
    const next = decideCheck(gated, at(0, 700), seen([{ name: 'LatencyVsStable', why: 'no reference from stable yet' }]));
    expect(next.decision).toBe('bake');
    expect(next.hold).toBe('blind');
    expect(next.reason).toBe('holding: a judged guard cannot judge the canary: LatencyVsStable (no reference from stable yet)');
    expect(next.blindGuards).toEqual([{ name: 'LatencyVsStable', why: 'no reference from stable yet' }]);
  });

  test('a step to 100 % waits for the evidence; an earlier step does not', () => {
    const early = decideCheck(gated, at(0, 700), seen([], ['GuardrailBlockRateVsStable']));
    expect(early.decision).toBe('advance');
    const toAll = decideCheck(gated, at(1, 700), seen([], ['GuardrailBlockRateVsStable']));
    expect(toAll.decision).toBe('bake');
    expect(toAll.hold).toBe('evidence');
    expect(toAll.reason).toMatch(/do not yet rule out a 5 × regression of GuardrailBlockRateVsStable, needed before the canary gets all traffic/);
    expect(decideCheck(gated, at(1, 700), seen([], [])).decision).toBe('advance');
    // A last step at 100 % was entered through the gate: it promotes without waiting again...
    expect(decideCheck(gated, at(2, 700), seen([], ['ErrorRateVsStable'])).decision).toBe('promote');
    // ...a last step below 100 %, or a single step at 100 % (blue/green), promotes only on evidence.
    const below = plan({ judge, steps: [{ percent: 5, bakeSeconds: 600 }, { percent: 50, bakeSeconds: 600 }] });
    expect(decideCheck(below, at(1, 700), seen([], ['ErrorRateVsStable'])).hold).toBe('evidence');
    const blueGreen = plan({ judge, steps: [{ percent: 100, bakeSeconds: 600 }] });
    expect(decideCheck(blueGreen, at(0, 700), seen([], ['ErrorRateVsStable'])).hold).toBe('evidence');
    expect(decideCheck(blueGreen, at(0, 700), seen([], [])).decision).toBe('promote');
  });

  test('without the evidence by maxHold: canary to 0 % as insufficient evidence, not as a regression', () => {
    const next = decideCheck(gated, at(1, 600 + 3600), seen([], ['GuardrailBlockRateVsStable']));
    expect(next.decision).toBe('rollback');
    expect(next.outcome).toBe('insufficient_evidence');
    expect(next.reason).toMatch(/^insufficient evidence, not a regression: held 60 min \(maxHold\) and still the data do not yet rule out/);
    const blind = decideCheck(gated, at(0, 600 + 3600), seen([{ name: 'LatencyVsStable', why: 'no data from stable' }]));
    expect(blind.outcome).toBe('insufficient_evidence');
  });

  test('a step with a minimum bake passes as soon as the evidence is in, and at its bake without it', () => {
    const evidence = plan({ judge, steps: [{ percent: 10, bakeSeconds: 300, minBakeSeconds: 60 }, { percent: 50, bakeSeconds: 300, minBakeSeconds: 60 }, { percent: 100, bakeSeconds: 300, minBakeSeconds: 60 }] });
    expect(decideCheck(evidence, at(0, 59), seen([], [])).decision).toBe('bake');
    expect(decideCheck(evidence, at(0, 61), seen([], [])).decision).toBe('advance');
    expect(decideCheck(evidence, at(0, 61), seen([], ['ErrorRateVsStable'])).decision).toBe('bake');
    expect(decideCheck(evidence, at(0, 61), { ...seen([], []), canaryRequests: 10 }).decision).toBe('bake');
    expect(decideCheck(evidence, at(0, 61), seen([{ name: 'LatencyVsStable', why: 'no data' }], [])).decision).toBe('bake');
    // Not asked for the gate (undefined): no early pass.
    expect(decideCheck(evidence, at(0, 61), { ...seen(), judge: { blind: [] } }).decision).toBe('bake');
    expect(decideCheck(evidence, at(0, 300), seen([], ['ErrorRateVsStable'])).decision).toBe('advance');
    // To 100 % only with the evidence.
    expect(decideCheck(evidence, at(1, 300), seen([], ['ErrorRateVsStable'])).hold).toBe('evidence');
    expect(decideCheck(evidence, at(2, 61), seen([], [])).decision).toBe('promote');
    expect(decideCheck(evidence, at(2, 61), seen([], ['ErrorRateVsStable'])).decision).toBe('bake');
  });

  test('a guard whose change detector leans toward a regression holds the step (no advance to less evidence, no promotion) until it fires or fades', () => {
    const suspect = [{ name: 'ErrorRateVsStable', log10Evidence: 0.19, threshold: 2.56 }];
    const leaning = { ...seen([], []), judge: { blind: [], evidencePending: [], suspect } };
    for (const step of [0, 1]) {
      const next = decideCheck(gated, at(step, 700), leaning);
      expect(next.decision).toBe('bake');
      expect(next.hold).toBe('suspect');
      expect(next.reason).toBe('holding: ErrorRateVsStable (evidence 10^0.19, rolls back at 10^2.56) leans toward a regression: the step bakes on until the evidence fires or fades');
      expect(next.suspectGuards).toEqual(suspect);
    }
    // Faded: the step passes at the next look.
    expect(decideCheck(gated, at(1, 760), seen([], [])).decision).toBe('advance');
    // Never past maxHold: it ends without a verdict, as any hold does.
    expect(decideCheck(gated, at(1, 600 + 3600), leaning).outcome).toBe('insufficient_evidence');
    // The evidence-driven schedule's early pass waits too.
    const evidence = plan({ judge, steps: [{ percent: 10, bakeSeconds: 300, minBakeSeconds: 60 }, { percent: 100, bakeSeconds: 300, minBakeSeconds: 60 }] });
    expect(decideCheck(evidence, at(0, 61), leaning).decision).toBe('bake');
  });
});
