import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Guard, HarmfulChange, type IVersionedMetric, LambdaModelCanary, VersionedMetric } from '../../lib';
import { modelFunction, newStack } from './support';

/**
 * Every guard validates its own props when it is made, and says what to change. Each case below
 * passes without its check only if the factory accepted the bad value: none of them may.
 */

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const m = Duration.minutes;
const PRICES = { inputTokenPricePer1k: 0.003, outputTokenPricePer1k: 0.015 };
const metric = (name: string): IVersionedMetric => VersionedMetric.fromDimension({ metricNamespace: 'Shop', metricName: name, versionDimension: 'Version' });

function expectGuardProblem(make: () => Guard, factory: string, ...expected: string[]): void {
  let error: unknown;
  try {
    make();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toMatch(new RegExp(`^Guard\\.${factory}: `));
  for (const e of expected) expect(message).toMatch(new RegExp(escape(e)));
}

describe('window (every alarm guard)', () => {
  const windowed: [string, (window: Duration) => Guard][] = [
    ['errorRate', (window) => Guard.errorRate({ window })],
    ['latencyP95', (window) => Guard.latencyP95({ window })],
    ['tokensPerRequestRatio', (window) => Guard.tokensPerRequestRatio({ window })],
    ['guardrailBlocks', (window) => Guard.guardrailBlocks({ window })],
    ['schemaFailureRate', (window) => Guard.schemaFailureRate({ window })],
    ['costPerRequest', (window) => Guard.costPerRequest({ ...PRICES, maxCost: 1, window })],
    ['costPerRequestVsStable', (window) => Guard.costPerRequestVsStable({ ...PRICES, window })],
  ];
  test.each(windowed)('Guard.%s: 90 s is not whole minutes', (factory, make) => {
    expectGuardProblem(() => make(Duration.seconds(90)), factory, 'window is 90s', 'give whole minutes');
  });
  test.each(windowed)('Guard.%s: 0 and more than a day are out of range', (factory, make) => {
    expectGuardProblem(() => make(Duration.seconds(0)), factory, 'window (minutes) is 0', 'from 1 to 1440');
    expectGuardProblem(() => make(Duration.hours(25)), factory, 'window (minutes) is 1500', 'from 1 to 1440');
  });
  test.each(windowed)('Guard.%s: 1 minute and 1 day are accepted', (_factory, make) => {
    expect(() => make(m(1))).not.toThrow();
    expect(() => make(Duration.days(1))).not.toThrow();
  });
});

describe('alarm guard thresholds', () => {
  test.each([-1, 101, Number.NaN])('Guard.errorRate maxPercent %d', (v) => {
    expectGuardProblem(() => Guard.errorRate({ maxPercent: v }), 'errorRate', `maxPercent is ${v}`, 'give a percentage from 0 to 100');
  });
  test.each([-1, 100.5])('Guard.schemaFailureRate maxPercent %d', (v) => {
    expectGuardProblem(() => Guard.schemaFailureRate({ maxPercent: v }), 'schemaFailureRate', `maxPercent is ${v}`, 'give a percentage from 0 to 100');
  });
  test('Guard.latencyP95 max 0 and longer than a Lambda can run', () => {
    expectGuardProblem(() => Guard.latencyP95({ max: Duration.seconds(0) }), 'latencyP95', 'max (ms) is 0', 'give a positive duration');
    expectGuardProblem(() => Guard.latencyP95({ max: m(20) }), 'latencyP95', 'max (ms) is 1200000', 'at most 15 minutes');
  });
  test.each([0.5, 1001])('Guard.tokensPerRequestRatio maxRatio %d', (v) => {
    expectGuardProblem(() => Guard.tokensPerRequestRatio({ maxRatio: v }), 'tokensPerRequestRatio', `maxRatio is ${v}`, 'from 1 to 1000');
  });
  test('Guard.guardrailBlocks maxPerMinute -1', () => {
    expectGuardProblem(() => Guard.guardrailBlocks({ maxPerMinute: -1 }), 'guardrailBlocks', 'maxPerMinute is -1', '0 or more');
  });
  test('Guard.costPerRequest: maxCost missing or negative, a price missing or negative', () => {
    expectGuardProblem(() => Guard.costPerRequest({ ...PRICES } as never), 'costPerRequest', 'maxCost is missing');
    expectGuardProblem(() => Guard.costPerRequest({ ...PRICES, maxCost: -1 }), 'costPerRequest', 'maxCost is -1', 'give a cost of 0 or more');
    expectGuardProblem(() => Guard.costPerRequest({ inputTokenPricePer1k: 0.003, maxCost: 1 } as never), 'costPerRequest', 'outputTokenPricePer1k is missing');
    expectGuardProblem(() => Guard.costPerRequest({ ...PRICES, inputTokenPricePer1k: -1, maxCost: 1 }), 'costPerRequest', 'inputTokenPricePer1k is -1');
  });
  test('Guard.costPerRequestVsStable: prices missing, maxRatio below 1', () => {
    expectGuardProblem(() => Guard.costPerRequestVsStable({} as never), 'costPerRequestVsStable', 'inputTokenPricePer1k is missing', 'outputTokenPricePer1k is missing');
    expectGuardProblem(() => Guard.costPerRequestVsStable({ ...PRICES, maxRatio: 0.9 }), 'costPerRequestVsStable', 'maxRatio is 0.9', 'from 1 to 1000');
  });
  test('Guard.fromAlarm: something that is not an alarm', () => {
    expect(() => Guard.fromAlarm({} as cloudwatch.IAlarm)).toThrow(/^Guard.fromAlarm: give a cloudwatch.IAlarm/);
    expect(() => Guard.fromAlarm(undefined as unknown as cloudwatch.IAlarm)).toThrow(/^Guard.fromAlarm: /);
  });
});

describe('judged guard margins', () => {
  const ratioed: [string, (maxRatio: number) => Guard][] = [
    ['errorRateVsStable', (maxRatio) => Guard.errorRateVsStable({ maxRatio })],
    ['latencyVsStable', (maxRatio) => Guard.latencyVsStable({ maxRatio })],
    ['tokensPerRequestVsStable', (maxRatio) => Guard.tokensPerRequestVsStable({ maxRatio })],
    ['guardrailBlockRateVsStable', (maxRatio) => Guard.guardrailBlockRateVsStable({ maxRatio })],
    ['responseLengthVsStable', (maxRatio) => Guard.responseLengthVsStable({ maxRatio })],
    ['predictionShift', (maxRatio) => Guard.predictionShift({ classes: ['a', 'b'], maxRatio })],
    ['bedrockGuardrailBlockRateVsStable', (maxRatio) => Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: 'arn:g', canaryVersion: '2', stableVersion: '1', maxRatio })],
    ['rateVsStable', (maxRatio) => Guard.rateVsStable({ name: 'ThumbsDown', events: metric('Down'), trials: metric('Rated'), maxRatio })],
    ['valueVsStable', (maxRatio) => Guard.valueVsStable({ name: 'JudgeScore', values: metric('Score'), maxRatio })],
  ];
  test.each(ratioed)('Guard.%s: maxRatio below 1 (the canary better than stable would count as worse) or above 100', (factory, make) => {
    expectGuardProblem(() => make(0.8), factory, 'maxRatio is 0.8', 'from 1 to 100');
    expectGuardProblem(() => make(101), factory, 'maxRatio is 101');
    expectGuardProblem(() => make(Number.NaN), factory, 'maxRatio is NaN');
  });
  test.each(ratioed)('Guard.%s: 1 and 100 are accepted', (_factory, make) => {
    expect(() => make(1)).not.toThrow();
    expect(() => make(100)).not.toThrow();
  });
  test.each([0, -2, 101])('Guard.errorRateVsStable maxIncreasePoints %d', (v) => {
    expectGuardProblem(() => Guard.errorRateVsStable({ maxIncreasePoints: v }), 'errorRateVsStable', `maxIncreasePoints is ${v}`, 'give percentage points above 0');
  });
  test('Guard.rateVsStable maxIncreasePoints 0', () => {
    expectGuardProblem(() => Guard.rateVsStable({ name: 'ThumbsDown', events: metric('Down'), trials: metric('Rated'), maxIncreasePoints: 0 }), 'rateVsStable', 'maxIncreasePoints is 0');
  });
  test.each([[[]], [[0]], [[100]], [[50, 50]], [[10, 20, 30, 40, 50, 60]]])('Guard.latencyVsStable referencePercentiles %j', (ps) => {
    expectGuardProblem(() => Guard.latencyVsStable({ referencePercentiles: ps }), 'latencyVsStable', `referencePercentiles is ${JSON.stringify(ps)}`, 'give 1 to 5 distinct percentiles');
  });
  test('Guard.valueVsStable referencePercentiles and harmfulChange', () => {
    expectGuardProblem(() => Guard.valueVsStable({ name: 'JudgeScore', values: metric('Score'), referencePercentiles: [0] }), 'valueVsStable', 'referencePercentiles is [0]');
    expectGuardProblem(() => Guard.valueVsStable({ name: 'JudgeScore', values: metric('Score'), harmfulChange: 'down' as HarmfulChange }), 'valueVsStable', 'harmfulChange is "down"', 'HarmfulChange.INCREASE, DECREASE or EITHER');
    expect(() => Guard.valueVsStable({ name: 'JudgeScore', values: metric('Score'), harmfulChange: HarmfulChange.DECREASE })).not.toThrow();
  });
});

describe('Guard.predictionShift classes', () => {
  test.each([
    ['one class', ['positive']],
    ['a duplicate', ['a', 'a']],
    ['surrounding spaces', ['a', ' b']],
    ['an empty name', ['a', '']],
    ['a name longer than 255', ['a', 'x'.repeat(256)]],
    ['more than 100 classes', Array.from({ length: 101 }, (_, i) => `c${i}`)],
  ])('%s', (_name, classes) => {
    expectGuardProblem(() => Guard.predictionShift({ classes }), 'predictionShift', 'give 2 to 100 distinct class names');
  });
  test('no classes at all (plain JavaScript)', () => {
    expectGuardProblem(() => Guard.predictionShift({} as never), 'predictionShift', 'classes is []');
  });
  test('more than ten classes: the message shows the first ten and says there are more', () => {
    expectGuardProblem(() => Guard.predictionShift({ classes: Array.from({ length: 101 }, (_, i) => `c${i}`) }), 'predictionShift', '"c9"]…');
  });
});

describe('Guard.bedrockGuardrailBlockRateVsStable', () => {
  test('every prop it needs is named when missing', () => {
    expectGuardProblem(() => Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: 'arn:g' } as never), 'bedrockGuardrailBlockRateVsStable', 'canaryVersion, stableVersion are missing');
  });
  test('the same guardrail version on both sides cannot be compared', () => {
    expectGuardProblem(() => Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: 'arn:g', canaryVersion: 'DRAFT', stableVersion: 'DRAFT' }), 'bedrockGuardrailBlockRateVsStable', 'both DRAFT', 'two different guardrail versions');
  });
  test('the versions come from literal props or from a variable, never both', () => {
    expectGuardProblem(
      () => Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: 'arn:g', canaryVersion: '2', stableVersion: '1', guardrailVersionVariable: 'GUARDRAIL_VERSION' }),
      'bedrockGuardrailBlockRateVsStable',
      'either guardrailVersionVariable or canaryVersion and stableVersion',
    );
    expectGuardProblem(() => Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: 'arn:g', guardrailVersionVariable: 'guardrail version' }), 'bedrockGuardrailBlockRateVsStable', 'is not an environment variable name');
    expect(() => Guard.bedrockGuardrailBlockRateVsStable({ guardrailArn: 'arn:g', guardrailVersionVariable: 'GUARDRAIL_VERSION' })).not.toThrow();
  });
});

describe('user-defined judged guards', () => {
  test.each(['', 'has space', '1Starts', 'x'.repeat(65)])('a name that cannot end an alarm name: %j', (name) => {
    expectGuardProblem(() => Guard.rateVsStable({ name, events: metric('Down'), trials: metric('Rated') }), 'rateVsStable', 'give 1-64 letters and digits');
    expectGuardProblem(() => Guard.valueVsStable({ name, values: metric('Score') }), 'valueVsStable', 'give 1-64 letters and digits');
  });
  test('a built-in guard\'s name is refused', () => {
    expectGuardProblem(() => Guard.rateVsStable({ name: 'ErrorRateVsStable', events: metric('Down'), trials: metric('Rated') }), 'rateVsStable', 'the name of a built-in guard');
  });
  test('a missing metric is named', () => {
    expectGuardProblem(() => Guard.rateVsStable({ name: 'ThumbsDown', events: metric('Down') } as never), 'rateVsStable', 'trials is missing');
    expectGuardProblem(() => Guard.valueVsStable({ name: 'JudgeScore' } as never), 'valueVsStable', 'values is missing');
  });
  test('a metric-math "metric" fails when the guard is added: the judge reads single metrics', () => {
    const math: IVersionedMetric = { metricFor: (v) => new cloudwatch.MathExpression({ expression: 'a * 2', usingMetrics: { a: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Down', dimensionsMap: { Version: v } }) } }) };
    const stack = newStack();
    expect(() => new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack), guards: [Guard.valueVsStable({ name: 'Doubled', values: math })] })).toThrow(
      /Guard.valueVsStable Doubled: values is a metric math expression: the judge reads single metrics/,
    );
  });
  test('VersionedMetric.fromDimension: missing parts and a version dimension among the fixed ones', () => {
    expect(() => VersionedMetric.fromDimension({ metricNamespace: '', metricName: 'x', versionDimension: 'Version' })).toThrow(/metricNamespace is missing/);
    expect(() => VersionedMetric.fromDimension({ metricNamespace: 'Shop', metricName: 'x', versionDimension: 'Version', dimensionsMap: { Version: '1' } })).toThrow(/dimensionsMap names Version, the version dimension/);
  });
});

describe('guards on a canary', () => {
  const build = (guards: Guard[]) => {
    const stack = newStack();
    return () => new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack), guards });
  };
  test('two guards of one name fail: each owns one alarm', () => {
    expect(build([Guard.errorRate(), Guard.errorRate({ maxPercent: 2 })])).toThrow(/two guards named "ErrorRate": give each guard once/);
    expect(build([Guard.rateVsStable({ name: 'ThumbsDown', events: metric('Down'), trials: metric('Rated') }), Guard.valueVsStable({ name: 'ThumbsDown', values: metric('Score') })])).toThrow(/two guards named "ThumbsDown"/);
  });
  test('something that is not a Guard fails with what to give', () => {
    expect(build([{} as Guard])).toThrow(/a guard must be made by one of Guard's factories/);
  });
  test('guards that is not a list fails with an example', () => {
    expect(build('errorRate' as unknown as Guard[])).toThrow(/guards is string: give a list of guards/);
  });
});
