/**
 * Lambda throttles UpdateAlias (TooManyRequestsException, 429). Two layers retry: the SDK client
 * (standard mode, 3 attempts by default) and, once the client gives up, Step Functions (the handler
 * turns the throttle into TransientAwsError, which the state's Retry names).
 */
import type { RunResult, SimWorld, SimWorldOptions } from '../../sim';
import { alertEvents, exampleStack, healthyScenario, retriesOf, simulate, stepWeights } from './helpers';

function throttled(times: number, options: Partial<SimWorldOptions> = {}) {
  return simulate(exampleStack(), { scenario: healthyScenario(), ...options }, async (w) => {
    w.faults.add('UpdateAlias@set-weight', Array<'throttle'>(times).fill('throttle'));
  });
}

const updateAliasCalls = (world: SimWorld) => world.apiCalls.filter((c) => c.operation === 'UpdateAlias' && c.caller === 'set-weight');

function expectPromotedOnce(world: SimWorld, result: RunResult) {
  expect(result.status).toBe('SUCCEEDED');
  expect(stepWeights(result)).toEqual([5, 25, 50, 95]);
  expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
  expect(world.alias()).toMatchObject({ functionVersion: '2', weights: {} });
}

describe('UpdateAlias throttled twice, then accepted (SDK default: 3 attempts)', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => ({ world, result } = await throttled(2)));
  afterAll(() => world?.dispose());

  it('is absorbed by the client: attempts 1 and 2 throttled (429), attempt 3 accepted, no state retry', () => {
    const first = updateAliasCalls(world).slice(0, 3);
    expect(first.map((c) => [c.attempt, c.error])).toEqual([
      [1, 'TooManyRequestsException'],
      [2, 'TooManyRequestsException'],
      [3, undefined],
    ]);
    expect(world.faults.count('UpdateAlias')).toBe(2);
    expect(retriesOf(result, 'SetWeight')).toEqual([]);
  });

  it('still promotes, each step applied once', () => expectPromotedOnce(world, result));
});

describe('UpdateAlias throttled twice, without client retries (sdkMaxAttempts: 1)', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => ({ world, result } = await throttled(2, { sdkMaxAttempts: 1 })));
  afterAll(() => world?.dispose());

  it('retries the SetWeight state twice by the name TransientAwsError', () => {
    const retries = retriesOf(result, 'SetWeight');
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    for (const r of retries) expect(r.errors).toContain('TransientAwsError');
    const failures = result.events.filter((e) => e.type === 'StateFailed' && e.state?.name === 'SetWeight');
    expect(failures.map((e) => e.Error)).toEqual(['TransientAwsError', 'TransientAwsError']);
    expect(world.faults.count('UpdateAlias')).toBe(2);
  });

  it('still promotes, each step applied once, after only the backoff (2 s base, full jitter)', () => {
    expectPromotedOnce(world, result);
    const firstTry = updateAliasCalls(world)[0];
    const applied = result.aliasHistory.find((h) => h.by === 'set-weight')!;
    expect(applied.at - firstTry.at).toBeLessThanOrEqual(2_000 + 4_000 + 1_000);
  });
});

describe('UpdateAlias throttled four times (more than the client absorbs)', () => {
  let world: SimWorld;
  let result: RunResult;
  beforeAll(async () => ({ world, result } = await throttled(4)));
  afterAll(() => world?.dispose());

  it('fails one SetWeight attempt after 3 client attempts, and the state retry succeeds', () => {
    expect(retriesOf(result, 'SetWeight').map((r) => r.attempt)).toEqual([1]);
    expect(updateAliasCalls(world).slice(0, 5).map((c) => [c.attempt, c.error ?? 'ok'])).toEqual([
      [1, 'TooManyRequestsException'],
      [2, 'TooManyRequestsException'],
      [3, 'TooManyRequestsException'],
      [1, 'TooManyRequestsException'],
      [2, 'ok'],
    ]);
    expectPromotedOnce(world, result);
  });
});
