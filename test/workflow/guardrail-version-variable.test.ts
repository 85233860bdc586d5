/**
 * A Bedrock guardrail guard that reads each version's guardrail version from its environment
 * (docs/bedrock.md), end to end in the simulator: the simulated versions keep the function's
 * environment, as Lambda's published versions do, so the start step finds the variable.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Guard, LambdaModelCanary, RolloutSchedule } from '../../lib';
import { SimWorld, synthesizeStack } from '../../sim';
import { modelFunction } from '../lib/support';
import { healthyScenario, startRollout } from './helpers';

const GUARDRAIL = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/abcd1234efgh';

const stack = synthesizeStack((app) => {
  const s = new Stack(app, 'GuardrailStack');
  new LambdaModelCanary(s, 'Canary', {
    modelFunction: modelFunction(s, 'Model', { environment: { GUARDRAIL_VERSION: '3' } }),
    schedule: RolloutSchedule.fromPercentages([50, 100], Duration.minutes(3)),
    postPromotionWatch: Duration.seconds(0),
    guards: [...Guard.defaults(), Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: GUARDRAIL, guardrailVersionVariable: 'GUARDRAIL_VERSION' })],
  });
  return s;
});

test('a release that keeps its guardrail version: the guard judges nothing, the STARTED alert says so, the canary is promoted', async () => {
  const world = SimWorld.fromStack(stack, { seed: 3, scenario: healthyScenario() });
  try {
    await startRollout(world);
    const r = await world.runUntilDone({ maxMinutes: 60 });
    expect(r.status).toBe('SUCCEEDED');
    const started = r.alerts.find((a) => a.event === 'STARTED');
    expect(started?.body?.reason).toContain('BedrockGuardrailBlockRateVsStable not judged: both versions name 3');
  } finally {
    world.dispose();
  }
}, 120_000);
