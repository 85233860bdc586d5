import { CfnParameter, Duration } from 'aws-cdk-lib';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Template } from 'aws-cdk-lib/assertions';
import { Guard, LambdaModelCanary, SageMakerModelCanary } from '../../lib';
import { GUARDRAIL_EXCESS_EXPRESSION } from '../../lib/guards/guardrail-blocks';
import { VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { evaluate, expressionOf } from './metric-math';
import { definitionOf, flatten, modelFunction, newStack, onlyResourceOfType, resourcesOfType, sorted, STACK_NAME, synthCanary, type SynthesizedCanary, type TemplateJson } from './support';

/**
 * The AI-model guards in the synthesized template: the alarm guards on the runtime helper's
 * per-version signals (CloudWatch alarms), and the judged ones in the rollout plan's judge.
 */

const GUARDRAIL_ARN = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/sentimentguard01';
const PRICES = { inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015 };
const ALARM_GUARDS = ['TokensPerRequestRatio', 'GuardrailBlocks', 'SchemaFailureRate', 'CostPerRequest', 'CostPerRequestVsStable'];
const JUDGED_GUARDS = ['TokensPerRequestVsStable', 'GuardrailBlockRateVsStable', 'ResponseLengthVsStable', 'PredictionShift', 'BedrockGuardrailBlockRateVsStable'];

const everyAiGuard = (): Guard[] => [
  Guard.tokensPerRequestRatio(),
  Guard.tokensPerRequestVsStable(),
  Guard.guardrailBlocks(),
  Guard.guardrailBlockRateVsStable(),
  Guard.schemaFailureRate(),
  Guard.responseLengthVsStable(),
  Guard.costPerRequest({ ...PRICES, maxCost: 0.02 }),
  Guard.costPerRequestVsStable(PRICES),
  Guard.predictionShift({ classes: ['positive', 'negative'] }),
  Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: GUARDRAIL_ARN, canaryVersion: '3', stableVersion: '2' }),
];

interface MetricView {
  namespace: string;
  metricName: string;
  stat: string;
  period: number;
  dims: Record<string, string>;
}

function alarmsByName(json: TemplateJson): Record<string, any> {
  const byName: Record<string, any> = {};
  for (const a of Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm')).map((r) => r.Properties)) {
    expect(byName[a.AlarmName]).toBeUndefined();
    byName[a.AlarmName] = a;
  }
  return byName;
}

/** The metrics of a math alarm, by query id, dimensions flattened. */
function metricsOf(alarm: any): Record<string, MetricView> {
  const dims = (ds: { Name: string; Value: unknown }[]) => Object.fromEntries(ds.map((d) => [d.Name, flatten(d.Value)]));
  return Object.fromEntries(
    (alarm.Metrics ?? [])
      .filter((m: any) => m.MetricStat)
      .map((m: any) => [m.Id, { namespace: m.MetricStat.Metric.Namespace, metricName: m.MetricStat.Metric.MetricName, stat: m.MetricStat.Stat, period: m.MetricStat.Period, dims: dims(m.MetricStat.Metric.Dimensions) }]),
  );
}

function expectGuardShape(alarm: any, threshold: number, minutes: number): void {
  expect(alarm.Threshold).toBe(threshold);
  expect(alarm.EvaluationPeriods).toBe(minutes);
  expect(alarm.DatapointsToAlarm).toBe(minutes);
  expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
  expect(alarm.TreatMissingData).toBe('notBreaching');
}

describe('the expression evaluator of this file', () => {
  // The checks below lean on it: make sure it computes and refuses what it should.
  test('computes arithmetic with the usual precedence, ABS and FILL', () => {
    expect(evaluate('100 * ABS(a / b - 1)', { a: 50, b: 100 })).toBeCloseTo(50);
    expect(evaluate('1 + 2 * 3 - 4 / 2', {})).toBe(5);
    expect(evaluate('(1 + 2) * -3', {})).toBe(-9);
    expect(evaluate('10 - 4 - 3', {})).toBe(3);
    expect(evaluate('a * 1e-3', { a: 2000 })).toBeCloseTo(2);
    expect(evaluate('FILL(a, 0) / b', { a: undefined, b: 4 })).toBe(0);
    expect(evaluate('FILL(a, 0) / b', { a: 2, b: 4 })).toBe(0.5);
  });

  test('a missing metric: no datapoint next to a constant, 0 next to another series, no datapoint when both miss', () => {
    expect(evaluate('a * 2', { a: undefined })).toBeUndefined();
    expect(evaluate('ABS(a)', { a: undefined })).toBeUndefined();
    expect(evaluate('a - b', { a: 5, b: undefined })).toBe(5);
    expect(evaluate('a - b', { a: undefined, b: 5 })).toBe(-5);
    expect(evaluate('a + b', { a: undefined, b: undefined })).toBeUndefined();
    expect(evaluate('a / b', { a: 1, b: undefined })).toBe(Number.POSITIVE_INFINITY);
    // Without FILL, a minute with neither metric has no datapoint; FILL makes it a 0 instead.
    expect(evaluate('(a * 2 + b * 3) / 10', { a: undefined, b: undefined })).toBeUndefined();
    expect(evaluate('(a * 2 + FILL(b, 0) * 3) / 10', { a: undefined, b: undefined })).toBe(0);
    expect(evaluate('(a * 2 + b * 3) / 10', { a: undefined, b: 5 })).toBeCloseTo(1.5);
    expect(evaluate('(a * 2 + b * 3) / 10', { a: 5, b: undefined })).toBeCloseTo(1);
  });

  test('comparisons and AND / OR give 1 or 0', () => {
    expect(evaluate('a > b', { a: 2, b: 1 })).toBe(1);
    expect(evaluate('a > b', { a: 1, b: 1 })).toBe(0);
    expect(evaluate('a < b', { a: 1, b: 2 })).toBe(1);
    expect(evaluate('a < b', { a: 2, b: 2 })).toBe(0);
    expect(evaluate('a == b', { a: 2, b: 2 })).toBe(1);
    expect(evaluate('a == b', { a: 2, b: 3 })).toBe(0);
    expect(evaluate('a >= b', { a: 2, b: 2 })).toBe(1);
    expect(evaluate('a != b', { a: 2, b: 2 })).toBe(0);
    // Arithmetic binds tighter than comparisons, comparisons tighter than AND, AND tighter than OR.
    expect(evaluate('a / 2 > 1 + 1', { a: 6 })).toBe(1);
    expect(evaluate('a AND b > 1', { a: 1, b: 2 })).toBe(1);
    expect(evaluate('a AND b > 1', { a: 0, b: 2 })).toBe(0);
    expect(evaluate('a AND b > 1', { a: 1, b: 1 })).toBe(0);
    expect(evaluate('a OR b AND 0', { a: 1, b: 1 })).toBe(1);
    expect(evaluate('a && b || 0', { a: 1, b: 0 })).toBe(0);
  });

  test('IF(c, a[, b]): a where c is not 0, else b or no datapoint; no datapoint where c has none', () => {
    expect(evaluate('IF(c, a)', { c: 1, a: 7 })).toBe(7);
    expect(evaluate('IF(c, a)', { c: 0, a: 7 })).toBeUndefined();
    expect(evaluate('IF(c, a)', { c: undefined, a: 7 })).toBeUndefined();
    expect(evaluate('IF(c, a)', { c: 1, a: undefined })).toBeUndefined();
    expect(evaluate('IF(c, a, 0)', { c: 0, a: 7 })).toBe(0);
    expect(evaluate('IF(c, a, 0)', { c: undefined, a: 7 })).toBeUndefined();
    expect(evaluate('IF(a > b, a - b, b - a)', { a: 2, b: 5 })).toBe(3);
    expect(evaluate('IF(c, a - b)', { c: 3, a: 10, b: undefined })).toBe(10);
  });

  test('refuses what it does not know', () => {
    expect(() => evaluate('a / c', { a: 1 })).toThrow(/uses c/);
    expect(() => evaluate('SUM(a)', { a: 1 })).toThrow(/unknown token SUM/);
    expect(() => evaluate('(a + 1', { a: 1 })).toThrow(/expected \)/);
    expect(() => evaluate('a 1', { a: 1 })).toThrow(/unexpected token/);
    expect(() => evaluate('IF(a)', { a: 1 })).toThrow(/IF takes/);
    expect(() => evaluate('FILL(a, b)', { a: 1, b: 2 })).toThrow(/FILL takes/);
  });
});

describe('LambdaModelCanary with every AI-model guard', () => {
  let s: SynthesizedCanary;
  let alarms: Record<string, any>;
  let canaryVersion: string;
  let stableVersion: string;
  const prefix = `${STACK_NAME}-sentiment`;
  const name = (guard: string) => `${prefix}-${guard}`;
  const alarm = (guard: string) => {
    const a = alarms[name(guard)];
    if (!a) throw new Error(`no alarm ${name(guard)}`);
    return a;
  };

  beforeAll(() => {
    s = synthCanary({ canaryName: 'sentiment', guards: everyAiGuard() });
    alarms = alarmsByName(s.json);
    canaryVersion = `\${${s.logicalId(s.fn.currentVersion)}.Version}`;
    stableVersion = `\${${onlyResourceOfType(s.json, 'Custom::ModelCanaryRelease').id}.StableVersion}`;
  });

  const signalDims = (arm: 'canary' | 'stable') => ({ Canary: 'sentiment', Stack: STACK_NAME, Version: arm === 'canary' ? canaryVersion : stableVersion });

  function expectSignalMetrics(a: any, expected: Record<string, [string, string, 'canary' | 'stable']>): void {
    const metrics = metricsOf(a);
    expect(sorted(Object.keys(metrics))).toEqual(sorted(Object.keys(expected)));
    for (const [id, [metricName, stat, arm]] of Object.entries(expected)) {
      expect({ id, ...metrics[id] }).toEqual({ id, namespace: 'ModelCanary', metricName, stat, period: 60, dims: signalDims(arm) });
    }
  }

  test('one alarm per alarm guard and one evidence alarm per judged guard, named <stack>-<canaryName>-<guard>; nothing else', () => {
    expect(sorted(Object.keys(alarms))).toEqual(sorted([...ALARM_GUARDS, ...JUDGED_GUARDS].map(name)));
  });

  test('TokensPerRequestRatio: average TotalTokens canary / stable, above 1.5 for 10 of 10 minutes (the seed\'s TokensPerRequestVsStable alarm, renamed)', () => {
    const a = alarm('TokensPerRequestRatio');
    expectSignalMetrics(a, { canaryTokens: ['TotalTokens', 'Average', 'canary'], stableTokens: ['TotalTokens', 'Average', 'stable'] });
    expect(evaluate(expressionOf(a), { canaryTokens: 330, stableTokens: 200 })).toBeCloseTo(1.65);
    expect(evaluate(expressionOf(a), { canaryTokens: 330, stableTokens: undefined })).toBeUndefined();
    expectGuardShape(a, 1.5, 10);
  });

  test('GuardrailBlocks reads blocks and requests of both versions, above 10 a minute for 5 minutes', () => {
    const a = alarm('GuardrailBlocks');
    expectSignalMetrics(a, {
      canaryBlocks: ['GuardrailIntervened', 'Sum', 'canary'],
      canaryRequests: ['Requests', 'Sum', 'canary'],
      stableBlocks: ['GuardrailIntervened', 'Sum', 'stable'],
      stableRequests: ['Requests', 'Sum', 'stable'],
    });
    expect(expressionOf(a)).toBe(GUARDRAIL_EXCESS_EXPRESSION);
    expectGuardShape(a, 10, 5);
  });

  test('SchemaFailureRate: average SchemaInvalid of the canary as a percentage, above 1 % for 5 minutes', () => {
    const a = alarm('SchemaFailureRate');
    expectSignalMetrics(a, { canaryInvalid: ['SchemaInvalid', 'Average', 'canary'] });
    expect(evaluate(expressionOf(a), { canaryInvalid: 0.02 })).toBeCloseTo(2);
    expectGuardShape(a, 1, 5);
  });

  test('CostPerRequest: the canary\'s average input and output tokens at the given prices per 1,000, above the budget for 10 minutes', () => {
    const a = alarm('CostPerRequest');
    expectSignalMetrics(a, { canaryIn: ['InputTokens', 'Average', 'canary'], canaryOut: ['OutputTokens', 'Average', 'canary'] });
    expect(evaluate(expressionOf(a), { canaryIn: 1000, canaryOut: 1000 })).toBeCloseTo(0.018);
    // A minute whose signals have not arrived: no datapoint, never a cost of 0.
    expect(evaluate(expressionOf(a), { canaryIn: undefined, canaryOut: undefined })).toBeUndefined();
    expectGuardShape(a, 0.02, 10);
  });

  test('CostPerRequestVsStable stays an alarm: canary cost / stable\'s at the same prices, above 1.5 for 10 minutes, none without stable data', () => {
    const a = alarm('CostPerRequestVsStable');
    const e = expressionOf(a);
    expect(evaluate(e, { canaryIn: 1000, canaryOut: 2000, stableIn: 1000, stableOut: 1000 })).toBeCloseTo((3 + 30) / 18);
    expect(evaluate(e, { canaryIn: 1000, canaryOut: 2000, stableIn: undefined, stableOut: undefined })).toBeUndefined();
    expectGuardShape(a, 1.5, 10);
  });

  test('every signal alarm reads the runtime helper\'s dimension set (Canary, Stack, Version)', () => {
    for (const guard of ALARM_GUARDS) {
      for (const m of Object.values(metricsOf(alarm(guard)))) expect(sorted(Object.keys(m.dims))).toEqual(['Canary', 'Stack', 'Version']);
    }
  });

  describe('the judged AI-model guards in the plan', () => {
    let judge: any;
    beforeAll(() => {
      judge = definitionOf(s.json).States.Plan.Result.judge;
    });
    const signal = (metricName: string, extra: Record<string, string> = {}) => ({
      namespace: 'ModelCanary',
      metricName,
      dimensions: { Canary: 'sentiment', Stack: STACK_NAME, Version: VERSION_PLACEHOLDER, ...extra },
    });
    const guard = (n: string) => judge.guards.find((g: any) => g.name === n);

    test('the plan lists exactly the judged guards, in order, with alpha 0.01', () => {
      expect(judge.guards.map((g: any) => g.name)).toEqual(JUDGED_GUARDS);
      expect(judge).toMatchObject({ alpha: 0.01, canaryName: 'sentiment', stackName: STACK_NAME });
    });

    test('TokensPerRequestVsStable: a scale test on TotalTokens at stable\'s median, 1.25 ×, higher is worse', () => {
      expect(guard('TokensPerRequestVsStable')).toMatchObject({ test: 'scale', values: signal('TotalTokens'), maxRatio: 1.25, referencePercentiles: [50], direction: 'higher' });
    });

    test('GuardrailBlockRateVsStable: a rate test, GuardrailIntervened of Requests, odds 1.5 ×', () => {
      expect(guard('GuardrailBlockRateVsStable')).toMatchObject({ test: 'rate', events: signal('GuardrailIntervened'), trials: signal('Requests'), maxRatio: 1.5 });
    });

    test('ResponseLengthVsStable: a two-sided scale test on ResponseLength at stable\'s median, 1.5 ×', () => {
      expect(guard('ResponseLengthVsStable')).toMatchObject({ test: 'scale', values: signal('ResponseLength'), maxRatio: 1.5, referencePercentiles: [50], direction: 'both' });
    });

    test('PredictionShift: one Prediction count per class (Class dimension), odds 1.5 × either way', () => {
      expect(guard('PredictionShift')).toMatchObject({
        test: 'classes',
        maxRatio: 1.5,
        classes: [
          { name: 'positive', metric: signal('Prediction', { Class: 'positive' }) },
          { name: 'negative', metric: signal('Prediction', { Class: 'negative' }) },
        ],
      });
      expect(definitionOf(s.json).States.Plan.Result.predictionShift).toBeUndefined();
    });

    test('BedrockGuardrailBlockRateVsStable: Bedrock\'s own counts by guardrail version, the versions given literally', () => {
      const metric = (metricName: string) => ({ namespace: 'AWS/Bedrock/Guardrails', metricName, dimensions: { GuardrailArn: GUARDRAIL_ARN, GuardrailVersion: VERSION_PLACEHOLDER } });
      expect(guard('BedrockGuardrailBlockRateVsStable')).toMatchObject({
        test: 'rate',
        events: metric('InvocationsIntervened'),
        trials: metric('Invocations'),
        versions: { canary: '3', stable: '2' },
        maxRatio: 1.5,
      });
    });

    test('every judged guard has an evidence alarm at log10(1 / (alpha / 5)), not version-scoped', () => {
      const plan = definitionOf(s.json).States.Plan.Result;
      for (const g of JUDGED_GUARDS) {
        expect(alarm(g).Threshold).toBeCloseTo(Math.log10(5 / 0.01), 10);
        expect(plan.guardAlarmNames).toContain(name(g));
        expect(plan.versionScopedAlarmNames).not.toContain(name(g));
      }
      expect(sorted(plan.versionScopedAlarmNames)).toEqual(sorted(ALARM_GUARDS.map(name)));
    });
  });
});

/**
 * GuardrailBlocks must never fire for a canary that behaves exactly like stable, whatever its share:
 * the seed's "10 blocks a minute" counted at a 50 % share of a busy endpoint is a rollback of a
 * healthy canary. The expression counts only excess blocks beyond what stable's rate predicts, and
 * only beyond Poisson noise.
 */
describe('GuardrailBlocks counts only excess blocks at the canary\'s share', () => {
  const e = GUARDRAIL_EXCESS_EXPRESSION;
  const minute = (canaryRequests: number, canaryBlocks: number | undefined, stableRequests: number | undefined, stableBlocks: number | undefined) =>
    evaluate(e, { canaryRequests, canaryBlocks, stableRequests, stableBlocks });

  test.each([
    ['5 % share', 500, 9500],
    ['50 % share', 5000, 5000],
    ['95 % share', 9500, 500],
  ])('a canary blocked exactly as often as stable (2 %%) at a %s of 10,000 requests a minute gives 0', (_share, canary, stable) => {
    expect(minute(canary, canary * 0.02, stable, stable * 0.02)).toBe(0);
  });

  test('noise: a canary a few blocks above its expected count (within 3 standard deviations) gives 0', () => {
    // Expected 100 blocks (2 % of 5,000): 3 × √101 ≈ 30 blocks of noise allowed.
    expect(minute(5000, 125, 5000, 100)).toBe(0);
  });

  test('a canary blocked far more often than stable gives its excess blocks', () => {
    // Expected 10 of 500 requests at stable's 2 %; 60 blocked: 50 excess, far beyond 3 × √11.
    expect(minute(500, 60, 9500, 190)).toBeCloseTo(50);
  });

  test('stable served requests without a block (no GuardrailIntervened datapoint): every canary block beyond noise counts', () => {
    expect(minute(100, 12, 200, undefined)).toBe(12);
    expect(minute(100, 2, 200, undefined)).toBe(0);
  });

  test('no stable requests (the 100 % step): no datapoint', () => {
    expect(minute(100, 50, undefined, undefined)).toBeUndefined();
  });

  test('without the share correction the seed\'s count would fire: the test can tell (50 % share, 2 % rate, 12,000 requests a minute)', () => {
    const naive = 'IF(stableRequests, IF(canaryBlocks / canaryRequests > FILL(stableBlocks, 0) / stableRequests, canaryBlocks, 0))';
    // Noise puts the canary at 2.1 % this minute: the naive count is its 126 blocks, the excess guard 0.
    expect(evaluate(naive, { canaryRequests: 6000, canaryBlocks: 126, stableRequests: 6000, stableBlocks: 120 })).toBe(126);
    expect(minute(6000, 126, 6000, 120)).toBe(0);
  });
});

describe('signal guards with custom settings', () => {
  test('every signal metric is read from signalsNamespace, the judged ones included', () => {
    const s = synthCanary({ signalsNamespace: 'Team/Signals', guards: everyAiGuard() });
    for (const a of Object.values(alarmsByName(s.json))) {
      for (const m of Object.values(metricsOf(a))) expect(['Team/Signals', 'ModelCanary/Judge']).toContain(m.namespace);
    }
    const judge = definitionOf(s.json).States.Plan.Result.judge;
    for (const g of judge.guards.filter((x: any) => x.name !== 'BedrockGuardrailBlockRateVsStable')) {
      const metrics = [g.events, g.trials, g.values, ...(g.classes ?? []).map((k: any) => k.metric)].filter(Boolean);
      for (const m of metrics) expect(m.namespace).toBe('Team/Signals');
    }
  });

  test('thresholds and windows follow the props', () => {
    const s = synthCanary({
      guards: [
        Guard.tokensPerRequestRatio({ maxRatio: 2, window: Duration.minutes(3) }),
        Guard.guardrailBlocks({ maxPerMinute: 4, window: Duration.minutes(2) }),
        Guard.schemaFailureRate({ maxPercent: 0, window: Duration.minutes(1) }),
        Guard.costPerRequestVsStable({ ...PRICES, maxRatio: 1.2, window: Duration.minutes(4) }),
        Guard.tokensPerRequestVsStable({ maxRatio: 1.1 }),
        Guard.predictionShift({ classes: ['a', 'b', 'c'], maxRatio: 3 }),
      ],
    });
    const alarms = alarmsByName(s.json);
    const prefix = `${STACK_NAME}-Canary`;
    expectGuardShape(alarms[`${prefix}-TokensPerRequestRatio`], 2, 3);
    expectGuardShape(alarms[`${prefix}-GuardrailBlocks`], 4, 2);
    expectGuardShape(alarms[`${prefix}-SchemaFailureRate`], 0, 1);
    expectGuardShape(alarms[`${prefix}-CostPerRequestVsStable`], 1.2, 4);
    const judge = definitionOf(s.json).States.Plan.Result.judge;
    expect(judge.guards.map((g: any) => [g.name, g.maxRatio])).toEqual([
      ['TokensPerRequestVsStable', 1.1],
      ['PredictionShift', 3],
    ]);
    expect(judge.guards[1].classes.map((k: any) => k.name)).toEqual(['a', 'b', 'c']);
  });

  test('deploy-time parameters as thresholds and prices: referenced, and descriptions name the ratio instead of a made-up percentage', () => {
    const stack = newStack();
    const ratio = new CfnParameter(stack, 'TokenRatio', { type: 'Number', default: 1.5 }).valueAsNumber;
    const price = new CfnParameter(stack, 'InputPrice', { type: 'Number', default: 0.003 }).valueAsNumber;
    new LambdaModelCanary(stack, 'Canary', {
      modelFunction: modelFunction(stack),
      guards: [Guard.tokensPerRequestRatio({ maxRatio: ratio }), Guard.costPerRequestVsStable({ inputTokenPricePer1k: price, outputTokenPricePer1k: 0.015 })],
    });
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const alarms = alarmsByName(json);
    const tokens = alarms[`${STACK_NAME}-Canary-TokensPerRequestRatio`];
    expect(tokens.Threshold).toEqual({ Ref: 'TokenRatio' });
    expect(JSON.stringify(tokens.AlarmDescription)).toContain('times stable');
    expect(JSON.stringify(alarms[`${STACK_NAME}-Canary-CostPerRequestVsStable`].Metrics)).toContain('InputPrice');
  });
});

describe('SageMakerModelCanary with the AI-model guards', () => {
  const stack = newStack();
  const model = new sagemaker.CfnModel(stack, 'Model', {
    executionRoleArn: 'arn:aws:iam::123456789012:role/sm',
    primaryContainer: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1' },
  });
  new SageMakerModelCanary(stack, 'Summarizer', { model, instanceType: 'ml.m5.large', endpointName: 'summarizer', canaryName: 'summarizer', guards: [Guard.errorRate(), ...everyAiGuard()] });
  const json = Template.fromStack(stack).toJSON() as TemplateJson;
  const alarms = alarmsByName(json);
  const modelName = `\${${stack.resolve(model.logicalId)}.ModelName}`;

  test('the signal alarms and SageMaker\'s own ModelErrorRate (added with the error-rate guard) exist, named after the canary', () => {
    expect(sorted(Object.keys(alarms))).toEqual(sorted(['ErrorRate', 'ModelErrorRate', ...ALARM_GUARDS, ...JUDGED_GUARDS].map((g) => `${STACK_NAME}-summarizer-${g}`)));
  });

  test('the Version dimension of the signal alarms is the model name (= the canary variant) for the canary', () => {
    const a = alarms[`${STACK_NAME}-summarizer-SchemaFailureRate`];
    expect(metricsOf(a).canaryInvalid.dims).toEqual({ Canary: 'summarizer', Stack: STACK_NAME, Version: modelName });
  });

  test('the evidence alarms carry the canary variant as Version', () => {
    const a = alarms[`${STACK_NAME}-summarizer-TokensPerRequestVsStable`];
    const dims = Object.fromEntries(a.Dimensions.map((d: any) => [d.Name, flatten(d.Value)]));
    expect(dims).toEqual({ Canary: 'summarizer', Stack: STACK_NAME, Guard: 'TokensPerRequestVsStable', Version: modelName });
  });
});

describe('Guard.bedrockGuardrailBlockRateVsStable with guardrailVersionVariable', () => {
  test('the plan names the variable, not literal versions: the start step reads both versions\' values', () => {
    const s = synthCanary({ guards: [Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: GUARDRAIL_ARN, guardrailVersionVariable: 'GUARDRAIL_VERSION' })] });
    const guard = definitionOf(s.json).States.Plan.Result.judge.guards.find((g: { name: string }) => g.name === 'BedrockGuardrailBlockRateVsStable');
    expect(guard.versionVariable).toBe('GUARDRAIL_VERSION');
    expect(guard.versions).toBeUndefined();
    expect(guard.description).toContain('GUARDRAIL_VERSION');
  });

  test('on a SageMaker canary (no environment per version the workflow reads) it is a synth error saying what to give instead', () => {
    const stack = newStack();
    const model = new sagemaker.CfnModel(stack, 'Model', {
      executionRoleArn: 'arn:aws:iam::123456789012:role/sm',
      primaryContainer: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1' },
    });
    const guards = [Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: GUARDRAIL_ARN, guardrailVersionVariable: 'GUARDRAIL_VERSION' })];
    expect(() => new SageMakerModelCanary(stack, 'Summarizer', { model, instanceType: 'ml.m5.large', guards })).toThrow(/guardrailVersionVariable needs a target whose versions keep their own environment.*give canaryVersion and stableVersion/);
  });
});
