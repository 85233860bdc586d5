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
    // Three 3-minute steps ran inside the deploy.
    expect((world.now() - started) / 60_000).toBeGreaterThan(9);
    expect(world.alias()).toMatchObject({ functionVersion: '2', weights: {} });
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
