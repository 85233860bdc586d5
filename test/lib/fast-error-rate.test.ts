/**
 * Guard.fastErrorRate: a high-resolution (10-second) alarm on the runtime helper's 1-second
 * Requests and Errors, and the helper's high resolution turned on where each target sets the
 * helper's environment.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { ConfigModelCanary, Guard, LambdaModelCanary, SageMakerModelCanary } from '../../lib';
import { HIGH_RESOLUTION_ENV } from '../../runtime/signal-names';
import { evaluate, expressionOf } from './metric-math';
import { modelFunction, newStack, resourcesOfType, STACK_NAME, type TemplateJson } from './support';

const alarmOf = (json: TemplateJson, name: string) => {
  const found = Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmName === name);
  expect(found).toHaveLength(1);
  return found[0].Properties;
};

describe('Guard.fastErrorRate on a Lambda canary', () => {
  const stack = newStack();
  const fn = modelFunction(stack);
  new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, guards: [...Guard.defaults(), Guard.fastErrorRate()] });
  const json = Template.fromStack(stack).toJSON() as TemplateJson;
  const alarm = alarmOf(json, `${STACK_NAME}-Canary-FastErrorRate`);

  test('10-second periods on the helper\'s Requests and Errors of the canary version, 2 consecutive breaches', () => {
    const stats = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat);
    expect(stats.map((s: any) => s.Metric.MetricName).sort()).toEqual(['Errors', 'Requests']);
    for (const s of stats) {
      expect(s.Period).toBe(10);
      expect(s.Stat).toBe('Sum');
      expect(s.Metric.Namespace).toBe('ModelCanary');
      expect(s.Metric.Dimensions.map((d: any) => d.Name).sort()).toEqual(['Canary', 'Stack', 'Version']);
    }
    expect(alarm.EvaluationPeriods).toBe(2);
    expect(alarm.DatapointsToAlarm).toBe(2);
    expect(alarm.Threshold).toBe(30);
    expect(alarm.TreatMissingData).toBe('notBreaching');
  });

  test('a period below minRequests reads 0; above it, the error rate in percent', () => {
    const expression = expressionOf(alarm);
    const ids = Object.fromEntries(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.MetricStat.Metric.MetricName, m.Id]));
    expect(evaluate(expression, { [ids.Requests]: 9, [ids.Errors]: 9 })).toBe(0);
    expect(evaluate(expression, { [ids.Requests]: 20, [ids.Errors]: 10 })).toBe(50);
    expect(evaluate(expression, { [ids.Requests]: 20, [ids.Errors]: undefined })).toBe(0);
  });

  test('the function gets MODEL_CANARY_HIGH_RESOLUTION=true, so the helper writes 1-second counts', () => {
    const env = Object.values(resourcesOfType(json, 'AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.MODEL_CANARY_NAME)!;
    expect(env.Properties.Environment.Variables[HIGH_RESOLUTION_ENV]).toBe('true');
  });

  test('without the guard, no variable and no high-resolution alarm', () => {
    const s = newStack();
    const f = modelFunction(s);
    new LambdaModelCanary(s, 'Canary', { modelFunction: f });
    const j = Template.fromStack(s).toJSON() as TemplateJson;
    const vars = Object.values(resourcesOfType(j, 'AWS::Lambda::Function')).map((r) => r.Properties.Environment?.Variables ?? {});
    expect(vars.some((v) => HIGH_RESOLUTION_ENV in v)).toBe(false);
    expect(JSON.stringify(resourcesOfType(j, 'AWS::CloudWatch::Alarm'))).not.toContain('"Period":10');
  });
});

describe('Guard.fastErrorRate on the other targets', () => {
  test('config canary: the router environment and the target config ask for high resolution', () => {
    const stack = new Stack(undefined, 'ChatStack');
    const chat = new ConfigModelCanary(stack, 'Chat', { config: { modelId: 'm' }, version: 'v1' });
    expect(chat.routerEnvironment[HIGH_RESOLUTION_ENV]).toBeUndefined();
    chat.addGuard(Guard.fastErrorRate({ period: Duration.seconds(30), periods: 3, maxPercent: 40, minRequests: 25 }));
    expect(chat.routerEnvironment[HIGH_RESOLUTION_ENV]).toBe('true');
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const alarm = alarmOf(json, 'ChatStack-Chat-FastErrorRate');
    expect(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Period)).toEqual([30, 30]);
    expect([alarm.EvaluationPeriods, alarm.Threshold]).toEqual([3, 40]);
    expect(expressionOf(alarm)).toContain('>= 25');
    expect(JSON.stringify(json)).toContain('\\"highResolution\\":\\"true\\"');
  });

  test('SageMaker: modelEnvironment carries the variable once the guard is added', () => {
    const stack = newStack();
    const model = new sagemaker.CfnModel(stack, 'Model', { executionRoleArn: 'arn:aws:iam::123456789012:role/sm', primaryContainer: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1' } });
    const canary = new SageMakerModelCanary(stack, 'S', { model, instanceType: 'ml.m5.large', guards: [Guard.fastErrorRate()] });
    expect(canary.modelEnvironment[HIGH_RESOLUTION_ENV]).toBe('true');
    expect(Annotations.fromStack(stack).findWarning('*', 'Guard.fastErrorRate*')).toEqual([]);
  });

  test.each([
    [{ period: Duration.seconds(20) }, /period is 20 s: give Duration.seconds\(10\) or Duration.seconds\(30\)/],
    [{ period: Duration.minutes(1) }, /for minutes use Guard.errorRate/],
    [{ periods: 0 }, /periods/],
    [{ periods: 1.5 }, /periods must be a whole number/],
    [{ maxPercent: 120 }, /maxPercent/],
    [{ minRequests: 0 }, /minRequests/],
  ])('bad props say what to change: %p', (props, message) => {
    expect(() => Guard.fastErrorRate(props)).toThrow(message);
  });
});
