/**
 * A deploy whose new version has another execution role: Lambda cannot route an alias between the
 * two versions, so the rollout must fail at Start, before any traffic, with an alert that says why
 * (not at the first weight change). The simulated UpdateAlias refuses such routing as AWS does.
 */
import { type RunResult, SimWorld } from '../../sim';
import { alertEvents, exampleStack, healthyScenario, statesEntered, stepWeights } from './helpers';

describe('a new version with another execution role', () => {
  let world: SimWorld;
  let result: RunResult;

  beforeAll(async () => {
    world = SimWorld.fromStack(exampleStack(), { seed: 42, scenario: healthyScenario() });
    await world.deploy('1');
    await world.advance(120);
    const fn = [...world.lambda.functions.values()].find((f) => f.aliases.has('live'))!;
    world.lambda.publishVersion(fn.name, '2', { role: 'arn:aws:iam::123456789012:role/model-role-v2' });
    await world.deploy('2');
    result = await world.runUntilDone({ maxMinutes: 30 });
  });
  afterAll(() => world?.dispose());

  it('fails at Start: the canary never gets a share', () => {
    expect(statesEntered(result)).toContain('RollBackAfterError');
    expect(statesEntered(result)).not.toContain('SetWeight');
    expect(stepWeights(result)).toEqual([]);
    expect(world.alias()).toMatchObject({ functionVersion: '1', weights: {} });
  });

  it('alerts FAILED with the rule and what to do', () => {
    expect(alertEvents(result)).toEqual(['FAILED']);
    const reason = String(result.alerts[0]?.body?.reason);
    expect(reason).toContain('differ in execution role');
    expect(reason).toContain('same execution role and dead-letter queue');
    expect(reason).toContain('update-alias --function-version 2');
  });
});
