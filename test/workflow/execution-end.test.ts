/**
 * No canary left at its share: an execution stopped by hand ends with the canary at 0 % and an
 * alert, through the rule on the workflow's own status changes
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html). A rollout
 * superseded by a newer deploy is left to that deploy, and the workflow's own rollback alerts once.
 */
import type { SimWorld } from '../../sim';
import { SimWorld as World } from '../../sim';
import { alertEvents, exampleStack, healthyScenario, startRollout, stepWeights } from './helpers';

async function untilCanaryHasTraffic(world: SimWorld): Promise<void> {
  for (let i = 0; i < 30 && stepWeights(world.result(world.latestExecution()!)).length === 0; i++) await world.advance(30);
}

describe('an execution stopped by hand (console "Stop execution")', () => {
  let world: SimWorld;
  beforeAll(async () => {
    world = World.fromStack(exampleStack(), { seed: 21, scenario: healthyScenario() });
    await startRollout(world);
    await untilCanaryHasTraffic(world);
    const execution = world.latestExecution()!;
    world.sfn.stopExecution({ executionArn: execution.executionArn });
    await world.runUntilDone({ maxMinutes: 10 });
  });
  afterAll(() => world?.dispose());

  it('sets the canary to 0 and alerts', () => {
    const result = world.result(world.latestExecution()!);
    expect(result.status).toBe('ABORTED');
    expect(stepWeights(result)).toEqual([5]);
    const last = result.aliasHistory[result.aliasHistory.length - 1];
    expect(last).toMatchObject({ by: 'on-execution-end', extraPercent: 0 });
    const alert = result.alerts[result.alerts.length - 1];
    expect(alert.event).toBe('FAILED');
    expect(String(alert.body?.reason)).toMatch(/the rollout workflow was stopped.*the canary was set to 0%/);
    expect(alertEvents(result)).toEqual(['STARTED', 'STEP', 'FAILED']);
  });
});

describe('an execution stopped by a newer release (Superseded)', () => {
  let world: SimWorld;
  beforeAll(async () => {
    world = World.fromStack(exampleStack(), { seed: 22, scenario: healthyScenario() });
    await startRollout(world);
    await untilCanaryHasTraffic(world);
    await world.deploy('3');
    await world.advance(60);
  });
  afterAll(() => world?.dispose());

  it('is left to the new release: the status-change handler does nothing', () => {
    const ended = world.logs.filter((l) => JSON.stringify(l).includes('stopped by a newer release'));
    expect(ended.length).toBeGreaterThan(0);
    expect(world.aliasHistory().some((h) => h.by === 'on-execution-end')).toBe(false);
  });
});
