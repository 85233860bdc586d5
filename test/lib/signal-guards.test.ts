import { CfnParameter, Duration, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { LambdaModelCanary, SageMakerModelCanary, type SageMakerModelCanaryProps } from '../../lib';
import {
  definitionOf,
  flatten,
  grantsOfRole,
  modelFunction,
  newStack,
  onlyResourceOfType,
  resourcesOfType,
  roleOfFunction,
  sorted,
  STACK_NAME,
  synthCanary,
  type SynthesizedCanary,
  type TemplateJson,
} from './support';

/**
 * The AI-model signal guards (issue 3) in the synthesized template: one alarm per signal, on the
 * runtime helper's per-version metrics, plus the Bedrock guardrail-version guard, and the
 * prediction-shift guard in the rollout plan.
 */

const BASE_GUARDS = ['ErrorRate', 'LatencyP95', 'ErrorRateVsStable', 'LatencyP95VsStable'];
const SIGNAL_GUARDS = [
  'TokensPerRequestVsStable',
  'GuardrailBlocks',
  'GuardrailBlockRateVsStable',
  'SchemaFailureRate',
  'ResponseLengthShift',
  'CostPerRequest',
  'CostPerRequestVsStable',
];
const BEDROCK_GUARD = 'BedrockGuardrailBlockRateVsStable';
const ALL_NEW_GUARDS = [...SIGNAL_GUARDS, BEDROCK_GUARD];
const GUARDRAIL_ARN = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/sentimentguard01';

const alarmArn = (name: string) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`;

interface MetricView {
  namespace: string;
  metricName: string;
  stat: string;
  period: number;
  dims: Record<string, string>;
}

/** Every alarm of a template by its AlarmName. */
function alarmsByName(json: TemplateJson): Record<string, any> {
  const alarms = Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const byName: Record<string, any> = {};
  for (const a of alarms) {
    expect(byName[a.AlarmName]).toBeUndefined();
    byName[a.AlarmName] = a;
  }
  return byName;
}

function alarmOf(json: TemplateJson, name: string): any {
  const alarm = alarmsByName(json)[name];
  if (!alarm) throw new Error(`no alarm named ${name}`);
  return alarm;
}

/** The metrics an alarm reads, by query id ("single" for a single-metric alarm), dimensions flattened. */
function metricsOf(alarm: any): Record<string, MetricView> {
  const dims = (ds: { Name: string; Value: unknown }[]) => Object.fromEntries(ds.map((d) => [d.Name, flatten(d.Value)]));
  if (alarm.MetricName) {
    return {
      single: {
        namespace: alarm.Namespace,
        metricName: alarm.MetricName,
        stat: alarm.ExtendedStatistic ?? alarm.Statistic,
        period: alarm.Period,
        dims: dims(alarm.Dimensions),
      },
    };
  }
  return Object.fromEntries(
    alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [
      m.Id,
      {
        namespace: m.MetricStat.Metric.Namespace,
        metricName: m.MetricStat.Metric.MetricName,
        stat: m.MetricStat.Stat,
        period: m.MetricStat.Period,
        dims: dims(m.MetricStat.Metric.Dimensions),
      },
    ]),
  );
}

/** The one expression whose result the alarm evaluates. */
function expressionOf(alarm: any): string {
  const returned = (alarm.Metrics ?? []).filter((m: any) => m.ReturnData !== false);
  expect(returned).toHaveLength(1);
  expect(returned[0].Expression).toBeDefined();
  return returned[0].Expression;
}

/**
 * Evaluates a CloudWatch metric-math expression of the shapes these guards use (+ - * /, ABS,
 * FILL(x, 0)) for one datapoint. `undefined` stands for a metric with no datapoint: FILL turns it
 * into the fill value, anything else makes the result missing (undefined).
 */
function evaluate(expression: string, values: Record<string, number | undefined>): number | undefined {
  let js = expression.replace(/FILL\(\s*([a-zA-Z]\w*)\s*,\s*([\d.]+)\s*\)/g, (_m, id: string, fill: string) =>
    values[id] === undefined ? fill : `(${values[id]})`,
  );
  js = js.replace(/\bABS\(/g, 'Math.abs(');
  let missing = false;
  js = js.replace(/\b([a-z]\w*)\b/g, (id: string) => {
    if (id === 'abs') return id;
    if (!(id in values)) throw new Error(`expression ${expression} uses ${id}, which the test gave no value`);
    if (values[id] === undefined) missing = true;
    return `(${values[id] ?? 0})`;
  });
  if (!/^[\d\s.+\-*/()Math.abs]*$/.test(js)) throw new Error(`cannot evaluate ${expression} (${js})`);
  return missing ? undefined : (new Function(`return (${js});`)() as number);
}

/** Window and threshold of a guard alarm, and the fixed settings every guard shares. */
function expectGuardShape(alarm: any, threshold: number, minutes: number): void {
  expect(alarm.Threshold).toBe(threshold);
  expect(alarm.EvaluationPeriods).toBe(minutes);
  expect(alarm.DatapointsToAlarm).toBe(minutes);
  expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
  expect(alarm.TreatMissingData).toBe('notBreaching');
}

/** The versionScopedAlarmNames the EventBridge rule passes to the on-alarm function. */
function fastPathScopedNames(json: TemplateJson): string[] {
  const { resource: rule } = onlyResourceOfType(json, 'AWS::Events::Rule');
  const target = rule.Properties.Targets[0];
  const input = flatten(target.InputTemplate ?? target.InputTransformer.InputTemplate);
  const m = /"versionScopedAlarmNames":(\[[^\]]*\])/.exec(input);
  if (!m) throw new Error(`the rule input has no versionScopedAlarmNames: ${input}`);
  return JSON.parse(m[1]) as string[];
}

function ruleAlarmArns(json: TemplateJson): string[] {
  const { resource: rule } = onlyResourceOfType(json, 'AWS::Events::Rule');
  return rule.Properties.EventPattern.resources.map(flatten);
}

describe('the expression evaluator of this file', () => {
  // The checks below lean on it: make sure it computes and refuses what it should.
  test('computes arithmetic, ABS and FILL, and reports a missing metric', () => {
    expect(evaluate('100 * ABS(a / b - 1)', { a: 50, b: 100 })).toBeCloseTo(50);
    expect(evaluate('FILL(a, 0) / b', { a: undefined, b: 4 })).toBe(0);
    expect(evaluate('a / b', { a: 1, b: undefined })).toBeUndefined();
    expect(() => evaluate('a / c', { a: 1 })).toThrow(/uses c/);
  });
});

describe('LambdaModelCanary with modelSignals, prices, a cost budget, prediction classes and a Bedrock guardrail', () => {
  let s: SynthesizedCanary;
  let canaryVersion: string;
  let stableVersion: string;
  const prefix = `${STACK_NAME}-sentiment`;
  const name = (guard: string) => `${prefix}-${guard}`;

  beforeAll(() => {
    s = synthCanary({
      canaryName: 'sentiment',
      modelSignals: true,
      inputTokenPricePer1k: 0.003,
      outputTokenPricePer1k: 0.015,
      maxCostPerRequest: 0.02,
      predictionClasses: ['positive', 'negative'],
      bedrockGuardrailArn: GUARDRAIL_ARN,
      canaryGuardrailVersion: '3',
      stableGuardrailVersion: '2',
    });
    canaryVersion = `\${${s.logicalId(s.fn.currentVersion)}.Version}`;
    stableVersion = `\${${onlyResourceOfType(s.json, 'Custom::ModelCanaryRelease').id}.StableVersion}`;
  });

  /** The dimensions of a signal metric of one arm. */
  const signalDims = (arm: 'canary' | 'stable') => ({ Canary: 'sentiment', Version: arm === 'canary' ? canaryVersion : stableVersion });

  /** Asserts an alarm reads exactly these ModelCanary metrics (id → [metric name, statistic, arm]). */
  function expectSignalMetrics(alarm: any, expected: Record<string, [string, string, 'canary' | 'stable']>): void {
    const metrics = metricsOf(alarm);
    expect(sorted(Object.keys(metrics))).toEqual(sorted(Object.keys(expected)));
    for (const [id, [metricName, stat, arm]] of Object.entries(expected)) {
      expect({ id, ...metrics[id] }).toEqual({ id, namespace: 'ModelCanary', metricName, stat, period: 60, dims: signalDims(arm) });
    }
  }

  test('every signal guard and the Bedrock guard exist once, named <stack>-<canaryName>-<guard>, next to the four base guards', () => {
    const names = Object.keys(alarmsByName(s.json));
    expect(sorted(names)).toEqual(sorted([...BASE_GUARDS, ...ALL_NEW_GUARDS].map(name)));
  });

  test('every signal guard fires only when every minute of its window breaches, and missing data is not breaching', () => {
    for (const guard of ALL_NEW_GUARDS) {
      const alarm = alarmOf(s.json, name(guard));
      expect({ guard, treat: alarm.TreatMissingData }).toEqual({ guard, treat: 'notBreaching' });
      expect({ guard, op: alarm.ComparisonOperator }).toEqual({ guard, op: 'GreaterThanThreshold' });
      expect({ guard, datapoints: alarm.DatapointsToAlarm }).toEqual({ guard, datapoints: alarm.EvaluationPeriods });
      expect(alarm.AlarmDescription).toMatch(/^cdk-model-canary guard: .*Rolls the canary back/);
    }
  });

  test('TokensPerRequestVsStable: average TotalTokens canary / stable, above 1.5 for 10 of 10 minutes', () => {
    const alarm = alarmOf(s.json, name('TokensPerRequestVsStable'));
    expectSignalMetrics(alarm, {
      canaryTokens: ['TotalTokens', 'Average', 'canary'],
      stableTokens: ['TotalTokens', 'Average', 'stable'],
    });
    expect(evaluate(expressionOf(alarm), { canaryTokens: 330, stableTokens: 200 })).toBeCloseTo(1.65);
    expect(evaluate(expressionOf(alarm), { canaryTokens: 200, stableTokens: 330 })).toBeLessThan(1);
    expectGuardShape(alarm, 1.5, 10);
  });

  test('GuardrailBlocks: Sum of the canary\'s GuardrailIntervened, above 10 a minute for 5 minutes', () => {
    const alarm = alarmOf(s.json, name('GuardrailBlocks'));
    expectSignalMetrics(alarm, { single: ['GuardrailIntervened', 'Sum', 'canary'] });
    expectGuardShape(alarm, 10, 5);
  });

  test('GuardrailBlockRateVsStable: canary minus stable block rate in points (blocks / requests), above 5 for 5 minutes', () => {
    const alarm = alarmOf(s.json, name('GuardrailBlockRateVsStable'));
    expectSignalMetrics(alarm, {
      canaryBlocks: ['GuardrailIntervened', 'Sum', 'canary'],
      canaryRequests: ['Requests', 'Sum', 'canary'],
      stableBlocks: ['GuardrailIntervened', 'Sum', 'stable'],
      stableRequests: ['Requests', 'Sum', 'stable'],
    });
    const e = expressionOf(alarm);
    expect(evaluate(e, { canaryBlocks: 12, canaryRequests: 100, stableBlocks: 10, stableRequests: 200 })).toBeCloseTo(7);
    // A minute without any block is a 0 % block rate, not a missing datapoint.
    expect(evaluate(e, { canaryBlocks: 9, canaryRequests: 100, stableBlocks: undefined, stableRequests: 500 })).toBeCloseTo(9);
    expectGuardShape(alarm, 5, 5);
  });

  test('SchemaFailureRate: average SchemaInvalid of the canary as a percentage, above 1 % for 5 minutes', () => {
    const alarm = alarmOf(s.json, name('SchemaFailureRate'));
    expectSignalMetrics(alarm, { canaryInvalid: ['SchemaInvalid', 'Average', 'canary'] });
    expect(evaluate(expressionOf(alarm), { canaryInvalid: 0.02 })).toBeCloseTo(2);
    expectGuardShape(alarm, 1, 5);
  });

  test('ResponseLengthShift: change of the p50 ResponseLength against stable, either way, above 50 % for 10 minutes', () => {
    const alarm = alarmOf(s.json, name('ResponseLengthShift'));
    expectSignalMetrics(alarm, {
      canaryLength: ['ResponseLength', 'p50', 'canary'],
      stableLength: ['ResponseLength', 'p50', 'stable'],
    });
    const e = expressionOf(alarm);
    expect(evaluate(e, { canaryLength: 180, stableLength: 120 })).toBeCloseTo(50);
    expect(evaluate(e, { canaryLength: 30, stableLength: 120 })).toBeCloseTo(75);
    expectGuardShape(alarm, 50, 10);
  });

  test('CostPerRequest: the canary\'s average input and output tokens at the given prices per 1,000, above the budget for 10 minutes', () => {
    const alarm = alarmOf(s.json, name('CostPerRequest'));
    expectSignalMetrics(alarm, {
      canaryIn: ['InputTokens', 'Average', 'canary'],
      canaryOut: ['OutputTokens', 'Average', 'canary'],
    });
    // 1,000 input tokens at 0.003 + 500 output tokens at 0.015, per 1,000 tokens.
    expect(evaluate(expressionOf(alarm), { canaryIn: 1000, canaryOut: 500 })).toBeCloseTo(0.003 + 0.0075, 10);
    expect(evaluate(expressionOf(alarm), { canaryIn: 2000, canaryOut: undefined })).toBeCloseTo(0.006, 10);
    expectGuardShape(alarm, 0.02, 10);
  });

  test('CostPerRequestVsStable: canary cost per request / stable\'s at the same prices, above 1.5 for 10 minutes', () => {
    const alarm = alarmOf(s.json, name('CostPerRequestVsStable'));
    expectSignalMetrics(alarm, {
      canaryIn: ['InputTokens', 'Average', 'canary'],
      canaryOut: ['OutputTokens', 'Average', 'canary'],
      stableIn: ['InputTokens', 'Average', 'stable'],
      stableOut: ['OutputTokens', 'Average', 'stable'],
    });
    // canary 0.003 + 0.0075 = 0.0105, stable 0.003 + 0.003 = 0.006: 1.75.
    expect(evaluate(expressionOf(alarm), { canaryIn: 1000, canaryOut: 500, stableIn: 1000, stableOut: 200 })).toBeCloseTo(1.75, 10);
    // Output tokens cost five times input tokens here: the same token count costs more as output.
    expect(evaluate(expressionOf(alarm), { canaryIn: 0, canaryOut: 1000, stableIn: 1000, stableOut: 0 })).toBeCloseTo(5, 10);
    expectGuardShape(alarm, 1.5, 10);
  });

  test('BedrockGuardrailBlockRateVsStable: AWS/Bedrock/Guardrails InvocationsIntervened / Invocations of guardrail version 3 minus version 2', () => {
    const alarm = alarmOf(s.json, name(BEDROCK_GUARD));
    const metrics = metricsOf(alarm);
    const dims = (version: string) => ({ GuardrailArn: GUARDRAIL_ARN, GuardrailVersion: version });
    const metric = (metricName: string, version: string): MetricView => ({
      namespace: 'AWS/Bedrock/Guardrails',
      metricName,
      stat: 'Sum',
      period: 60,
      dims: dims(version),
    });
    expect(metrics).toEqual({
      canaryIntervened: metric('InvocationsIntervened', '3'),
      canaryInvocations: metric('Invocations', '3'),
      stableIntervened: metric('InvocationsIntervened', '2'),
      stableInvocations: metric('Invocations', '2'),
    });
    const e = expressionOf(alarm);
    expect(evaluate(e, { canaryIntervened: 30, canaryInvocations: 200, stableIntervened: 10, stableInvocations: 200 })).toBeCloseTo(10);
    expect(evaluate(e, { canaryIntervened: undefined, canaryInvocations: 200, stableIntervened: 10, stableInvocations: 200 })).toBeCloseTo(-5);
    expectGuardShape(alarm, 5, 5);
  });

  test('the plan carries the prediction-shift guard with the seed defaults (PSI 0.1, 200 predictions)', () => {
    const plan = definitionOf(s.json).States.Plan.Result;
    expect(plan.predictionShift).toEqual({
      namespace: 'ModelCanary',
      canaryName: 'sentiment',
      classes: ['positive', 'negative'],
      maxPsi: 0.1,
      minSamples: 200,
    });
  });

  test('the plan names every guard; the version-scoped ones are all but the Bedrock guard (it is scoped to guardrail versions)', () => {
    const plan = definitionOf(s.json).States.Plan.Result;
    expect(sorted(plan.guardAlarmNames)).toEqual(sorted([...BASE_GUARDS, ...ALL_NEW_GUARDS].map(name)));
    expect(sorted(plan.versionScopedAlarmNames)).toEqual(sorted([...BASE_GUARDS, ...SIGNAL_GUARDS].map(name)));
    expect(plan.versionScopedAlarmNames).not.toContain(name(BEDROCK_GUARD));
  });

  test('every signal guard triggers the fast path; the fast path treats the same alarms as version-scoped as the plan', () => {
    expect(sorted(ruleAlarmArns(s.json))).toEqual(sorted([...BASE_GUARDS, ...ALL_NEW_GUARDS].map((g) => alarmArn(name(g)))));
    const scoped = fastPathScopedNames(s.json);
    expect(sorted(scoped)).toEqual(sorted([...BASE_GUARDS, ...SIGNAL_GUARDS].map(name)));
    expect(scoped).not.toContain(name(BEDROCK_GUARD));
  });

  test('the steps that read alarms may read the signal alarms; the check step may read metrics for the prediction counts', () => {
    for (const handler of ['start', 'check', 'promote']) {
      const grants = grantsOfRole(s.json, roleOfFunction(s.json, s.handlerId(handler)));
      expect({ handler, arns: sorted(grants.get('cloudwatch:DescribeAlarms') ?? []) }).toEqual({
        handler,
        arns: sorted([...BASE_GUARDS, ...ALL_NEW_GUARDS].map((g) => alarmArn(name(g)))),
      });
    }
    const check = grantsOfRole(s.json, roleOfFunction(s.json, s.handlerId('check')));
    expect(check.get('cloudwatch:GetMetricData')).toEqual(['*']);
  });
});

describe('LambdaModelCanary with every signal threshold set', () => {
  let s: SynthesizedCanary;
  const prefix = `${STACK_NAME}-tuned`;
  const name = (guard: string) => `${prefix}-${guard}`;

  beforeAll(() => {
    s = synthCanary({
      canaryName: 'tuned',
      modelSignals: true,
      signalsNamespace: 'Acme/Models',
      guardWindow: Duration.minutes(3),
      tokensWindow: Duration.minutes(15),
      maxTokensPerRequestRatio: 2,
      maxGuardrailBlocksPerMinute: 3,
      maxGuardrailBlockRateIncrease: 7,
      maxSchemaFailurePercent: 2.5,
      maxResponseLengthShiftPercent: 30,
      inputTokenPricePer1k: 0.5,
      outputTokenPricePer1k: 2,
      maxCostPerRequestRatio: 1.2,
      predictionClasses: ['billing', 'tech', 'other'],
      maxPredictionShift: 0.25,
      minPredictionsForShift: 50,
    });
  });

  test.each([
    ['TokensPerRequestVsStable', 2, 15],
    ['GuardrailBlocks', 3, 3],
    ['GuardrailBlockRateVsStable', 7, 3],
    ['SchemaFailureRate', 2.5, 3],
    ['ResponseLengthShift', 30, 15],
    ['CostPerRequestVsStable', 1.2, 15],
  ])('%s: threshold %d over %d minutes', (guard, threshold, minutes) => {
    expectGuardShape(alarmOf(s.json, name(guard)), threshold, minutes);
  });

  test('every signal metric is read from the given namespace', () => {
    for (const guard of SIGNAL_GUARDS.filter((g) => g !== 'CostPerRequest')) {
      for (const [id, m] of Object.entries(metricsOf(alarmOf(s.json, name(guard))))) {
        expect({ guard, id, namespace: m.namespace, canary: m.dims.Canary }).toEqual({ guard, id, namespace: 'Acme/Models', canary: 'tuned' });
      }
    }
  });

  test('without maxCostPerRequest there is no absolute cost guard, only the ratio to stable', () => {
    const names = Object.keys(alarmsByName(s.json));
    expect(names).not.toContain(name('CostPerRequest'));
    expect(names).toContain(name('CostPerRequestVsStable'));
    expect(names).not.toContain(name(BEDROCK_GUARD));
  });

  test('the cost ratio uses these prices: output tokens at 2, input tokens at 0.5 per 1,000', () => {
    const e = expressionOf(alarmOf(s.json, name('CostPerRequestVsStable')));
    // canary: 1000 output tokens = 2; stable: 1000 input tokens = 0.5.
    expect(evaluate(e, { canaryIn: 0, canaryOut: 1000, stableIn: 1000, stableOut: 0 })).toBeCloseTo(4, 10);
  });

  test('the plan carries the given classes, PSI limit, minimum predictions and namespace', () => {
    expect(definitionOf(s.json).States.Plan.Result.predictionShift).toEqual({
      namespace: 'Acme/Models',
      canaryName: 'tuned',
      classes: ['billing', 'tech', 'other'],
      maxPsi: 0.25,
      minSamples: 50,
    });
  });
});

describe('LambdaModelCanary with modelSignals alone', () => {
  let s: SynthesizedCanary;
  const name = (guard: string) => `${STACK_NAME}-Canary-${guard}`;

  beforeAll(() => {
    s = synthCanary({ modelSignals: true });
  });

  test('the five signal guards without prices, and no cost or Bedrock guard', () => {
    const expected = ['TokensPerRequestVsStable', 'GuardrailBlocks', 'GuardrailBlockRateVsStable', 'SchemaFailureRate', 'ResponseLengthShift'];
    expect(sorted(Object.keys(alarmsByName(s.json)))).toEqual(sorted([...BASE_GUARDS, ...expected].map(name)));
  });

  test('the Canary dimension defaults to the construct id, as the alarm names do', () => {
    expect(metricsOf(alarmOf(s.json, name('GuardrailBlocks'))).single.dims.Canary).toBe('Canary');
  });

  test('no prediction classes: the plan has no prediction-shift guard', () => {
    expect(definitionOf(s.json).States.Plan.Result.predictionShift).toBeNull();
  });
});

describe('LambdaModelCanary without modelSignals (the default)', () => {
  let s: SynthesizedCanary;

  beforeAll(() => {
    s = synthCanary();
  });

  test('none of the signal guards exist: only the four base guards', () => {
    expect(sorted(Object.keys(alarmsByName(s.json)))).toEqual(sorted(BASE_GUARDS.map((g) => `${STACK_NAME}-Canary-${g}`)));
    const namespaces = Object.values(alarmsByName(s.json)).flatMap((a) => Object.values(metricsOf(a)).map((m) => m.namespace));
    expect(namespaces).not.toContain('ModelCanary');
  });

  test('the plan has no prediction-shift guard and the fast path only the base guards', () => {
    const plan = definitionOf(s.json).States.Plan.Result;
    expect(plan.predictionShift).toBeNull();
    expect(plan.guardAlarmNames).toHaveLength(BASE_GUARDS.length);
    expect(ruleAlarmArns(s.json)).toHaveLength(BASE_GUARDS.length);
  });
});

describe('LambdaModelCanary with a Bedrock guardrail but without modelSignals', () => {
  let s: SynthesizedCanary;
  const name = (guard: string) => `${STACK_NAME}-Canary-${guard}`;

  beforeAll(() => {
    s = synthCanary({
      bedrockGuardrailArn: GUARDRAIL_ARN,
      canaryGuardrailVersion: '4',
      stableGuardrailVersion: '3',
      maxGuardrailBlockRateIncrease: 2,
      guardWindow: Duration.minutes(2),
    });
  });

  test('only the Bedrock guard joins the base guards (it needs no runtime signals), with the given threshold and window', () => {
    expect(sorted(Object.keys(alarmsByName(s.json)))).toEqual(sorted([...BASE_GUARDS, BEDROCK_GUARD].map(name)));
    const alarm = alarmOf(s.json, name(BEDROCK_GUARD));
    expectGuardShape(alarm, 2, 2);
    expect(metricsOf(alarm).canaryInvocations.dims).toEqual({ GuardrailArn: GUARDRAIL_ARN, GuardrailVersion: '4' });
    expect(metricsOf(alarm).stableInvocations.dims).toEqual({ GuardrailArn: GUARDRAIL_ARN, GuardrailVersion: '3' });
  });

  test('it is a guard of the workflow and the fast path, but not version-scoped', () => {
    const plan = definitionOf(s.json).States.Plan.Result;
    expect(plan.guardAlarmNames).toContain(name(BEDROCK_GUARD));
    expect(plan.versionScopedAlarmNames).not.toContain(name(BEDROCK_GUARD));
    expect(ruleAlarmArns(s.json)).toContain(alarmArn(name(BEDROCK_GUARD)));
    expect(fastPathScopedNames(s.json)).not.toContain(name(BEDROCK_GUARD));
  });
});

describe('SageMakerModelCanary with modelSignals', () => {
  let json: TemplateJson;
  let modelName: string;
  let stableVersion: string;
  const name = (guard: string) => `${STACK_NAME}-summarizer-${guard}`;

  function model(stack: Stack): sagemaker.CfnModel {
    const role = new iam.Role(stack, 'ModelRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    return new sagemaker.CfnModel(stack, 'Model', {
      executionRoleArn: role.roleArn,
      primaryContainer: {
        image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker',
        modelDataUrl: 's3://example-model-artifacts/summarizer/model.tar.gz',
      },
    });
  }

  beforeAll(() => {
    const stack = newStack();
    const m = model(stack);
    const props: SageMakerModelCanaryProps = {
      model: m,
      instanceType: 'ml.m5.large',
      canaryName: 'summarizer',
      modelSignals: true,
      inputTokenPricePer1k: 0.001,
      outputTokenPricePer1k: 0.002,
      predictionClasses: ['short', 'long'],
    };
    new SageMakerModelCanary(stack, 'Canary', props);
    json = Template.fromStack(stack).toJSON() as TemplateJson;
    modelName = `\${${stack.resolve(m.logicalId)}.ModelName}`;
    stableVersion = `\${${onlyResourceOfType(json, 'Custom::ModelCanaryRelease').id}.StableVersion}`;
  });

  test('the signal guards exist (cost ratio but no budget), named after the canary', () => {
    const expected = SIGNAL_GUARDS.filter((g) => g !== 'CostPerRequest');
    expect(sorted(Object.keys(alarmsByName(json)))).toEqual(sorted([...BASE_GUARDS, ...expected].map(name)));
  });

  test('the Version dimension is the model name (= the canary variant) for the canary, the release\'s StableVersion for stable', () => {
    const expected = SIGNAL_GUARDS.filter((g) => g !== 'CostPerRequest');
    for (const guard of expected) {
      for (const [id, m] of Object.entries(metricsOf(alarmOf(json, name(guard))))) {
        const version = id === 'single' || id.startsWith('canary') ? modelName : stableVersion;
        expect({ guard, id, namespace: m.namespace, dims: m.dims }).toEqual({
          guard,
          id,
          namespace: 'ModelCanary',
          dims: { Canary: 'summarizer', Version: version },
        });
      }
    }
  });

  test('the plan carries the prediction-shift guard and names the signal guards as version-scoped', () => {
    const plan = definitionOf(json).States.Plan.Result;
    expect(plan.predictionShift).toEqual({ namespace: 'ModelCanary', canaryName: 'summarizer', classes: ['short', 'long'], maxPsi: 0.1, minSamples: 200 });
    for (const guard of SIGNAL_GUARDS.filter((g) => g !== 'CostPerRequest')) {
      expect(plan.versionScopedAlarmNames).toContain(name(guard));
      expect(fastPathScopedNames(json)).toContain(name(guard));
    }
  });
});

describe('LambdaModelCanary with signal thresholds and prices given as deploy-time parameters', () => {
  let json: TemplateJson;
  const name = (guard: string) => `${STACK_NAME}-Canary-${guard}`;

  beforeAll(() => {
    const stack = newStack();
    const number = (id: string) => new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;
    new LambdaModelCanary(stack, 'Canary', {
      modelFunction: modelFunction(stack),
      modelSignals: true,
      maxTokensPerRequestRatio: number('TokensRatio'),
      inputTokenPricePer1k: number('InputPrice'),
      outputTokenPricePer1k: 0.015,
      maxCostPerRequestRatio: number('CostRatio'),
    });
    json = Template.fromStack(stack).toJSON() as TemplateJson;
  });

  test('the thresholds reference the parameters', () => {
    expect(alarmOf(json, name('TokensPerRequestVsStable')).Threshold).toEqual({ Ref: 'TokensRatio' });
    expect(alarmOf(json, name('CostPerRequestVsStable')).Threshold).toEqual({ Ref: 'CostRatio' });
  });

  test('the cost expression references the price parameter', () => {
    const expression = flatten(alarmOf(json, name('CostPerRequestVsStable')).Metrics[0].Expression);
    expect(expression).toContain('FILL(canaryIn, 0) * ${InputPrice} + FILL(canaryOut, 0) * 0.015');
  });

  test('the descriptions name the ratio parameters instead of a made-up percentage', () => {
    const tokens = flatten(alarmOf(json, name('TokensPerRequestVsStable')).AlarmDescription);
    const cost = flatten(alarmOf(json, name('CostPerRequestVsStable')).AlarmDescription);
    expect(tokens).toContain('above ${TokensRatio} times stable\'s for 10 min');
    expect(cost).toContain('above ${CostRatio} times stable\'s for 10 min');
    for (const d of [tokens, cost]) expect(d).not.toMatch(/e\+\d/);
  });
});
