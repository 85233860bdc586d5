/**
 * The CLI against the simulated AWS: every command through cli/main.ts's run(), as a person types
 * it, on the example app's Lambda canary; the workflow is the synthesized state machine with the
 * real handlers. Each test fails if its command has no effect.
 */
import { run } from '../../cli/main';
import type { SimWorld } from '../../sim';
import { SimWorld as World } from '../../sim';
import { ALARMS, exampleStack, healthyScenario, startRollout, statesEntered, stepWeights } from '../workflow/helpers';

const CANARY = 'SentimentCanary';
const STACK = 'ModelCanaryExample';

async function cli(world: SimWorld, ...args: string[]): Promise<{ code: number; out: string; json?: any }> {
  const lines: string[] = [];
  const code = await world.drive(run([...args, '--stack', STACK], { out: (t) => lines.push(t), err: (t) => lines.push(t) }));
  const out = lines.join('\n');
  let json: any;
  try {
    json = JSON.parse(out);
  } catch {
    json = undefined;
  }
  return { code, out, json };
}

function newWorld(): SimWorld {
  return World.fromStack(exampleStack(), { seed: 7, scenario: healthyScenario() });
}

const canaryPercent = (world: SimWorld) => Object.values(world.alias()?.weights ?? {})[0] ?? 0;

describe('cdk-model-canary CLI on a simulated rollout', () => {
  let world: SimWorld;
  afterEach(() => world?.dispose());

  it('status prints what a person needs: step, weights, time in step, every guard', async () => {
    world = newWorld();
    await startRollout(world);
    await world.advance(4 * 60);
    const human = await cli(world, 'status', CANARY);
    expect(human.code).toBe(0);
    expect(human.out).toContain('SentimentCanary');
    expect(human.out).toMatch(/traffic: +stable v1 95%, canary v2 5%/);
    expect(human.out).toMatch(/step: +1 of 4 at 5%, \d+ min \d+ s in step, bake ends in \d+ min/);
    expect(human.out).toContain('in progress');
    for (const alarm of Object.values(ALARMS)) expect(human.out).toContain(alarm);
    const json = (await cli(world, 'status', CANARY, '--json')).json;
    expect(json).toMatchObject({ canary: CANARY, stack: STACK, weights: { stableVersion: '1', canaryVersion: '2', canaryPercent: 5 }, rollout: { status: 'RUNNING', outcome: 'in progress', step: { number: 1, of: 4, percent: 5 } } });
    expect(json.rollout.secondsInStep).toBeGreaterThan(3 * 60);
    expect(json.guards.map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(Object.values(ALARMS)));
  });

  it('list finds the canaries by their descriptors; an unknown name exits 3 and names the known ones', async () => {
    world = newWorld();
    await world.deploy('1');
    const list = await cli(world, 'list', '--json');
    expect(list.code).toBe(0);
    expect(list.json.map((d: { canaryName: string }) => d.canaryName)).toContain(CANARY);
    const unknown = await cli(world, 'status', 'NoSuchCanary');
    expect(unknown.code).toBe(3);
    expect(unknown.out).toContain('no canary named "NoSuchCanary"');
    expect(unknown.out).toContain(CANARY);
  });

  it('a command without a rollout in flight exits 4 and says why', async () => {
    world = newWorld();
    await world.deploy('1');
    const r = await cli(world, 'pause', CANARY);
    expect(r.code).toBe(4);
    expect(r.out).toContain('no rollout of SentimentCanary is in flight');
  });

  it('pause holds the share past its bake and stops the bake clock; resume goes on where it stopped', async () => {
    world = newWorld();
    await startRollout(world);
    await world.advance(3 * 60);
    const paused = await cli(world, 'pause', CANARY, '--json', '--reason', 'checking a dashboard');
    expect(paused.code).toBe(0);
    expect(paused.json).toMatchObject({ command: 'pause', by: expect.stringContaining('user/operator') });
    await world.advance(20 * 60);
    // 23 minutes in, a 10-minute step: without the pause it would be at 25 % or more.
    expect(canaryPercent(world)).toBeCloseTo(0.05);
    const status = (await cli(world, 'status', CANARY, '--json')).json;
    expect(status.rollout).toMatchObject({ waitingFor: 'paused', pausedBy: 'user/operator' });
    expect(world.alerts().some((a) => a.event === 'OPERATOR' && a.subject?.includes('pause by user/operator'))).toBe(true);
    expect((await cli(world, 'resume', CANARY)).code).toBe(0);
    const resumedAt = world.now();
    await world.runUntil(() => canaryPercent(world) > 0.05, { maxMinutes: 15 });
    // About 7 minutes of bake were left when it paused.
    expect((world.now() - resumedAt) / 60_000).toBeGreaterThan(6);
    expect((world.now() - resumedAt) / 60_000).toBeLessThan(9);
    const result = await world.runUntilDone({ maxMinutes: 60 });
    expect(result.status).toBe('SUCCEEDED');
  });

  it('abort sets the canary to 0 % within seconds, ends the rollout as rolled back, and the alert says who', async () => {
    world = newWorld();
    await startRollout(world);
    await world.advance(12 * 60);
    expect(canaryPercent(world)).toBeCloseTo(0.25);
    process.env.SIM_CALLER_ARN = 'arn:aws:sts::123456789012:assumed-role/Admin/alice';
    try {
      const r = await cli(world, 'abort', CANARY, '--reason', 'bad answers in support tickets');
      expect(r.code).toBe(0);
    } finally {
      delete process.env.SIM_CALLER_ARN;
    }
    const abortedAt = world.now();
    await world.runUntil(() => canaryPercent(world) === 0, { maxMinutes: 1 });
    expect((world.now() - abortedAt) / 1000).toBeLessThan(10);
    const result = await world.runUntilDone({ maxMinutes: 5 });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CanaryRolledBack');
    const alert = result.alerts.find((a) => a.event === 'ROLLED_BACK');
    expect(alert?.body?.reason).toContain('aborted by assumed-role/Admin/alice: bad answers in support tickets');
  });

  it('promote skips the remaining steps; while a guard fires it is refused (exit 4) unless --force', async () => {
    world = newWorld();
    await startRollout(world);
    await world.advance(3 * 60);
    world.setAlarmState(ALARMS.latencyP95, 'ALARM', 'set by the test');
    // The fast path reacts to the alarm at once; read the refusal before the workflow does.
    const refused = await cli(world, 'promote', CANARY);
    expect(refused.code).toBe(4);
    expect(refused.out).toContain(`guard ${ALARMS.latencyP95} fires`);
    expect(refused.out).toContain('--force');
  });

  it('promote --force holds the alarm fast path back: the canary is promoted although a guard fires', async () => {
    world = newWorld();
    await startRollout(world);
    // Just after a check (they run at :21 and :51 here): the command stays pending while the fast path reacts.
    await world.advance(3 * 60 + 25);
    expect((await cli(world, 'promote', CANARY, '--force', '--reason', 'known false alarm')).code).toBe(0);
    world.setAlarmState(ALARMS.latencyP95, 'ALARM', 'set by the test');
    const result = await world.runUntilDone({ maxMinutes: 5 });
    expect(result.status).toBe('SUCCEEDED');
    // The operator overrode the guards: no post-promotion watch to undo it.
    expect(statesEntered(result)).not.toContain('WatchCheck');
    expect(result.alerts.find((a) => a.event === 'PROMOTED')?.body?.reason).toContain('no post-promotion watch after --force');
    expect(world.alias()).toMatchObject({ functionVersion: '2', weights: {} });
    expect(world.logs.some((l) => l.text.includes('promote --force by user/operator is pending'))).toBe(true);
    expect(result.alerts.find((a) => a.event === 'OPERATOR')?.subject).toContain('promote by user/operator');
  });

  it('promote promotes at the next check, long before the schedule would', async () => {
    world = newWorld();
    await startRollout(world);
    await world.advance(3 * 60);
    const r = await cli(world, 'promote', CANARY);
    expect(r.code).toBe(0);
    // The next check promotes; the 10-minute post-promotion watch follows.
    const result = await world.runUntilDone({ maxMinutes: 15 });
    expect(result.status).toBe('SUCCEEDED');
    expect(world.alias()).toMatchObject({ functionVersion: '2', weights: {} });
    expect(stepWeights(result)).toEqual([5]);
    expect(result.alerts.find((a) => a.event === 'PROMOTED')?.body?.reason).toContain('promoted by user/operator');
  });

  it('history lists the outcomes; retry runs the rolled-back release again without a deploy', async () => {
    world = newWorld();
    await startRollout(world);
    await world.advance(2 * 60);
    expect((await cli(world, 'abort', CANARY)).code).toBe(0);
    await world.runUntilDone({ maxMinutes: 5 });
    const history = await cli(world, 'history', CANARY, '--json');
    expect(history.json[0]).toMatchObject({ outcome: 'rolled back', release: { stableVersion: '1', canaryVersion: '2' } });
    const retried = await cli(world, 'retry', CANARY, '--json');
    expect(retried.code).toBe(0);
    expect(retried.json.execution).toMatch(/^retry-2-/);
    const result = await world.runUntilDone({ maxMinutes: 60 });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.alerts.filter((a) => a.event === 'STARTED').pop()?.body?.reason).toContain('retried by user/operator');
    // Nothing left to retry once it promoted.
    expect((await cli(world, 'retry', CANARY)).code).toBe(4);
  });
});
