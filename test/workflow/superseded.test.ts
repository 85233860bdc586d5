/**
 * A deploy of v3 while v2 is at 25%: the release handler stops the running rollout
 * (ListExecutions/StopExecution), sets v2 to 0%, alerts SUPERSEDED and starts the rollout of v3,
 * which is promoted.
 */
import type { ExecutionRecord, RunResult, SimWorld } from '../../sim';
import { alertEvents, exampleStack, HEALTHY, simulate, stepWeights } from './helpers';

describe('a new deploy during a rollout', () => {
  let world: SimWorld;
  let result: RunResult;
  let first: ExecutionRecord;
  let deployedAt: number;

  beforeAll(async () => {
    ({ world, result } = await simulate(
      exampleStack(),
      { scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY, '3': HEALTHY } } },
      async (w) => {
        first = w.latestExecution()!;
        await w.runUntil(() => w.alias()?.weights['2'] === 0.25);
        await w.advance(90);
        deployedAt = w.now();
        const third = await w.deploy('3');
        expect(third.action).toMatch(/^rollout started/);
      },
    ));
  });
  afterAll(() => world?.dispose());

  it('aborts the running execution with the error and cause StopExecution gave', () => {
    expect(first.status).toBe('ABORTED');
    expect(first.error).toBe('Superseded');
    expect(first.cause).toBe('superseded by a deploy of version 3');
    expect(first.events.map((e) => e.type)).toContain('ExecutionAborted');
  });

  it('sets the old canary to 0% at the deploy and alerts SUPERSEDED', () => {
    const zero = result.aliasHistory.find((h) => h.by === 'release' && h.at >= deployedAt)!;
    expect(zero).toMatchObject({ functionVersion: '1', weights: {} });
    const superseded = result.alerts.find((a) => a.event === 'SUPERSEDED')!;
    expect(superseded.body).toMatchObject({ canaryVersion: '2', weightPercent: 25 });
  });

  it('rolls out v3 from stable v1 to promotion', () => {
    expect(result.execution.executionArn).not.toBe(first.executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.execution.input)).toEqual({ release: { stableVersion: '1', canaryVersion: '3' } });
    expect(stepWeights(result)).toEqual([5, 25, 5, 25, 50, 95]);
    expect(result.aliasHistory.filter((h) => h.by === 'set-weight').map((h) => h.extraVersion)).toEqual(['2', '2', '3', '3', '3', '3']);
    expect(world.alias()).toMatchObject({ functionVersion: '3', weights: {} });
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'STEP', 'SUPERSEDED', 'STARTED', 'STEP', 'STEP', 'STEP', 'STEP', 'PROMOTED']);
  });

  it('never let the aborted execution touch the alias again', () => {
    const after = result.aliasHistory.filter((h) => h.at > deployedAt && h.extraVersion === '2');
    expect(after).toEqual([]);
  });
});
