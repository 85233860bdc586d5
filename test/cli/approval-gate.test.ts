/**
 * An approval gate before 100 %, through the synthesized state machine and the real handlers: the
 * rollout holds at 50 % after its bake, alerts with the command to run, and goes on only after
 * `cdk-model-canary approve`; without one it rolls back at the timeout.
 */
import { Duration } from 'aws-cdk-lib';
import { run } from '../../cli/main';
import { Guard, RolloutSchedule } from '../../lib';
import { type SimWorld, SimWorld as World, type SynthesizedStack } from '../../sim';
import { canaryStack, HEALTHY, startRollout, statesEntered } from '../workflow/helpers';

function gatedStack(): SynthesizedStack {
  return canaryStack('Gated', {
    guards: [Guard.errorRate()],
    schedule: RolloutSchedule.fromPercentages([10, 50, 100], Duration.minutes(5)),
    approvalGates: [100],
    approvalTimeout: Duration.minutes(30),
    // The gate is the subject here; the rollout ends at the promotion (no watch states at all).
    postPromotionWatch: Duration.seconds(0),
  });
}

const percent = (world: SimWorld) => Object.values(world.alias()?.weights ?? {})[0] ?? 0;

describe('an approval gate before 100 %', () => {
  let stack: SynthesizedStack;
  let world: SimWorld;
  beforeAll(() => {
    stack = gatedStack();
  });
  afterEach(() => world?.dispose());

  it('holds at the share before the gate until approve, then promotes', async () => {
    world = World.fromStack(stack, { seed: 3, scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY } } });
    await startRollout(world);
    await world.advance(2 * 60);
    // Not at the gate yet: an early approval would approve the wrong step.
    const early: string[] = [];
    expect(await world.drive(run(['approve', 'Canary'], { out: (t) => early.push(t), err: (t) => early.push(t) }))).toBe(4);
    expect(early.join('\n')).toContain('not waiting at an approval gate');
    await world.advance(23 * 60);
    expect(percent(world)).toBeGreaterThan(0);
    expect(world.latestExecution()?.status).toBe('RUNNING');
    const alert = world.alerts().find((a) => a.event === 'APPROVAL_NEEDED');
    expect(alert?.body?.reason).toContain('cdk-model-canary approve "Canary" --stack Gated');
    const out: string[] = [];
    expect(await world.drive(run(['approve', 'Canary'], { out: (t) => out.push(t), err: (t) => out.push(t) }))).toBe(0);
    const result = await world.runUntilDone({ maxMinutes: 10 });
    expect(result.status).toBe('SUCCEEDED');
    expect(world.alias()).toMatchObject({ functionVersion: '2', weights: {} });
    expect(statesEntered(result).slice(-3)).toEqual(['Promote', 'PromotedOrNot', 'Promoted']);
    expect(result.alerts.some((a) => a.event === 'OPERATOR' && a.subject?.includes('approve by user/operator'))).toBe(true);
  });

  it('rolls back when nobody approves within the timeout', async () => {
    world = World.fromStack(stack, { seed: 4, scenario: { requestsPerSecond: 10, versions: { '1': HEALTHY, '2': HEALTHY } } });
    await startRollout(world);
    const result = await world.runUntilDone({ maxMinutes: 120 });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    expect(result.alerts.find((a) => a.event === 'ROLLED_BACK')?.body?.reason).toContain('nobody approved');
    expect(percent(world)).toBe(0);
  });
});
