/**
 * A judged guard whose versions each model version names in its environment (issue 18 §5: a
 * Bedrock guardrail's version, `guardrailVersionVariable`): read at the start, used by the judge.
 */
import { CloudWatchClient, GetMetricDataCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { planWithGuardVersions, readGuardVersions } from '../../../../lambda/shared/judge/guard-versions';
import { lookAt } from '../../../../lambda/shared/judge/run';
import { alphaOf, type JudgedGuardPlan, type JudgePlan, VERSION_PLACEHOLDER } from '../../../../lambda/shared/judge-plan';
import type { TrafficTarget } from '../../../../lambda/shared/traffic-target';
import type { RolloutPlan, RolloutProgress } from '../../../../lambda/shared/types';
import { plan as basePlan, START } from './fake-cloudwatch';

const GUARDRAIL: JudgedGuardPlan = {
  name: 'BedrockGuardrailBlockRateVsStable',
  test: 'rate',
  description: "the canary's guardrail version (GUARDRAIL_VERSION) intervenes with odds more than 1.5 × the stable version's",
  events: { namespace: 'AWS/Bedrock/Guardrails', metricName: 'InvocationsIntervened', dimensions: { GuardrailArn: 'arn:g', GuardrailVersion: VERSION_PLACEHOLDER } },
  trials: { namespace: 'AWS/Bedrock/Guardrails', metricName: 'Invocations', dimensions: { GuardrailArn: 'arn:g', GuardrailVersion: VERSION_PLACEHOLDER } },
  maxRatio: 1.5,
  versionVariable: 'GUARDRAIL_VERSION',
} as JudgedGuardPlan;
const judge: JudgePlan = { ...basePlan, guards: [...basePlan.guards, GUARDRAIL] };
const release = { stableVersion: '6', canaryVersion: '7' };

function target(environments: Record<string, Record<string, string>>): TrafficTarget {
  return { description: 'alias live of function f', weightChangeSeconds: 5, versionEnvironment: async (v: string) => environments[v] ?? {} } as unknown as TrafficTarget;
}

describe('reading each version\'s guardrail version at the start', () => {
  test('both values, by guard', async () => {
    const out = await readGuardVersions(judge, release, target({ '6': { GUARDRAIL_VERSION: '2' }, '7': { GUARDRAIL_VERSION: '3', OTHER: 'x' } }));
    expect(out).toEqual({ BedrockGuardrailBlockRateVsStable: { stable: '2', canary: '3' } });
  });

  test('no guard with a variable: nothing is read', async () => {
    const versionEnvironment = jest.fn();
    expect(await readGuardVersions(basePlan, release, { versionEnvironment } as unknown as TrafficTarget)).toBeUndefined();
    expect(versionEnvironment).not.toHaveBeenCalled();
  });

  test('a version that does not set the variable: an error naming the variable, the version and what to do', async () => {
    await expect(readGuardVersions(judge, release, target({ '6': {}, '7': { GUARDRAIL_VERSION: '3' } }))).rejects.toThrow(
      /BedrockGuardrailBlockRateVsStable compares the GUARDRAIL_VERSION each version sets, and version 6 sets none: set GUARDRAIL_VERSION/,
    );
  });

  test('a target without environments per version: an error saying to give the versions', async () => {
    await expect(readGuardVersions(judge, release, { description: 'endpoint e' } as unknown as TrafficTarget)).rejects.toThrow(/endpoint e keeps no environment per version/);
  });
});

describe('the judge with the values read', () => {
  test('the guard reads its metrics by the guardrail versions; the others by the model versions', () => {
    const p = planWithGuardVersions(judge, { guardVersions: { BedrockGuardrailBlockRateVsStable: { stable: '2', canary: '3' } } } as unknown as RolloutProgress);
    expect(p.guards.map((g) => g.name)).toEqual(['ErrorRateVsStable', 'LatencyVsStable', 'BedrockGuardrailBlockRateVsStable']);
    expect(p.guards[2].versions).toEqual({ stable: '2', canary: '3' });
    expect(p.guards[0].versions).toBeUndefined();
  });

  test('both versions on one guardrail version: the guard compares nothing and is left out, the others keep their alpha', () => {
    const p = planWithGuardVersions(judge, { guardVersions: { BedrockGuardrailBlockRateVsStable: { stable: '3', canary: '3' } } } as unknown as RolloutProgress);
    expect(p.guards.map((g) => g.name)).toEqual(['ErrorRateVsStable', 'LatencyVsStable']);
    expect(alphaOf(judge, 'ErrorRateVsStable')).toBeCloseTo(0.01 / 3);
  });

  test('one look of the judge queries Bedrock by the guardrail versions read at the start', async () => {
    const cloudwatch = mockClient(CloudWatchClient);
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const progress = { startedAt: START, guardVersions: { BedrockGuardrailBlockRateVsStable: { stable: '2', canary: '3' } } } as unknown as RolloutProgress;
    const rolloutPlan = { judge, canaryName: 'sentiment' } as unknown as RolloutPlan;
    await lookAt(rolloutPlan, release, progress, target({}), START + 5 * 60, false);
    const dims = cloudwatch
      .commandCalls(GetMetricDataCommand)
      .flatMap((c) => c.args[0].input.MetricDataQueries ?? [])
      .filter((q) => q.MetricStat?.Metric?.Namespace === 'AWS/Bedrock/Guardrails')
      .map((q) => q.MetricStat!.Metric!.Dimensions!.find((d) => d.Name === 'GuardrailVersion')!.Value);
    expect(new Set(dims)).toEqual(new Set(['2', '3']));
    cloudwatch.restore();
  });
});
