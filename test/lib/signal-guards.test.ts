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
 * Evaluates a CloudWatch metric-math expression of the shapes these guards use for one minute
 * (one timestamp): numbers, metric ids, + - * /, unary -, comparisons (> < >= <= == !=), AND / OR
 * (also && / ||), ABS(x), FILL(x, n) and IF(condition, a[, b]). `undefined` stands for a metric
 * with no datapoint that minute, and an `undefined` result for "no datapoint".
 *
 * How a missing value travels (the per-timestamp rules of metric math on time series):
 * - a metric with no datapoint combined with a constant (`m * 2`) gives no datapoint;
 * - between two time series, a value missing on one side counts as 0 (`a - b` with `b` missing
 *   is `a`), and missing on both sides gives no datapoint. The AWS docs state this for `a - b`;
 *   this evaluator applies it to every binary operator (so `a / b` with `b` missing is `a / 0`,
 *   Infinity or NaN here: a value, never "no datapoint");
 * - FILL(x, n) is a time series with n where x has no datapoint;
 * - IF(c, a[, b]) has a datapoint only where c has one: a where c is not 0, else b, and no
 *   datapoint where c is 0 and b is left out. Comparisons and AND / OR give 1 or 0.
 */
type Operand = { readonly value: number | undefined; readonly series: boolean };

function evaluate(expression: string, values: Record<string, number | undefined>): number | undefined {
  const tokens = expression.match(/\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_]\w*|&&|\|\||[<>=!]=|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const fail = (why: string): never => {
    throw new Error(`cannot evaluate ${expression}: ${why} at token ${at} (${peek() ?? 'end'})`);
  };
  const take = (expected?: string): string => {
    const t = tokens[at];
    if (t === undefined || (expected !== undefined && t !== expected)) fail(`expected ${expected ?? 'a token'}`);
    at++;
    return t;
  };
  const scalar = (value: number): Operand => ({ value, series: false });
  const missing: Operand = { value: undefined, series: true };

  /** A binary operator per timestamp, with the missing-value rules above. */
  const combine = (l: Operand, r: Operand, f: (a: number, b: number) => number): Operand => {
    const series = l.series || r.series;
    if (l.value === undefined && r.value === undefined) return missing;
    if (l.value === undefined || r.value === undefined) {
      // A constant next to a missing datapoint: no datapoint. Two series: the missing side is 0.
      if (!l.series || !r.series) return missing;
      return { value: f(l.value ?? 0, r.value ?? 0), series };
    }
    return { value: f(l.value, r.value), series };
  };
  const truth = (b: boolean) => (b ? 1 : 0);
  const BINARY: Record<string, [number, (a: number, b: number) => number]> = {
    OR: [1, (a, b) => truth(a !== 0 || b !== 0)],
    '||': [1, (a, b) => truth(a !== 0 || b !== 0)],
    AND: [2, (a, b) => truth(a !== 0 && b !== 0)],
    '&&': [2, (a, b) => truth(a !== 0 && b !== 0)],
    '==': [3, (a, b) => truth(a === b)],
    '!=': [3, (a, b) => truth(a !== b)],
    '>': [4, (a, b) => truth(a > b)],
    '<': [4, (a, b) => truth(a < b)],
    '>=': [4, (a, b) => truth(a >= b)],
    '<=': [4, (a, b) => truth(a <= b)],
    '+': [5, (a, b) => a + b],
    '-': [5, (a, b) => a - b],
    '*': [6, (a, b) => a * b],
    '/': [6, (a, b) => a / b],
  };

  const args = (): Operand[] => {
    take('(');
    const list = [binary(0)];
    while (peek() === ',') {
      take(',');
      list.push(binary(0));
    }
    take(')');
    return list;
  };

  const primary = (): Operand => {
    const t = take();
    if (/^\d/.test(t)) return scalar(Number(t));
    if (t === '(') {
      const inner = binary(0);
      take(')');
      return inner;
    }
    if (t === '-') {
      const o = primary();
      return { value: o.value === undefined ? undefined : -o.value, series: o.series };
    }
    if (/^[a-z]\w*$/.test(t)) {
      if (!(t in values)) throw new Error(`expression ${expression} uses ${t}, which the test gave no value`);
      return { value: values[t], series: true };
    }
    if (t === 'ABS') {
      const a = args();
      if (a.length !== 1) fail('ABS takes one argument');
      return { value: a[0].value === undefined ? undefined : Math.abs(a[0].value), series: a[0].series };
    }
    if (t === 'FILL') {
      const a = args();
      if (a.length !== 2 || a[1].series || a[1].value === undefined) fail('FILL takes a metric and a number');
      return { value: a[0].value ?? a[1].value, series: true };
    }
    if (t === 'IF') {
      const a = args();
      if (a.length < 2 || a.length > 3) fail('IF takes a condition and one or two values');
      const [condition, then, otherwise] = a;
      if (condition.value === undefined) return missing;
      const chosen = condition.value !== 0 ? then : otherwise;
      return { value: chosen?.value, series: true };
    }
    return fail(`unknown token ${t}`);
  };

  /** Precedence climbing over BINARY (all left-associative). */
  const binary = (minPrecedence: number): Operand => {
    let left = primary();
    for (;;) {
      const op = peek();
      const entry = op === undefined ? undefined : BINARY[op];
      if (!entry || entry[0] < minPrecedence) return left;
      take();
      left = combine(left, binary(entry[0] + 1), entry[1]);
    }
  };

  const result = binary(0);
  if (at !== tokens.length) fail('unexpected token');
  return result.value;
}

/** Window and threshold of a guard alarm, and the fixed settings every guard shares. */
function expectGuardShape(alarm: any, threshold: number, minutes: number): void {
  expect(alarm.Threshold).toBe(threshold);
  expect(alarm.EvaluationPeriods).toBe(minutes);
  expect(alarm.DatapointsToAlarm).toBe(minutes);
  expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
  expect(alarm.TreatMissingData).toBe('notBreaching');
}

/** The fast-path rule: the one rule that listens to CloudWatch alarm state changes. */
function fastPathRule(json: TemplateJson): any {
  const rules = Object.values(resourcesOfType(json, 'AWS::Events::Rule')).filter((r) => r.Properties.EventPattern.source?.includes('aws.cloudwatch'));
  if (rules.length !== 1) throw new Error(`expected one alarm rule, found ${rules.length}`);
  return rules[0];
}

function fastPathInput(json: TemplateJson): string {
  const target = fastPathRule(json).Properties.Targets[0];
  return flatten(target.InputTemplate ?? target.InputTransformer.InputTemplate);
}

/** The versionScopedAlarmNames the EventBridge rule passes to the on-alarm function. */
function fastPathScopedNames(json: TemplateJson): string[] {
  const m = /"versionScopedAlarmNames":(\[[^\]]*\])/.exec(fastPathInput(json));
  if (!m) throw new Error('the rule input has no versionScopedAlarmNames');
  return JSON.parse(m[1]) as string[];
}

/**
 * The alarms whose ALARM reaches the fast path: named in the handler's input, and matched by the
 * rule's name-prefix filter when it has one. As ARNs, to compare with the alarms.
 */
function ruleAlarmArns(json: TemplateJson): string[] {
  const m = /"alarmNames":(\[[^\]]*\])/.exec(fastPathInput(json));
  if (!m) throw new Error('the rule input has no alarmNames');
  const names = JSON.parse(m[1]) as string[];
  const prefix = fastPathRule(json).Properties.EventPattern.detail.alarmName?.[0]?.prefix as string | undefined;
  return names.filter((n) => prefix === undefined || n.startsWith(prefix)).map(alarmArn);
}

/** The guards that compare the canary with the stable version, and so have no datapoint without stable data. */
const VS_STABLE_GUARDS = [
  'ErrorRateVsStable',
  'LatencyP95VsStable',
  'TokensPerRequestVsStable',
  'GuardrailBlockRateVsStable',
  'ResponseLengthShift',
  'CostPerRequestVsStable',
  BEDROCK_GUARD,
];

/** A minute where every canary metric of an alarm has a datapoint and no stable metric has one. */
function stableMissing(alarm: any, canaryValue = 100): Record<string, number | undefined> {
  const ids = Object.keys(metricsOf(alarm));
  expect(ids.some((id) => id.startsWith('stable'))).toBe(true);
  return Object.fromEntries(ids.map((id) => [id, id.startsWith('stable') ? undefined : canaryValue]));
}

/** The expression without its outer IF(stable…, …) (fails when there is none). */
function withoutStableGuard(expression: string): string {
  const m = /^IF\(\s*(stable\w*)\s*,\s*([\s\S]*)\)$/.exec(expression);
  expect(m).not.toBeNull();
  return m![2];
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
  const signalDims = (arm: 'canary' | 'stable') => ({ Canary: 'sentiment', Stack: STACK_NAME, Version: arm === 'canary' ? canaryVersion : stableVersion });

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

  test('GuardrailBlocks: Sum of the canary\'s GuardrailIntervened in minutes where its block rate is above stable\'s, above 10 a minute for 5 minutes', () => {
    const alarm = alarmOf(s.json, name('GuardrailBlocks'));
    expectSignalMetrics(alarm, {
      canaryBlocks: ['GuardrailIntervened', 'Sum', 'canary'],
      canaryRequests: ['Requests', 'Sum', 'canary'],
      stableBlocks: ['GuardrailIntervened', 'Sum', 'stable'],
      stableRequests: ['Requests', 'Sum', 'stable'],
    });
    const e = expressionOf(alarm);
    // Blocked as often as stable (10 %): 0, however many blocks that is at the canary's share.
    expect(evaluate(e, { canaryBlocks: 10, canaryRequests: 100, stableBlocks: 20, stableRequests: 200 })).toBe(0);
    expect(evaluate(e, { canaryBlocks: 50, canaryRequests: 500, stableBlocks: 50, stableRequests: 500 })).toBe(0);
    // Blocked less often than stable: 0.
    expect(evaluate(e, { canaryBlocks: 3, canaryRequests: 100, stableBlocks: 20, stableRequests: 200 })).toBe(0);
    // Blocked more often than stable (12 % against 5 %): the canary's block count.
    expect(evaluate(e, { canaryBlocks: 12, canaryRequests: 100, stableBlocks: 10, stableRequests: 200 })).toBe(12);
    // Stable served requests without a single block (no GuardrailIntervened datapoint): a 0 % rate to beat.
    expect(evaluate(e, { canaryBlocks: 4, canaryRequests: 100, stableBlocks: undefined, stableRequests: 200 })).toBe(4);
    // No stable data at all (the 100 % step): no datapoint ("no stable traffic to blame it against").
    expect(evaluate(e, { canaryBlocks: 12, canaryRequests: 100, stableBlocks: undefined, stableRequests: undefined })).toBeUndefined();
    expect(alarm.AlarmDescription).toContain('at a higher rate than stable');
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
    // A minute without canary data is no datapoint (not a cost of 0): no FILL anywhere.
    expect(evaluate(expressionOf(alarm), { canaryIn: undefined, canaryOut: undefined })).toBeUndefined();
    expect(expressionOf(alarm)).not.toContain('FILL(');
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
    // A minute without output tokens on one side counts them as 0 (input tokens carry the datapoint).
    expect(evaluate(expressionOf(alarm), { canaryIn: 1000, canaryOut: 500, stableIn: 1000, stableOut: undefined })).toBeCloseTo(3.5, 10);
    expectGuardShape(alarm, 1.5, 10);
  });

  test('CostPerRequestVsStable: a side without data never gives a ratio against a cost of 0', () => {
    const e = expressionOf(alarmOf(s.json, name('CostPerRequestVsStable')));
    // The stable version without traffic (a 100 % step): no datapoint, which is not breaching.
    expect(evaluate(e, { canaryIn: 1000, canaryOut: 500, stableIn: undefined, stableOut: undefined })).toBeUndefined();
    // The canary without traffic: its missing cost counts as 0 against stable's, a ratio of 0 (not breaching).
    expect(evaluate(e, { canaryIn: undefined, canaryOut: undefined, stableIn: 1000, stableOut: 200 })).toBe(0);
    // Token counts are read as they are: nothing is FILLed, on either side.
    expect(e).not.toContain('FILL(');
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

  test.each([
    ['ErrorRateVsStable', { canaryErrors: 3, canaryRequests: 100, stableErrors: 1, stableRequests: 100 }, 2],
    ['LatencyP95VsStable', { canaryP95: 900, stableP95: 700, canaryRequests: 150 }, 200],
    ['TokensPerRequestVsStable', { canaryTokens: 330, stableTokens: 200 }, 1.65],
    ['GuardrailBlockRateVsStable', { canaryBlocks: 12, canaryRequests: 100, stableBlocks: 10, stableRequests: 200 }, 7],
    ['ResponseLengthShift', { canaryLength: 180, stableLength: 120 }, 50],
    ['CostPerRequestVsStable', { canaryIn: 1000, canaryOut: 500, stableIn: 1000, stableOut: 200 }, 1.75],
    [BEDROCK_GUARD, { canaryIntervened: 30, canaryInvocations: 200, stableIntervened: 10, stableInvocations: 200 }, 10],
  ] as [string, Record<string, number>, number][])('%s: no datapoint in a minute without stable data (the 100 %% step)', (guard, both, expected) => {
    const alarm = alarmOf(s.json, name(guard));
    const e = expressionOf(alarm);
    expect(evaluate(e, both)).toBeCloseTo(expected, 10);
    const minute = Object.fromEntries(Object.entries(both).map(([id, v]) => [id, id.startsWith('stable') ? undefined : v]));
    expect(evaluate(e, minute)).toBeUndefined();
    // Without the IF(stable…) the missing stable side would count as 0 and the minute would have a value.
    expect(evaluate(withoutStableGuard(e), minute)).toBeDefined();
  });

  test('LatencyP95VsStable compares p95s only in minutes where the canary served at least 100 requests', () => {
    const e = expressionOf(alarmOf(s.json, name('LatencyP95VsStable')));
    expect(evaluate(e, { canaryP95: 900, stableP95: 700, canaryRequests: 100 })).toBeCloseTo(200, 10);
    expect(evaluate(e, { canaryP95: 900, stableP95: 700, canaryRequests: 24 })).toBeUndefined();
  });

  test('every alarm that reads a stable metric is a vs-stable guard without a datapoint when stable has none, or GuardrailBlocks', () => {
    const readingStable = Object.entries(alarmsByName(s.json))
      .filter(([, alarm]) => Object.keys(metricsOf(alarm)).some((id) => id.startsWith('stable')))
      .map(([alarmName]) => alarmName);
    expect(sorted(readingStable)).toEqual(sorted([...VS_STABLE_GUARDS, 'GuardrailBlocks'].map(name)));
    for (const guard of VS_STABLE_GUARDS) {
      const alarm = alarmOf(s.json, name(guard));
      expect({ guard, value: evaluate(expressionOf(alarm), stableMissing(alarm)) }).toEqual({ guard, value: undefined });
    }
    const blocks = alarmOf(s.json, name('GuardrailBlocks'));
    expect(evaluate(expressionOf(blocks), stableMissing(blocks))).toBeUndefined();
  });

  test('the plan carries the prediction-shift guard with the defaults (PSI 0.1, 100 predictions = the default minRequestsPerStep)', () => {
    const plan = definitionOf(s.json).States.Plan.Result;
    expect(plan.predictionShift).toEqual({
      namespace: 'ModelCanary',
      canaryName: 'sentiment',
      stackName: STACK_NAME,
      classes: ['positive', 'negative'],
      maxPsi: 0.1,
      minSamples: 100,
    });
    // Judged by the time a step has its minimum requests, so no step below 100 % passes unjudged.
    expect(plan.predictionShift.minSamples).toBeLessThanOrEqual(plan.minRequestsPerStep);
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
    expect(evaluate(e, { canaryIn: 0, canaryOut: 1000, stableIn: undefined, stableOut: undefined })).toBeUndefined();
  });

  test('the plan carries the given classes, PSI limit, minimum predictions and namespace', () => {
    expect(definitionOf(s.json).States.Plan.Result.predictionShift).toEqual({
      namespace: 'Acme/Models',
      canaryName: 'tuned',
      stackName: STACK_NAME,
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
    const metrics = metricsOf(alarmOf(s.json, name('GuardrailBlocks')));
    expect(Object.keys(metrics).length).toBeGreaterThan(0);
    for (const m of Object.values(metrics)) expect(m.dims.Canary).toBe('Canary');
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

  test('the signal guards exist (cost ratio but no budget), named after the canary, beside SageMaker\'s own ModelErrorRate', () => {
    const expected = SIGNAL_GUARDS.filter((g) => g !== 'CostPerRequest');
    expect(sorted(Object.keys(alarmsByName(json)))).toEqual(sorted([...BASE_GUARDS, 'ModelErrorRate', ...expected].map(name)));
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
          dims: { Canary: 'summarizer', Stack: STACK_NAME, Version: version },
        });
      }
    }
  });

  test('the vs-stable guards (base and signal) have no datapoint in a minute without stable data', () => {
    const guards = VS_STABLE_GUARDS.filter((g) => g !== BEDROCK_GUARD);
    for (const guard of guards) {
      const alarm = alarmOf(json, name(guard));
      const minute = stableMissing(alarm);
      expect({ guard, value: evaluate(expressionOf(alarm), minute) }).toEqual({ guard, value: undefined });
      expect({ guard, value: evaluate(withoutStableGuard(expressionOf(alarm)), minute) }).not.toEqual({ guard, value: undefined });
    }
  });

  test('the plan carries the prediction-shift guard and names the signal guards as version-scoped', () => {
    const plan = definitionOf(json).States.Plan.Result;
    expect(plan.predictionShift).toEqual({ namespace: 'ModelCanary', canaryName: 'summarizer', stackName: STACK_NAME, classes: ['short', 'long'], maxPsi: 0.1, minSamples: 100 });
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
    expect(expression).toBe('IF(stableIn, (canaryIn * ${InputPrice} + canaryOut * 0.015) / 1000 / ((stableIn * ${InputPrice} + stableOut * 0.015) / 1000))');
  });

  test('the descriptions name the ratio parameters instead of a made-up percentage', () => {
    const tokens = flatten(alarmOf(json, name('TokensPerRequestVsStable')).AlarmDescription);
    const cost = flatten(alarmOf(json, name('CostPerRequestVsStable')).AlarmDescription);
    expect(tokens).toContain('above ${TokensRatio} times stable\'s for 10 min');
    expect(cost).toContain('above ${CostRatio} times stable\'s for 10 min');
    for (const d of [tokens, cost]) expect(d).not.toMatch(/e\+\d/);
  });
});
