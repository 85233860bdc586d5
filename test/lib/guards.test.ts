import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Guard, HarmfulChange, LambdaModelCanary, SageMakerModelCanary, VersionedMetric } from '../../lib';
import { JUDGE_NAMESPACE, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { definitionOf, describeSynth, grantsOfRole, modelFunction, newStack, resourcesOfType, roleOfFunction, sorted, STACK_NAME, synthCanary, type TemplateJson } from './support';

/** Guards as values: defaults, addGuard(), user alarms, user metrics and the evidence alarms. */

const prefix = `${STACK_NAME}-Canary`;
const alarmNames = (json: TemplateJson) => Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
const alarmNamed = (json: TemplateJson, name: string) => Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm')).find((a) => a.Properties.AlarmName === name)!.Properties;
const alarmArn = (name: string) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`;

describe('the default guards', () => {
  test('without guards: errorRate, latencyP95, errorRateVsStable, latencyVsStable, as Guard.defaults() lists them', () => {
    const s = synthCanary();
    expect(Guard.defaults().map((g) => g.guardName)).toEqual(['ErrorRate', 'LatencyP95', 'ErrorRateVsStable', 'LatencyVsStable']);
    expect(sorted(alarmNames(s.json))).toEqual(sorted(Guard.defaults().map((g) => `${prefix}-${g.guardName}`)));
  });

  test('guards: [] leaves the canary without a guard: synth fails with what to do', () => {
    expect(() => synthCanary({ guards: [] })).toThrow(/has no guard: a canary would be promoted on traffic alone/);
  });
});

describe('addGuard()', () => {
  const stack = newStack();
  const fn = modelFunction(stack);
  const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: fn });
  const business = new cloudwatch.Alarm(stack, 'Business', {
    alarmName: 'business-kpi',
    metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Orders' }),
    threshold: 1,
    evaluationPeriods: 1,
  });
  canary.addGuard(Guard.schemaFailureRate());
  canary.addGuard(Guard.tokensPerRequestVsStable());
  canary.addGuard(Guard.fromAlarm(business));
  const s = describeSynth(stack, fn, canary);
  const plan = definitionOf(s.json).States.Plan.Result;

  test('adds to the default set: the plan, its judge and the template list the guards added after construction', () => {
    const own = ['ErrorRate', 'LatencyP95', 'ErrorRateVsStable', 'LatencyVsStable', 'SchemaFailureRate', 'TokensPerRequestVsStable'].map((g) => `${prefix}-${g}`);
    expect(plan.guardAlarmNames).toEqual([...own, `\${${s.logicalId(business)}}`]);
    expect(plan.versionScopedAlarmNames).toEqual([`${prefix}-ErrorRate`, `${prefix}-LatencyP95`, `${prefix}-SchemaFailureRate`]);
    expect(plan.judge.guards.map((g: { name: string }) => g.name)).toEqual(['ErrorRateVsStable', 'LatencyVsStable', 'TokensPerRequestVsStable']);
    expect(sorted(alarmNames(s.json))).toEqual(sorted([...own, 'business-kpi']));
    expect(canary.guardAlarms).toHaveLength(own.length);
  });

  test('every evidence alarm\'s threshold counts the judged guards added later (three share alpha, errors and latency 3 parts each, tokens 1)', () => {
    for (const g of ['ErrorRateVsStable', 'LatencyVsStable']) expect(alarmNamed(s.json, `${prefix}-${g}`).Threshold).toBeCloseTo(Math.log10(7 / (3 * 0.01)), 10);
    expect(alarmNamed(s.json, `${prefix}-TokensPerRequestVsStable`).Threshold).toBeCloseTo(Math.log10(7 / 0.01), 10);
  });

  test('a user alarm added later makes DescribeAlarms "*" (composite alarms) and the plan read composites; the fast path names it', () => {
    expect(plan.readCompositeAlarms).toBe(true);
    // The steps that read alarms (start, check, promote) run in the stack's steps function.
    expect(grantsOfRole(s.json, roleOfFunction(s.json, s.stepsId())).get('cloudwatch:DescribeAlarms')).toContain('*');
    // The stack's one alarm rule: the stack's prefix (every canary's guard alarms), and the user's alarm by name.
    const rule = Object.values(resourcesOfType(s.json, 'AWS::Events::Rule')).find((r) => r.Properties.EventPattern?.source?.includes('aws.cloudwatch'))!;
    expect(rule.Properties.EventPattern.detail.alarmName).toEqual([{ prefix: `${STACK_NAME}-` }, { Ref: s.logicalId(business) }]);
  });

  test('guardAlarm() finds a guard\'s alarm by name and says which exist when it does not', () => {
    expect(s.stack.resolve(canary.guardAlarm('SchemaFailureRate').alarmName)).toEqual({ Ref: s.logicalId(canary.guardAlarm('SchemaFailureRate') as cloudwatch.Alarm) });
    expect(alarmNamed(s.json, `${prefix}-SchemaFailureRate`)).toBeDefined();
    expect(() => canary.guardAlarm('Nope')).toThrow(/no guard named "Nope" \(this canary has ErrorRate, LatencyP95, .*SchemaFailureRate/);
  });
});

describe('addGuard() of alarm guards only', () => {
  test('DescribeAlarms grows with the alarms added later, still on exact ARNs', () => {
    const stack = newStack();
    const fn = modelFunction(stack);
    const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, guards: [Guard.errorRate()] });
    canary.addGuard(Guard.latencyP95());
    const s = describeSynth(stack, fn, canary);
    const arns = [`${prefix}-ErrorRate`, `${prefix}-LatencyP95`].map(alarmArn);
    // The steps that read alarms run in the stack's steps function.
    expect(sorted(grantsOfRole(s.json, roleOfFunction(s.json, s.stepsId())).get('cloudwatch:DescribeAlarms')!)).toEqual(sorted(arns));
    expect(definitionOf(s.json).States.Plan.Result.judge).toBeNull();
  });

  test('a window longer than the whole schedule fails at addGuard()', () => {
    const stack = newStack();
    const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack) });
    expect(() => canary.addGuard(Guard.schemaFailureRate({ window: Duration.hours(2) }))).toThrow(/Guard.schemaFailureRate: window \(120 min\) is longer than the whole schedule bakes \(40 min\)/);
  });
});

describe('user-defined metrics against stable', () => {
  const down = VersionedMetric.fromDimension({ metricNamespace: 'Shop/Feedback', metricName: 'ThumbsDown', versionDimension: 'ModelVersion', dimensionsMap: { App: 'chat' } });
  const rated = VersionedMetric.fromDimension({ metricNamespace: 'Shop/Feedback', metricName: 'Rated', versionDimension: 'ModelVersion', dimensionsMap: { App: 'chat' } });
  const score = VersionedMetric.fromDimension({ metricNamespace: 'Shop/Feedback', metricName: 'JudgeScore', versionDimension: 'ModelVersion' });
  const s = synthCanary({
    guards: [
      Guard.rateVsStable({ name: 'ThumbsDownRateVsStable', events: down, trials: rated, maxIncreasePoints: 1 }),
      Guard.valueVsStable({ name: 'JudgeScoreVsStable', values: score, harmfulChange: HarmfulChange.DECREASE, maxRatio: 1.1, referencePercentiles: [25, 50] }),
    ],
  });
  const judge = definitionOf(s.json).States.Plan.Result.judge;

  test('rateVsStable: a rate plan on the user\'s metrics, the version dimension holding the placeholder', () => {
    const m = (metricName: string) => ({ namespace: 'Shop/Feedback', metricName, dimensions: { App: 'chat', ModelVersion: VERSION_PLACEHOLDER } });
    expect(judge.guards[0]).toMatchObject({ name: 'ThumbsDownRateVsStable', test: 'rate', events: m('ThumbsDown'), trials: m('Rated'), maxRatio: 1.5, maxIncreasePoints: 1 });
  });

  test('valueVsStable: a scale plan with the harmful direction', () => {
    expect(judge.guards[1]).toMatchObject({
      name: 'JudgeScoreVsStable',
      test: 'scale',
      values: { namespace: 'Shop/Feedback', metricName: 'JudgeScore', dimensions: { ModelVersion: VERSION_PLACEHOLDER } },
      maxRatio: 1.1,
      referencePercentiles: [25, 50],
      direction: 'lower',
    });
  });

  test('each gets an evidence alarm under its own name, on the judge\'s namespace', () => {
    for (const name of ['ThumbsDownRateVsStable', 'JudgeScoreVsStable']) {
      const a = alarmNamed(s.json, `${prefix}-${name}`);
      expect(a).toMatchObject({ Namespace: JUDGE_NAMESPACE, MetricName: 'Evidence', ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
      expect(a.Dimensions.find((d: { Name: string }) => d.Name === 'Guard').Value).toBe(name);
      expect(a.Threshold).toBeCloseTo(Math.log10(2 / 0.01), 10);
    }
  });
});

describe('SageMaker\'s ModelErrorRate comes with the error-rate guard', () => {
  test('without Guard.errorRate there is no ModelErrorRate alarm', () => {
    const names = (guards: Guard[]) => {
      const stack = newStack();
      const model = new sagemaker.CfnModel(stack, 'Model', { executionRoleArn: 'arn:aws:iam::123456789012:role/sm', primaryContainer: { image: 'img' } });
      new SageMakerModelCanary(stack, 'Canary', { model, instanceType: 'ml.m5.large', endpointName: 'e', guards });
      return alarmNames(Template.fromStack(stack).toJSON() as TemplateJson);
    };
    expect(names([Guard.errorRate({ maxPercent: 2 })])).toEqual([`${prefix}-ErrorRate`, `${prefix}-ModelErrorRate`]);
    expect(names([Guard.errorRateVsStable()])).toEqual([`${prefix}-ErrorRateVsStable`]);
  });
});
