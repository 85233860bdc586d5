/**
 * waitForVerdict: `cdk deploy` (the simulated CloudFormation deploy, its provider waiter played)
 * returns only when the rollout ends; a rollout that is not promoted fails the deploy, and the
 * stack rollback (the previous template deployed again) ends clean.
 */
import { Duration } from 'aws-cdk-lib';
import { Guard, RolloutSchedule } from '../../lib';
import { DeployError, type SimWorld, SimWorld as World, type SynthesizedStack } from '../../sim';
import { canaryStack, HEALTHY } from './helpers';

function waitingStack(): SynthesizedStack {
  return canaryStack('Waiting', {
    guards: [Guard.errorRate()],
    schedule: RolloutSchedule.fromPercentages([10, 50, 100], Duration.minutes(3)),
    waitForVerdict: true,
  });
}

describe('waitForVerdict', () => {
  let stack: SynthesizedStack;
  let world: SimWorld;
  beforeAll(() => {
    stack = waitingStack();
  });
  afterEach(() => world?.dispose());

  it('a healthy release: the deploy returns once the canary is promoted', async () => {
    world = World.fromStack(stack, { seed: 5, scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY } } });
    await world.deploy('1');
    await world.advance(120);
    const started = world.now();
    const second = await world.deploy('2');
    expect(second.executionArn).toBeDefined();
    const execution = world.sfn.executions.get(second.executionArn!)!;
    expect(execution.status).toBe('SUCCEEDED');
    // Three 3-minute steps and the 10-minute post-promotion watch (it fits the 50 minutes) ran inside the deploy.
    expect((world.now() - started) / 60_000).toBeGreaterThan(19);
    const promoted = world.alerts().find((a) => a.event === 'PROMOTED')!;
    // The workflow's clock is whole seconds: the watch may end up to a second before 10 minutes of the alert's.
    expect(execution.stopDate! - promoted.at).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
    expect(world.alias()).toMatchObject({ functionVersion: '2', weights: {} });
  });

  it('a release rolled back in the post-promotion watch fails the deploy; the stack rollback ends clean', async () => {
    const failsLater = { ...HEALTHY, changes: [{ minutesAfterPromotion: 1, errorRate: 0.4 }] };
    world = World.fromStack(stack, { seed: 7, scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': failsLater } } });
    await world.deploy('1');
    await world.advance(120);
    const error = await world.deploy('2').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toMatch(/ended FAILED \(CanaryRolledBack: guard alarm in ALARM \d+ min after the promotion/);
    expect(world.alerts().some((a) => a.event === 'PROMOTED')).toBe(true);
    // Traffic is back on version 1 already; the stack rollback deploys it again and starts nothing.
    expect(world.alias()).toMatchObject({ functionVersion: '1', weights: {} });
    const rollback = await world.deploy('1');
    expect(rollback.executionArn).toBeUndefined();
    expect(world.alias()).toMatchObject({ functionVersion: '1', weights: {} });
    expect([...world.sfn.executions.values()].every((e) => e.status !== 'RUNNING')).toBe(true);
  });

  it('a rolled-back release fails the deploy; the stack rollback ends clean', async () => {
    const failing = { ...HEALTHY, errorRate: 0.4 };
    world = World.fromStack(stack, { seed: 6, scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': failing } } });
    await world.deploy('1');
    await world.advance(120);
    const error = await world.deploy('2').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toMatch(/ended FAILED \(CanaryRolledBack.*not promoted: CloudFormation rolls the stack back/);
    // CloudFormation's rollback deploys the previous template: version 1 again.
    const rollback = await world.deploy('1');
    expect(rollback.executionArn).toBeUndefined();
    expect(world.alias()).toMatchObject({ functionVersion: '1', weights: {} });
    expect([...world.sfn.executions.values()].every((e) => e.status !== 'RUNNING')).toBe(true);
  });
});
