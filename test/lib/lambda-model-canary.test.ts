import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Guard, InsufficientTrafficAction, LambdaModelCanary, RolloutSchedule } from '../../lib';
import { JUDGE_NAMESPACE, VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import {
  asArray,
  controllerOf,
  definitionOf,
  descriptorOf,
  describeSynth,
  flatten,
  grantsOfRole,
  modelFunction,
  newStack,
  onlyResourceOfType,
  resourcesOfType,
  roleOfFunction,
  sorted,
  STACK_NAME,
  statementsOfRole,
  stepOfTask,
  synthCanary,
  type SynthesizedCanary,
} from './support';

/** The default guards: two alarm guards, two judged guards (each with its evidence alarm). */
const ALARM_GUARDS = ['ErrorRate', 'LatencyP95'] as const;
const JUDGED_GUARDS = ['ErrorRateVsStable', 'LatencyVsStable'] as const;
const GUARDS = [...ALARM_GUARDS, ...JUDGED_GUARDS] as const;
const TRANSIENT = ['TransientAwsError', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
/** The workflow's Lambda tasks, by state name, and the step each runs (in the stack's one steps function). */
const TASK_HANDLERS: Record<string, string> = {
  Start: 'start',
  PreTrafficChecks: 'pre-traffic',
  SetWeight: 'set-weight',
  Check: 'check',
  Promote: 'promote',
  RollBack: 'rollback',
  RollBackAfterError: 'rollback',
  AlertRollbackFailed: 'rollback-failed',
};

/** The alarm resources of a template, by the guard their name ends with. */
function alarmsByGuard(s: SynthesizedCanary, prefix: string): Record<string, any> {
  const alarms = Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Alarm'));
  return Object.fromEntries(
    GUARDS.map((g) => {
      const found = alarms.filter((a) => a.Properties.AlarmName === `${prefix}-${g}`);
      expect(found).toHaveLength(1);
      return [g, found[0].Properties];
    }),
  );
}

/** Every metric an alarm reads: its own (single-metric alarm) or those of its math expression. */
function metricsOf(alarm: any): { id: string; namespace: string; metricName: string; stat: string; period: number; dims: Record<string, string> }[] {
  const dims = (ds: { Name: string; Value: unknown }[]) => Object.fromEntries(ds.map((d) => [d.Name, flatten(d.Value)]));
  if (alarm.MetricName) {
    return [{ id: 'single', namespace: alarm.Namespace, metricName: alarm.MetricName, stat: alarm.ExtendedStatistic ?? alarm.Statistic, period: alarm.Period, dims: dims(alarm.Dimensions) }];
  }
  return alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => ({
    id: m.Id,
    namespace: m.MetricStat.Metric.Namespace,
    metricName: m.MetricStat.Metric.MetricName,
    stat: m.MetricStat.Stat,
    period: m.MetricStat.Period,
    dims: dims(m.MetricStat.Metric.Dimensions),
  }));
}

/** The alarm fast path's rule: the one on alarm state changes whose target is the steps function. */
function fastPathRule(s: SynthesizedCanary): any {
  const rules = Object.values(resourcesOfType(s.json, 'AWS::Events::Rule')).filter((r: any) =>
    r.Properties.EventPattern?.source?.[0] === 'aws.cloudwatch' &&
    r.Properties.Targets?.some((t: any) => flatten(t.Arn) === `\${${s.stepsId()}.Arn}`),
  );
  expect(rules).toHaveLength(1);
  return rules[0];
}

const alarmArn = (name: string) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`;
/** A workflow's ARN as the constructs build it: from its name, not a reference (see grantShared). */
const workflowArn = (name: string) => `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${name}`;
/** The input a fast-path rule sends the steps function (an input transformer's template, placeholders as 0). */
const ruleInput = (rule: any) => JSON.parse(flatten(rule.Properties.Targets[0].InputTransformer?.InputTemplate ?? rule.Properties.Targets[0].Input).replace(/<[^>]+>/g, '0'));

describe('LambdaModelCanary with default options', () => {
  let s: SynthesizedCanary;
  let fnId: string;
  let versionId: string;
  let releaseId: string;
  let topicId: string;
  let stateMachineId: string;
  let stateMachineName: string;
  const prefix = `${STACK_NAME}-Canary`;

  beforeAll(() => {
    s = synthCanary({ alertEmails: ['ml-oncall@example.com'] });
    fnId = s.logicalId(s.fn);
    versionId = s.logicalId(s.fn.currentVersion);
    releaseId = onlyResourceOfType(s.json, 'Custom::ModelCanaryRelease').id;
    topicId = onlyResourceOfType(s.json, 'AWS::SNS::Topic').id;
    stateMachineId = onlyResourceOfType(s.json, 'AWS::StepFunctions::StateMachine').id;
    stateMachineName = s.json.Resources[stateMachineId].Properties.StateMachineName;
  });

  describe('release custom resource', () => {
    test('targets the alias of the model function, releases its current version and starts this workflow', () => {
      s.template.resourceCountIs('Custom::ModelCanaryRelease', 1);
      s.template.hasResourceProperties('Custom::ModelCanaryRelease', {
        Target: { kind: 'lambda-alias', functionName: { Ref: fnId }, aliasName: 'live' },
        Version: { 'Fn::GetAtt': [versionId, 'Version'] },
        TopicArn: { Ref: topicId },
        CanaryName: 'Canary',
      });
      // This workflow by its ARN built from its name (a Ref would close a dependency cycle through
      // the shared steps function's role), so the resource depends on the workflow explicitly.
      const release = s.json.Resources[releaseId];
      expect(stateMachineName).toBe(`ModelCanary-${STACK_NAME}-Canary`);
      expect(flatten(release.Properties.StateMachineArn)).toBe(workflowArn(stateMachineName));
      expect(release.DependsOn).toContain(stateMachineId);
    });

    test('is served by the provider framework that invokes the release handler', () => {
      const release = s.json.Resources[releaseId];
      const serviceToken = flatten(release.Properties.ServiceToken);
      const frameworkId = /^\$\{(.+)\.Arn\}$/.exec(serviceToken)?.[1];
      expect(frameworkId).toBeDefined();
      const env = s.json.Resources[frameworkId!].Properties.Environment.Variables;
      expect(Object.values(env).map(flatten)).toContain(`\${${s.releaseId()}.Arn}`);
    });

    test('the model version is retained, so the stable version outlives the deploy of its canary', () => {
      s.template.resourceCountIs('AWS::Lambda::Version', 1);
      s.template.hasResource('AWS::Lambda::Version', {
        Properties: { FunctionName: { Ref: fnId } },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    test('the alias is not declared in the template (the release resource owns it)', () => {
      s.template.resourceCountIs('AWS::Lambda::Alias', 0);
    });

    test('the alias the construct exposes comes from the release resource, so references wait for it', () => {
      expect(s.stack.resolve(s.canary.alias.aliasName)).toEqual({ 'Fn::GetAtt': [releaseId, 'TargetName'] });
      expect(s.canary.aliasName).toBe('live');
      expect(s.stack.resolve(s.canary.stableVersion)).toEqual({ 'Fn::GetAtt': [releaseId, 'StableVersion'] });
    });
  });

  describe('guard alarms', () => {
    let alarms: Record<string, any>;
    beforeAll(() => {
      alarms = alarmsByGuard(s, prefix);
    });

    test('there are exactly the four guards, named <stack>-<canary>-<guard>', () => {
      s.template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
      expect(sorted(Object.keys(alarms))).toEqual(sorted([...GUARDS]));
      expect(s.canary.guardAlarms).toHaveLength(4);
    });

    test.each(ALARM_GUARDS)('%s: fires after 5 breaching minutes out of 5, missing data is not breaching', (guard) => {
      expect(alarms[guard]).toMatchObject({
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        TreatMissingData: 'notBreaching',
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    test('default thresholds: 5 %, 10000 ms', () => {
      expect(alarms.ErrorRate.Threshold).toBe(5);
      expect(alarms.LatencyP95.Threshold).toBe(10000);
    });

    // The judge publishes log10 of each guard's e-value; alpha 0.01 shared by two judged guards.
    test.each(JUDGED_GUARDS)('%s: an evidence alarm on the judge\'s metric, at log10(1 / (0.01 / 2)), 1 of 1 minute', (guard) => {
      expect(alarms[guard]).toMatchObject({
        Namespace: JUDGE_NAMESPACE,
        MetricName: 'Evidence',
        Statistic: 'Maximum',
        Period: 60,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(alarms[guard].Threshold).toBeCloseTo(Math.log10(2 / 0.01), 10);
      const dims = Object.fromEntries((alarms[guard].Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, flatten(d.Value)]));
      expect(dims).toEqual({ Canary: 'Canary', Stack: STACK_NAME, Guard: guard, Version: `\${${versionId}.Version}` });
    });

    test.each(ALARM_GUARDS)('%s: every metric is AWS/Lambda, 1 minute, by FunctionName, Resource "<fn>:live" (not an ARN) and ExecutedVersion', (guard) => {
      const metrics = metricsOf(alarms[guard]);
      expect(metrics.length).toBeGreaterThan(0);
      for (const m of metrics) {
        expect(m.namespace).toBe('AWS/Lambda');
        expect(m.period).toBe(60);
        expect(sorted(Object.keys(m.dims))).toEqual(['ExecutedVersion', 'FunctionName', 'Resource']);
        expect(m.dims.FunctionName).toBe(`\${${fnId}}`);
        expect(m.dims.Resource).toBe(`\${${fnId}}:live`);
        expect(m.dims.Resource).not.toMatch(/arn:|\.Arn\}/);
      }
    });

    test('the Resource dimension is an Fn::Join of the function name and ":live"', () => {
      const dims = alarms.LatencyP95.Dimensions as { Name: string; Value: unknown }[];
      expect(dims.find((d) => d.Name === 'Resource')?.Value).toEqual({ 'Fn::Join': ['', [{ Ref: fnId }, ':live']] });
    });

    test('absolute guards watch the canary version only', () => {
      const canary = `\${${versionId}.Version}`;
      for (const guard of ['ErrorRate', 'LatencyP95']) {
        for (const m of metricsOf(alarms[guard])) expect(m.dims.ExecutedVersion).toBe(canary);
      }
    });

    test('the judged guards compare versions in the check step: their plan metrics hold the version placeholder', () => {
      const judge = definitionOf(s.json).States.Plan.Result.judge;
      const lambdaMetric = (metricName: string) => ({
        namespace: 'AWS/Lambda',
        metricName,
        dimensions: { FunctionName: `\${${fnId}}`, Resource: `\${${fnId}}:live`, ExecutedVersion: VERSION_PLACEHOLDER },
      });
      expect(judge).toEqual({
        alpha: 0.01,
        canaryName: 'Canary',
        stackName: STACK_NAME,
        // The change detector's horizon: the default schedule's 40 minutes of bakes and the 10-minute watch.
        horizonMinutes: 50,
        promotionMargin: 5,
        guards: [
          expect.objectContaining({ name: 'ErrorRateVsStable', test: 'rate', events: lambdaMetric('Errors'), trials: lambdaMetric('Invocations'), maxRatio: 1.5, alphaWeight: 3 }),
          expect.objectContaining({ name: 'LatencyVsStable', test: 'scale', values: lambdaMetric('Duration'), maxRatio: 1.2, referencePercentiles: [50, 95], direction: 'higher', alphaWeight: 3 }),
        ],
      });
      // The previous version keeps 5 % at the 100 % step and in the watch: the judge's control.
      expect(definitionOf(s.json).States.Plan.Result.controlPercent).toBe(5);
      expect(judge.guards[0].maxIncreasePoints).toBeUndefined();
    });

    test('the error-rate guard divides errors by invocations (Sum), missing errors count as 0', () => {
      for (const guard of ['ErrorRate']) {
        const metrics = metricsOf(alarms[guard]);
        for (const m of metrics) {
          expect(m.stat).toBe('Sum');
          expect(m.metricName).toBe(m.id.endsWith('Errors') ? 'Errors' : 'Invocations');
        }
        const expression = alarms[guard].Metrics.find((m: any) => m.Expression);
        expect(expression.ReturnData).toBe(true);
        expect(expression.Expression).toContain('100 * FILL(canaryErrors, 0) / canaryRequests');
      }
    });

    test('the p95 guard: ExtendedStatistic p95 on Duration, low-sample percentiles are evaluated', () => {
      expect(alarms.LatencyP95).toMatchObject({ MetricName: 'Duration', ExtendedStatistic: 'p95', EvaluateLowSampleCountPercentile: 'evaluate' });
      expect(alarms.LatencyP95.Statistic).toBeUndefined();
      // The error-rate guard is not a percentile.
      expect(alarms.ErrorRate.EvaluateLowSampleCountPercentile).toBeUndefined();
    });
  });

  describe('workflow', () => {
    let def: ReturnType<typeof definitionOf>;
    beforeAll(() => {
      def = definitionOf(s.json);
    });

    test('has the contract states, starting at Plan (no PreTrafficChecks without checks)', () => {
      expect(def.StartAt).toBe('Plan');
      expect(sorted(Object.keys(def.States))).toEqual(
        sorted([
          'Plan', 'Start', 'Started', 'SetWeight', 'WeightSet', 'Bake', 'Check', 'Decide', 'Promote', 'PromotedOrNot', 'Promoted',
          'RollBack', 'RegressionOrNot', 'RolledBack', 'InsufficientEvidence', 'RollBackAfterError', 'RolloutFailed', 'AlertRollbackFailed', 'RollbackFailed',
          'StoppedOutsideWorkflow', 'Superseded',
          // The post-promotion watch (default 10 minutes).
          'WatchAfterPromotion', 'WatchCheck', 'WatchedOrNot',
        ]),
      );
      expect(def.States.Started.Default).toBe('SetWeight');
    });

    test('the Plan state carries the default plan', () => {
      const plan = def.States.Plan;
      expect(plan.Type).toBe('Pass');
      expect(plan.ResultPath).toBe('$.plan');
      expect(plan.Next).toBe('Start');
      expect(plan.Result).toMatchObject({
        canaryName: 'Canary',
        target: { kind: 'lambda-alias', functionName: `\${${fnId}}`, aliasName: 'live' },
        steps: [
          { percent: 5, bakeSeconds: 600 },
          { percent: 25, bakeSeconds: 600 },
          { percent: 50, bakeSeconds: 600 },
          { percent: 100, bakeSeconds: 600 },
        ],
        checkIntervalSeconds: 30,
        minRequestsPerStep: 100,
        insufficientTraffic: 'HOLD',
        maxHoldSeconds: 6 * 3600,
        topicArn: `\${${topicId}}`,
        preTrafficChecks: [],
      });
      expect(plan.Result.guardAlarmNames).toEqual(GUARDS.map((g) => `${prefix}-${g}`));
      // The evidence alarms get data only while the judge reads some: the workflow must not wait for them.
      expect(plan.Result.versionScopedAlarmNames).toEqual(ALARM_GUARDS.map((g) => `${prefix}-${g}`));
      expect(plan.Result.predictionShift).toBeUndefined();
    });

    test('the plan names exactly the alarms the template declares', () => {
      const declared = Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
      expect(sorted(def.States.Plan.Result.guardAlarmNames)).toEqual(sorted(declared));
    });

    // One steps function runs every step now: each task names its step beside its input ({ step, input }).
    test('every task invokes the steps function directly (payloadResponseOnly), naming its step, into $.progress (alerts into $.alert)', () => {
      for (const [state, step] of Object.entries(TASK_HANDLERS)) {
        if (!def.States[state]) continue;
        expect(def.States[state]).toMatchObject({ Type: 'Task', Resource: `\${${s.stepsId()}.Arn}` });
        expect(stepOfTask(def.States[state])).toBe(step);
        expect(def.States[state].ResultPath).toBe(state === 'AlertRollbackFailed' ? '$.alert' : '$.progress');
        // Start alone gets its execution's name beside the state (the operator's commands name it).
        if (state === 'Start') expect(def.States[state].Parameters).toEqual({ step, input: { 'plan.$': '$.plan', 'release.$': '$.release', 'execution.$': '$$.Execution.Name' } });
        else expect(def.States[state].Parameters).toEqual({ step, 'input.$': '$' });
      }
    });

    test('every task retries transient AWS errors with backoff', () => {
      for (const state of Object.keys(TASK_HANDLERS).filter((n) => def.States[n])) {
        const retry = def.States[state].Retry.find((r: any) => r.ErrorEquals.includes('TransientAwsError'));
        expect(retry).toBeDefined();
        expect(sorted(retry.ErrorEquals)).toEqual(sorted(TRANSIENT));
        expect(retry.BackoffRate).toBeGreaterThan(1);
        expect(retry.MaxAttempts).toBeGreaterThanOrEqual(6);
      }
      expect(def.States.Check.Retry).toContainEqual(
        expect.objectContaining({ ErrorEquals: TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 }),
      );
    });

    test('Start also waits for the guards: GuardsNotReady every 15 s, up to 40 times', () => {
      expect(def.States.Start.Retry).toContainEqual({ ErrorEquals: ['GuardsNotReady'], IntervalSeconds: 15, MaxAttempts: 40, BackoffRate: 1 });
    });

    test('any error in a rollout step rolls back (Catch States.ALL → RollBackAfterError, error in $.error)', () => {
      for (const state of ['Start', 'SetWeight', 'Check', 'Promote']) {
        expect(def.States[state].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RollBackAfterError' }]);
      }
      expect(def.States.RollBackAfterError.Next).toBe('RolloutFailed');
      expect(def.States.RolloutFailed).toMatchObject({ Type: 'Fail', Error: 'RolloutFailed' });
    });

    test('a failing rollback alerts and ends in RollbackFailed', () => {
      for (const state of ['RollBack', 'RollBackAfterError']) {
        expect(def.States[state].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'AlertRollbackFailed' }]);
      }
      expect(def.States.AlertRollbackFailed.Next).toBe('RollbackFailed');
      expect(def.States.AlertRollbackFailed.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RollbackFailed' })]);
      expect(def.States.RollbackFailed).toMatchObject({ Type: 'Fail', Error: 'RollbackFailed' });
    });

    test('transitions follow the contract', () => {
      const choices = (state: string) => Object.fromEntries(def.States[state].Choices.map((c: any) => [c.StringEquals, c.Next]));
      expect(def.States.Start.Next).toBe('Started');
      expect(choices('Started')).toEqual({ external: 'StoppedOutsideWorkflow' });
      expect(def.States.SetWeight.Next).toBe('WeightSet');
      expect(choices('WeightSet')).toEqual({ external: 'StoppedOutsideWorkflow', promote: 'Promote' });
      expect(def.States.WeightSet.Default).toBe('Bake');
      expect(def.States.Bake).toEqual({ Type: 'Wait', SecondsPath: '$.progress.waitSeconds', Next: 'Check' });
      expect(def.States.Check.Next).toBe('Decide');
      expect(choices('Decide')).toEqual({ rollback: 'RollBack', external: 'StoppedOutsideWorkflow', advance: 'SetWeight', promote: 'Promote' });
      expect(def.States.Decide.Default).toBe('Bake');
      for (const c of def.States.Decide.Choices) expect(c.Variable).toBe('$.progress.decision');
      expect(def.States.Promote.Next).toBe('PromotedOrNot');
      expect(choices('PromotedOrNot')).toEqual({ promote: 'Promoted', external: 'StoppedOutsideWorkflow', watch: 'WatchAfterPromotion' });
      expect(def.States.PromotedOrNot.Default).toBe('RollBack');
      expect(def.States.WatchAfterPromotion).toEqual({ Type: 'Wait', SecondsPath: '$.progress.waitSeconds', Next: 'WatchCheck' });
      expect(def.States.WatchCheck.Next).toBe('WatchedOrNot');
      expect(def.States.WatchCheck.Catch[0].Next).toBe('RollBackAfterError');
      expect(choices('WatchedOrNot')).toEqual({ watch: 'WatchAfterPromotion', promote: 'Promoted', external: 'StoppedOutsideWorkflow' });
      expect(def.States.WatchedOrNot.Default).toBe('RollBack');
      expect(choices('StoppedOutsideWorkflow')).toEqual({ promoted: 'Promoted', superseded: 'Superseded' });
      // Rolled back outside the workflow (fast path): the rollback step confirms and sends the alert.
      expect(def.States.StoppedOutsideWorkflow.Default).toBe('RollBack');
      // After the rollback: a regression, or a rollout that could not gather the evidence in maxHold.
      expect(def.States.RollBack.Next).toBe('RegressionOrNot');
      expect(def.States.RegressionOrNot.Default).toBe('RolledBack');
      expect(def.States.RegressionOrNot.Choices[0].Next).toBe('InsufficientEvidence');
      expect(def.States.InsufficientEvidence).toMatchObject({ Type: 'Fail', Error: 'InsufficientEvidence' });
      expect(def.States.RolledBack).toMatchObject({ Type: 'Fail', Error: 'CanaryRolledBack' });
      expect(def.States.Promoted.Type).toBe('Succeed');
      expect(def.States.Superseded.Type).toBe('Succeed');
    });

    test('logs everything, with execution data, and traces', () => {
      s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } }],
        },
        TracingConfiguration: { Enabled: true },
      });
    });
  });

  describe('alerts', () => {
    test('the topic is encrypted with a key of its own (CloudWatch and EventBridge cannot use the AWS managed SNS key)', () => {
      const topic = s.json.Resources[topicId].Properties;
      const keys = Object.keys(resourcesOfType(s.json, 'AWS::KMS::Key'));
      expect(keys).toHaveLength(1);
      expect(flatten(topic.KmsMasterKeyId)).toBe(`\${${keys[0]}.Arn}`);
    });

    test('every alert email is subscribed', () => {
      s.template.resourceCountIs('AWS::SNS::Subscription', 1);
      // The topic is the stack's: the filter policy keeps the address to this canary's alerts.
      s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-oncall@example.com', TopicArn: { Ref: topicId }, FilterPolicy: { canary: ['Canary'] } });
    });

    test('the topic policy denies publishing without TLS', () => {
      s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('alarm fast path', () => {
    // One rule for the stack: it matches the stack's alarm-name prefix, which every canary's guard alarms carry.
    test('an EventBridge rule sends ALARM state changes of the guard alarms (by their name prefix) to the on-alarm step', () => {
      const rule = fastPathRule(s);
      const pattern = rule.Properties.EventPattern;
      expect(pattern.source).toEqual(['aws.cloudwatch']);
      expect(pattern['detail-type']).toEqual(['CloudWatch Alarm State Change']);
      expect(pattern.detail).toEqual({ alarmName: [{ prefix: `${STACK_NAME}-` }], state: { value: ['ALARM'] } });
      for (const g of GUARDS) expect(`${prefix}-${g}`.startsWith(`${STACK_NAME}-`)).toBe(true);
      expect(rule.Properties.Targets).toHaveLength(1);
      expect(flatten(rule.Properties.Targets[0].Arn)).toBe(`\${${s.stepsId()}.Arn}`);
      expect(ruleInput(rule).step).toBe('on-alarm');
    });

    // The rule is the stack's: its input names where the canaries' descriptors are, and this
    // canary's descriptor names its alarms, its target and its topic.
    test('the rule input names the version-scoped alarms and the target', () => {
      const rule = fastPathRule(s);
      expect(ruleInput(rule).input.canaries).toBe(`/cdk-model-canary/${STACK_NAME}`);
      const descriptor = descriptorOf(s.json, 'Canary');
      expect(descriptor.guardAlarmNames).toEqual(GUARDS.map((g) => `${prefix}-${g}`));
      expect(descriptor.versionScopedAlarmNames).toEqual(ALARM_GUARDS.map((g) => `${prefix}-${g}`));
      expect(descriptor.target).toEqual({ kind: 'lambda-alias', functionName: `\${${fnId}}`, aliasName: 'live' });
      // The topic only for a revert that raced the end of the post-promotion watch (the workflow alerts all others).
      expect(descriptor.topicArn).toBe(`\${${topicId}}`);
      const path = grantsOfRole(s.json, roleOfFunction(s.json, s.stepsId())).get('ssm:GetParametersByPath');
      expect(path).toEqual([`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/cdk-model-canary/${STACK_NAME}`]);
    });

    test('EventBridge may invoke the steps function', () => {
      s.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [s.stepsId(), 'Arn'] },
      });
    });
  });

  // The steps of the workflow and the fast paths share the stack's one steps function and its role;
  // the release and verdict resources have the release function and its own role. Where a test was
  // about one step's role, it now asserts the same of the function that runs that step.
  describe('IAM', () => {
    const FUNCTIONS = ['steps', 'release'] as const;
    let grants: Record<(typeof FUNCTIONS)[number], Map<string, string[]>>;
    let roles: Record<(typeof FUNCTIONS)[number], string>;
    let fnArn: string;
    let executions: string;
    /** Every role of the template, with its grants (the workflow's, the provider framework's too). */
    let allRoles: [string, Map<string, string[]>][];

    beforeAll(() => {
      roles = { steps: roleOfFunction(s.json, s.stepsId()), release: roleOfFunction(s.json, s.releaseId()) };
      grants = { steps: grantsOfRole(s.json, roles.steps), release: grantsOfRole(s.json, roles.release) };
      fnArn = `\${${fnId}.Arn}`;
      executions = `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${stateMachineName}:*`;
      allRoles = Object.keys(resourcesOfType(s.json, 'AWS::IAM::Role')).map((id) => [id, grantsOfRole(s.json, id)]);
    });

    const holders = (action: string) => allRoles.filter(([, g]) => g.has(action)).map(([id]) => id);

    // Was "every handler has its own role": one function runs every step now, so the split that
    // remains is the one that matters, routing create/delete (release) apart from the steps.
    test('the steps and the release function each have a role of their own', () => {
      expect(roles.steps).not.toBe(roles.release);
      const functionRoles = Object.keys(resourcesOfType(s.json, 'AWS::Lambda::Function')).map((id) => roleOfFunction(s.json, id));
      expect(functionRoles.filter((r) => r === roles.steps)).toHaveLength(1);
      expect(functionRoles.filter((r) => r === roles.release)).toHaveLength(1);
    });

    test('no function role has a wildcard action but kms:GenerateDataKey* on the topic key; "*" as resource only for the steps\' GetMetricData and PutMetricData', () => {
      const [key] = Object.keys(resourcesOfType(s.json, 'AWS::KMS::Key'));
      for (const h of FUNCTIONS) {
        for (const [action, resources] of grants[h]) {
          // Publishing to an encrypted topic needs kms:GenerateDataKey* on its key (SNS documents the wildcard form).
          if (action === 'kms:GenerateDataKey*') expect(resources).toEqual([`\${${key}.Arn}`]);
          else expect(action).not.toContain('*');
          if (resources.includes('*')) expect([h, resources]).toEqual(['steps', ['*']]);
          if (resources.includes('*')) expect(['cloudwatch:GetMetricData', 'cloudwatch:PutMetricData']).toContain(action);
          // The one other wildcard: this workflow's executions (their names are generated).
          for (const r of resources.filter((r) => r !== '*' && r.includes('*'))) {
            const allowed = [['release', 'states:StopExecution'], ['steps', 'states:DescribeExecution']].map(([fn, a]) => [fn, a, executions]);
            expect(allowed).toContainEqual([h, action, r]);
          }
        }
      }
      expect(grants.steps.get('cloudwatch:GetMetricData')).toEqual(['*']);
    });

    // PutMetricData has no resource-level permissions; the condition key limits it to one namespace.
    // Was "the check step": the check runs in the steps function, whose role holds the statement.
    test('the steps function publishes the judge\'s evidence into the judge\'s namespace only', () => {
      const statements = statementsOfRole(s.json, roles.steps).filter((st) => asArray(st.Action).includes('cloudwatch:PutMetricData'));
      expect(statements).toEqual([{ Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': JUDGE_NAMESPACE } } }]);
      expect(holders('cloudwatch:PutMetricData')).toEqual([roles.steps]);
    });

    test('no function role has an inline or managed policy beyond its default policy', () => {
      for (const h of FUNCTIONS) {
        const role = s.json.Resources[roles[h]].Properties;
        expect(role.ManagedPolicyArns).toBeUndefined();
        expect(role.Policies).toBeUndefined();
        expect(role.AssumeRolePolicyDocument.Statement).toEqual([
          expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }),
        ]);
      }
    });

    // Alias actions and GetFunctionConfiguration authorize against the function's unqualified ARN:
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html
    // Was "only for the steps that move traffic": those steps (and the fast path) are the steps function.
    test('lambda:UpdateAlias only on the model function, and only for the functions that move traffic', () => {
      expect(sorted(holders('lambda:UpdateAlias'))).toEqual(sorted([roles.steps, roles.release]));
      for (const h of FUNCTIONS) expect(grants[h].get('lambda:UpdateAlias')).toEqual([fnArn]);
    });

    // Was "only the release handler": the steps function, which every step shares, cannot delete the alias.
    test('only the release function creates or deletes the alias', () => {
      for (const action of ['lambda:CreateAlias', 'lambda:DeleteAlias']) {
        expect(holders(action)).toEqual([roles.release]);
        expect(grants.release.get(action)).toEqual([fnArn]);
        expect(grants.steps.get(action)).toBeUndefined();
      }
    });

    test('lambda:GetAlias only on the model function', () => {
      for (const [, g] of allRoles) {
        const resources = g.get('lambda:GetAlias');
        if (resources) expect(resources).toEqual([fnArn]);
      }
      for (const h of FUNCTIONS) expect(grants[h].get('lambda:GetAlias')).toBeDefined();
    });

    // Was "for Start only": Start runs in the steps function; the release function needs no configuration.
    test('lambda:GetFunctionConfiguration on the model function (its versions included), for the steps function only', () => {
      expect(holders('lambda:GetFunctionConfiguration')).toEqual([roles.steps]);
      expect(grants.steps.get('lambda:GetFunctionConfiguration')).toEqual([fnArn]);
    });

    test('cloudwatch:DescribeAlarms only on the guard alarm ARNs', () => {
      const arns = GUARDS.map((g) => alarmArn(`${prefix}-${g}`));
      expect(sorted(grants.steps.get('cloudwatch:DescribeAlarms')!)).toEqual(sorted(arns));
      for (const [, g] of allRoles) {
        const resources = g.get('cloudwatch:DescribeAlarms');
        if (resources) expect(sorted(resources)).toEqual(sorted(arns));
      }
    });

    test('sns:Publish only on the alert topic, for both functions (the fast path: a revert that raced the end of the watch)', () => {
      for (const h of FUNCTIONS) expect(grants[h].get('sns:Publish')).toEqual([`\${${topicId}}`]);
      expect(sorted(holders('sns:Publish'))).toEqual(sorted([roles.steps, roles.release]));
    });

    // The workflow by the ARN built from its name: a Ref would close a dependency cycle (see grantShared).
    test('states:StartExecution only on the workflow, for the release function only', () => {
      // (The provider framework starts its own waiter state machine, not the workflow.)
      const starters = allRoles.filter(([, g]) => (g.get('states:StartExecution') ?? []).some((r) => r.includes(stateMachineName))).map(([id]) => id);
      expect(starters).toEqual([roles.release]);
      expect(grants.release.get('states:StartExecution')).toEqual([workflowArn(stateMachineName)]);
      expect(grants.steps.get('states:StartExecution')).toBeUndefined();
      expect(grants.release.get('states:StopExecution')).toEqual([executions]);
      expect(holders('states:StopExecution')).toEqual([roles.release]);
    });

    // Was "each handler's own log group": the stack's functions share the controller's log group.
    test('logs are written only to the stack\'s function log group', () => {
      for (const h of FUNCTIONS) {
        const fn = s.json.Resources[h === 'steps' ? s.stepsId() : s.releaseId()].Properties;
        const logGroup = flatten(fn.LoggingConfig.LogGroup);
        expect(logGroup).toBe(`\${${s.logicalId(controllerOf(s.stack).logGroup)}}`);
        for (const [action, resources] of grants[h]) {
          if (action.startsWith('logs:')) expect(resources.map((r) => r.replace(/\.Arn\}$/, '}'))).toEqual([logGroup]);
        }
        expect(grants[h].get('logs:PutLogEvents')).toBeDefined();
      }
    });

    test('the workflow role invokes only the steps function', () => {
      const roleId = /^\$\{(.+)\.Arn\}$/.exec(flatten(s.json.Resources[stateMachineId].Properties.RoleArn))![1];
      const invoke = grantsOfRole(s.json, roleId).get('lambda:InvokeFunction')!;
      const steps = `\${${s.stepsId()}.Arn}`;
      expect(sorted(invoke)).toEqual(sorted([steps, `${steps}:*`]));
      // Everything else it may do on "*" is log delivery and X-Ray, which have no resource-level permissions.
      for (const st of statementsOfRole(s.json, roleId)) {
        if (asArray(st.Resource).includes('*')) {
          for (const a of asArray(st.Action)) expect(a).toMatch(/^(logs:(Create|Get|Update|Delete)LogDelivery|logs:ListLogDeliveries|logs:PutResourcePolicy|logs:DescribeResourcePolicies|logs:DescribeLogGroups|xray:\w+)$/);
        }
      }
    });
  });
});

describe('LambdaModelCanary with every option set', () => {
  let s: SynthesizedCanary;
  let fnId: string;
  let versionId: string;
  let businessAlarm: cloudwatch.Alarm;
  let importedAlarm: cloudwatch.IAlarm;
  const prefix = `${STACK_NAME}-sentiment`;

  beforeAll(() => {
    const stack = newStack();
    const fn = modelFunction(stack);
    businessAlarm = new cloudwatch.Alarm(stack, 'Business', {
      alarmName: 'business-kpi-drop',
      metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Conversions' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    importedAlarm = cloudwatch.Alarm.fromAlarmArn(stack, 'Imported', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:other-team-alarm');
    const canary = new LambdaModelCanary(stack, 'Canary', {
      modelFunction: fn,
      aliasName: 'prod',
      canaryName: 'sentiment',
      schedule: RolloutSchedule.fromPercentages([1, 10, 100], Duration.minutes(3)),
      minRequestsPerStep: 25,
      onInsufficientTraffic: InsufficientTrafficAction.ROLL_BACK,
      maxHold: Duration.hours(2),
      checkInterval: Duration.minutes(1),
      guards: [
        Guard.errorRate({ maxPercent: 1.5, window: Duration.minutes(3) }),
        Guard.latencyP95({ max: Duration.seconds(2), window: Duration.minutes(3) }),
        Guard.errorRateVsStable({ maxRatio: 2, maxIncreasePoints: 0.5 }),
        Guard.latencyVsStable({ maxRatio: 1.1, referencePercentiles: [90] }),
        Guard.fromAlarm(businessAlarm),
        Guard.fromAlarm(importedAlarm),
      ],
      falseRollbackRate: 0.05,
      preTrafficChecks: [{ payload: '{"text":"good"}', repeat: 3, expectResponseContains: 'prediction' }, { payload: '{}' }],
      alertEmails: ['a@example.com', 'b@example.org'],
    });
    s = describeSynth(stack, fn, canary);
    fnId = s.logicalId(fn);
    versionId = s.logicalId(fn.currentVersion);
  });

  test('alarm names use canaryName', () => {
    const names = Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    expect(sorted(names)).toEqual(sorted([...GUARDS.map((g) => `${prefix}-${g}`), 'business-kpi-drop']));
  });

  test('thresholds and windows follow the guards\' props, alpha follows falseRollbackRate', () => {
    const alarms = alarmsByGuard(s, prefix);
    expect(alarms.ErrorRate.Threshold).toBe(1.5);
    expect(alarms.LatencyP95.Threshold).toBe(2000);
    for (const g of ALARM_GUARDS) expect(alarms[g]).toMatchObject({ EvaluationPeriods: 3, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' });
    for (const g of JUDGED_GUARDS) expect(alarms[g].Threshold).toBeCloseTo(Math.log10(2 / 0.05), 10);
    const judge = definitionOf(s.json).States.Plan.Result.judge;
    expect(judge.alpha).toBe(0.05);
    expect(judge.guards[0]).toMatchObject({ name: 'ErrorRateVsStable', maxRatio: 2, maxIncreasePoints: 0.5 });
    expect(judge.guards[1]).toMatchObject({ name: 'LatencyVsStable', maxRatio: 1.1, referencePercentiles: [90] });
  });

  test('metrics and the release target use the alias name', () => {
    const alarms = alarmsByGuard(s, prefix);
    for (const g of ALARM_GUARDS) for (const m of metricsOf(alarms[g])) expect(m.dims.Resource).toBe(`\${${fnId}}:prod`);
    for (const g of definitionOf(s.json).States.Plan.Result.judge.guards) {
      for (const m of [g.events, g.trials, g.values].filter(Boolean)) expect(m.dimensions.Resource).toBe(`\${${fnId}}:prod`);
    }
    s.template.hasResourceProperties('Custom::ModelCanaryRelease', {
      Target: { kind: 'lambda-alias', functionName: { Ref: fnId }, aliasName: 'prod' },
      CanaryName: 'sentiment',
    });
  });

  test('the plan carries schedule, traffic rules, guards and pre-traffic checks', () => {
    const def = definitionOf(s.json);
    expect(def.States.Plan.Result).toMatchObject({
      canaryName: 'sentiment',
      target: { kind: 'lambda-alias', aliasName: 'prod' },
      steps: [
        { percent: 1, bakeSeconds: 180 },
        { percent: 10, bakeSeconds: 180 },
        { percent: 100, bakeSeconds: 180 },
      ],
      checkIntervalSeconds: 60,
      minRequestsPerStep: 25,
      insufficientTraffic: 'ROLL_BACK',
      maxHoldSeconds: 7200,
      preTrafficChecks: [
        { payload: '{"text":"good"}', repeat: 3, expectResponseContains: 'prediction' },
        { payload: '{}', repeat: 1, expectResponseContains: '' },
      ],
    });
  });

  test('additional alarms are guards of the workflow, not version-scoped', () => {
    const plan = definitionOf(s.json).States.Plan.Result;
    const own = GUARDS.map((g) => `${prefix}-${g}`);
    expect(plan.versionScopedAlarmNames).toEqual(ALARM_GUARDS.map((g) => `${prefix}-${g}`));
    expect(plan.readCompositeAlarms).toBe(true);
    // Ref of an alarm is its name.
    expect(plan.guardAlarmNames).toEqual([...own, `\${${s.logicalId(businessAlarm)}}`, 'other-team-alarm']);
  });

  // The rule is the stack's (prefix "<stack>-"); the canary's descriptor, which the on-alarm step reads, names the guards.
  test('additional alarms trigger the fast path: the rule names them beside the guards\' prefix, the input names the guards', () => {
    const rule = fastPathRule(s);
    expect(rule.Properties.EventPattern.detail).toEqual({
      alarmName: [{ prefix: `${STACK_NAME}-` }, { Ref: s.logicalId(businessAlarm) }, 'other-team-alarm'],
      state: { value: ['ALARM'] },
    });
    expect(ruleInput(rule)).toMatchObject({ step: 'on-alarm', input: { canaries: `/cdk-model-canary/${STACK_NAME}` } });
    const names = descriptorOf(s.json, 'sentiment').guardAlarmNames;
    for (const g of GUARDS) expect(names).toContain(`${prefix}-${g}`);
    expect(names).toContain(`\${${s.logicalId(businessAlarm)}}`);
    expect(names).toContain('other-team-alarm');
  });

  // A user alarm may be a composite alarm, and DescribeAlarms returns those only with the permission on "*":
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
  test('the steps that read alarms may read the additional alarms too (DescribeAlarms on "*", read-only)', () => {
    // The steps that read alarms (start, check, promote) run in the steps function.
    const grants = grantsOfRole(s.json, roleOfFunction(s.json, s.stepsId()));
    expect(grants.get('cloudwatch:DescribeAlarms')).toEqual(['*']);
  });

  test('pre-traffic checks run between Start and SetWeight, and may invoke the canary version only', () => {
    const def = definitionOf(s.json);
    expect(def.States.Started.Default).toBe('PreTrafficChecks');
    expect(def.States.PreTrafficChecks).toMatchObject({
      Type: 'Task',
      Resource: `\${${s.stepsId()}.Arn}`,
      Parameters: { step: 'pre-traffic' },
      Next: 'SetWeight',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RollBackAfterError' }],
    });
    expect(def.States.PreTrafficChecks.Retry.map((r: any) => r.ErrorEquals)).toContainEqual(TRANSIENT);
    // Was "the pre-traffic role invokes and does nothing else": the step runs in the steps function,
    // which alone may invoke, and only the canary version; the release function may not.
    const grants = grantsOfRole(s.json, roleOfFunction(s.json, s.stepsId()));
    // Ref of an AWS::Lambda::Version is the version's ARN.
    expect(grants.get('lambda:InvokeFunction')).toEqual([`\${${versionId}}`]);
    expect(grantsOfRole(s.json, roleOfFunction(s.json, s.releaseId())).get('lambda:InvokeFunction')).toBeUndefined();
  });

  test('every email gets a subscription', () => {
    s.template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const email of ['a@example.com', 'b@example.org']) {
      s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
    }
  });
});

describe('LambdaModelCanary with an alert topic of its own', () => {
  let s: SynthesizedCanary;
  let topic: sns.Topic;

  beforeAll(() => {
    const stack = newStack();
    const fn = modelFunction(stack);
    topic = new sns.Topic(stack, 'TeamTopic');
    const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, alertTopic: topic, alertEmails: ['x@example.com'] });
    s = describeSynth(stack, fn, canary);
  });

  test('creates no topic and alerts to the given one', () => {
    s.template.resourceCountIs('AWS::SNS::Topic', 1);
    const topicId = s.logicalId(topic);
    expect(s.canary.topic).toBe(topic);
    expect(definitionOf(s.json).States.Plan.Result.topicArn).toBe(`\${${topicId}}`);
    s.template.hasResourceProperties('Custom::ModelCanaryRelease', { TopicArn: { Ref: topicId } });
    s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'x@example.com', TopicArn: { Ref: topicId } });
    // The rollback step runs in the steps function.
    const grants = grantsOfRole(s.json, roleOfFunction(s.json, s.stepsId()));
    expect(grants.get('sns:Publish')).toEqual([`\${${topicId}}`]);
  });
});

describe('schedule presets end up in the plan', () => {
  const presets: [string, RolloutSchedule, [number, number][]][] = [
    ['CANARY_10PERCENT_5MINUTES', RolloutSchedule.CANARY_10PERCENT_5MINUTES, [[10, 300], [100, 0]]],
    ['CANARY_10PERCENT_30MINUTES', RolloutSchedule.CANARY_10PERCENT_30MINUTES, [[10, 1800], [100, 0]]],
    ['LINEAR_10PERCENT_EVERY_1MINUTE', RolloutSchedule.LINEAR_10PERCENT_EVERY_1MINUTE, [10, 20, 30, 40, 50, 60, 70, 80, 90].map((p) => [p, 60] as [number, number]).concat([[100, 0]])],
    ['LINEAR_10PERCENT_EVERY_10MINUTES', RolloutSchedule.LINEAR_10PERCENT_EVERY_10MINUTES, [10, 20, 30, 40, 50, 60, 70, 80, 90].map((p) => [p, 600] as [number, number]).concat([[100, 0]])],
    ['ALL_AT_ONCE', RolloutSchedule.ALL_AT_ONCE, [[100, 600]]],
    ['custom', RolloutSchedule.custom([{ percent: 2.5, bake: Duration.minutes(1) }, { percent: 100, bake: Duration.minutes(20) }]), [[2.5, 60], [100, 1200]]],
  ];
  let json: SynthesizedCanary['json'];

  beforeAll(() => {
    // One stack, one model function and canary per preset: a single synthesis.
    const stack = newStack();
    let last: SynthesizedCanary | undefined;
    presets.forEach(([name, schedule], i) => {
      const fn = modelFunction(stack, `Model${i}`);
      new LambdaModelCanary(stack, `Canary${i}`, { modelFunction: fn, canaryName: name, schedule });
      if (i === presets.length - 1) last = describeSynth(stack, fn, stack.node.findChild(`Canary${i}`) as LambdaModelCanary);
    });
    json = last!.json;
  });

  test.each(presets)('%s', (name, _schedule, steps) => {
    expect(definitionOf(json, name).States.Plan.Result.steps).toEqual(steps.map(([percent, bakeSeconds]) => ({ percent, bakeSeconds })));
  });
});
