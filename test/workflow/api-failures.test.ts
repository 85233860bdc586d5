/**
 * APIs that keep failing: the workflow must end with the canary at 0% and a FAILED alert (or, when
 * even the rollback cannot be done, a ROLLBACK_FAILED alert), and never promote.
 */
import type { RunResult, SimWorld } from '../../sim';
import { alertEvents, exampleStack, healthyScenario, retriesOf, simulate, stepWeights } from './helpers';

const atFivePercent = (w: SimWorld) => w.alias()?.weights['2'] === 0.05;

describe('GetMetricData always denied (AccessDenied)', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), { scenario: healthyScenario() }, async (w) => {
      w.faults.always('GetMetricData', 'accessDenied');
    }));
  });
  afterAll(() => world?.dispose());

  it('fails the first check without retrying (AccessDenied is not transient)', () => {
    expect(retriesOf(result, 'Check')).toEqual([]);
    const caught = result.events.find((e) => e.type === 'StateFailed' && e.state?.name === 'Check');
    expect(caught?.Error).toBe('AccessDenied');
  });

  it('sets the canary weight to 0 and ends FAILED with RolloutFailed', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RolloutFailed');
    expect(result.cause).toMatch(/AccessDenied/);
    const last = result.aliasHistory[result.aliasHistory.length - 1];
    expect(last).toMatchObject({ by: 'rollback', functionVersion: '1', weights: {} });
  });

  it('sends one FAILED alert with the reason, and never promotes', () => {
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'FAILED']);
    const failed = result.alerts[2];
    // The Catch put {Error, Cause} at $.error, Cause being Lambda's JSON {errorType, errorMessage, trace}:
    // the rollback step reads errorMessage out of it.
    expect(String(failed.body?.reason)).toMatch(/^AccessDenied: User is not authorized to perform: GetMetricData/);
    expect(String(failed.body?.reason)).not.toMatch(/errorType|\{/);
    expect(failed.body?.weightPercent).toBe(5);
    expect(result.aliasHistory.some((h) => h.functionVersion === '2')).toBe(false);
  });
});

describe('UpdateAlias failing with 5xx for the set-weight step from the second step on', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), { scenario: healthyScenario() }, async (w) => {
      await w.runUntil(() => atFivePercent(w));
      w.faults.always('UpdateAlias@set-weight', '5xx');
    }));
  });
  afterAll(() => world?.dispose());

  it('retries SetWeight the 6 times its Retry allows (each after 3 client attempts), then rolls back', () => {
    expect(retriesOf(result, 'SetWeight').map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(world.apiCalls.filter((c) => c.operation === 'UpdateAlias' && c.error === 'ServiceException')).toHaveLength(7 * 3);
  });

  it('ends FAILED with RolloutFailed, the canary at 0%, one FAILED alert, never promoted', () => {
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RolloutFailed');
    expect(stepWeights(result)).toEqual([5]);
    expect(world.alias()).toMatchObject({ functionVersion: '1', weights: {} });
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'FAILED']);
    expect(String(result.alerts[2].body?.reason)).toMatch(/TransientAwsError: UpdateAlias: ServiceException/);
  });
});

describe('UpdateAlias failing with 5xx for everyone from the second step on (the rollback cannot run)', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    ({ world, result } = await simulate(exampleStack(), { scenario: healthyScenario() }, async (w) => {
      await w.runUntil(() => atFivePercent(w));
      w.faults.always('UpdateAlias', '5xx');
    }));
  });
  afterAll(() => world?.dispose());

  it('retries the rollback 10 times, then ends RollbackFailed with a ROLLBACK_FAILED alert', () => {
    expect(retriesOf(result, 'RollBackAfterError')).toHaveLength(10);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RollbackFailed');
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'ROLLBACK_FAILED']);
    expect(result.alerts[2].subject).toMatch(/ACTION NEEDED/);
  });

  it('leaves the canary where it was (5%) and never promotes', () => {
    expect(world.alias()).toMatchObject({ functionVersion: '1', weights: { '2': 0.05 } });
    expect(result.aliasHistory.some((h) => h.functionVersion === '2')).toBe(false);
  });
});
