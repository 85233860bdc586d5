import { App, CfnParameter, CfnResource, Duration, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { Guard, type IModelCanary, RolloutSchedule, SageMakerModelCanary, type SageMakerModelCanaryProps } from '../../lib';
import { VERSION_PLACEHOLDER } from '../../lambda/shared/judge-plan';
import { GuardAlarms } from '../../lib/private/guard-alarms';
import { targetMetric } from '../../lib/private/target-binding';
import { SageMakerEndpointBinding } from '../../lib/targets/sagemaker-endpoint/binding';
import {
  asArray,
  controllerOf,
  definitionOf,
  descriptorOf,
  flatten,
  grantsOfRole,
  newStack,
  onlyResourceOfType,
  resourcesOfType,
  roleOfFunction,
  sorted,
  STACK_NAME,
  statementsOfRole,
  type TemplateJson,
} from './support';

const ALARM_GUARDS = ['ErrorRate', 'LatencyP95'] as const;
const GUARDS = [...ALARM_GUARDS, 'ErrorRateVsStable', 'LatencyVsStable'] as const;
/** The stack's two functions: `steps` runs every workflow step and fast path, `release` the release resource. */
const FUNCTIONS = ['steps', 'release'];
const ENDPOINT_NAME = 'Summarizer-Endpoint';
const ARN_PREFIX = 'arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}';

/** The model every test canary releases, with the role SageMaker runs it with. */
function model(stack: Stack, id = 'Model'): sagemaker.CfnModel {
  const role = new iam.Role(stack, `${id}Role`, { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  return new sagemaker.CfnModel(stack, id, {
    executionRoleArn: role.roleArn,
    primaryContainer: {
      image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker',
      modelDataUrl: 's3://example-model-artifacts/summarizer/model.tar.gz',
    },
  });
}

interface Synth {
  readonly stack: Stack;
  readonly canary: SageMakerModelCanary;
  readonly json: TemplateJson;
  readonly template: Template;
  readonly modelId: string;
  readonly releaseId: string;
  /** Logical id of the stack's `steps` or `release` function. */
  functionId(name: string): string;
  grants(fn: string): Map<string, string[]>;
  /** Every role of the template, by logical id, with its grants (the provider's and the workflow's too). */
  readonly roles: [string, Map<string, string[]>][];
}

function synth(props: Partial<SageMakerModelCanaryProps> = {}): Synth {
  const stack = newStack();
  const m = model(stack);
  const canary = new SageMakerModelCanary(stack, 'Canary', { model: m, instanceType: 'ml.m5.large', ...props });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as TemplateJson;
  const controller = controllerOf(stack);
  const functionId = (name: string) => {
    const fn = name === 'steps' ? controller.steps : name === 'release' ? controller.release : undefined;
    if (!fn) throw new Error(`no function "${name}" (the stack has steps and release)`);
    return stack.resolve((fn.node.defaultChild as CfnResource).logicalId) as string;
  };
  return {
    stack,
    canary,
    json,
    template,
    modelId: stack.resolve(m.logicalId),
    releaseId: onlyResourceOfType(json, 'Custom::ModelCanaryRelease').id,
    functionId,
    grants: (fn) => grantsOfRole(json, roleOfFunction(json, functionId(fn))),
    roles: Object.keys(resourcesOfType(json, 'AWS::IAM::Role')).map((id) => [id, grantsOfRole(json, id)]),
  };
}

/** The guard alarms by guard name. */
function alarmsByGuard(s: Synth, prefix: string): Record<string, any> {
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

describe('SageMakerModelCanary on a named endpoint, pre-traffic check, default thresholds', () => {
  let s: Synth;
  const prefix = `${STACK_NAME}-Canary`;
  const endpointArn = `${ARN_PREFIX}:endpoint/summarizer-endpoint`;
  const configArns = `${ARN_PREFIX}:endpoint-config/summarizer-endpoint-*`;

  beforeAll(() => {
    s = synth({ endpointName: ENDPOINT_NAME, preTrafficChecks: [{ payload: '{"text":"hello"}' }], alertEmails: ['ml-oncall@example.com'] });
  });

  describe('model and release resource', () => {
    test('the model is retained: the stable variant still needs it after a deploy replaces it', () => {
      s.template.hasResource('AWS::SageMaker::Model', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    test('the release resource targets the endpoint and releases the model by its name', () => {
      const release = s.json.Resources[s.releaseId].Properties;
      expect(release.Target).toEqual({ kind: 'sagemaker-endpoint', endpointName: ENDPOINT_NAME, instanceType: 'ml.m5.large', instanceCount: '1' });
      expect(release.Version).toEqual({ 'Fn::GetAtt': [s.modelId, 'ModelName'] });
      expect(release.CanaryName).toBe('Canary');
    });

    test('neither the endpoint nor an endpoint config is declared: the release resource owns them', () => {
      s.template.resourceCountIs('AWS::SageMaker::Endpoint', 0);
      s.template.resourceCountIs('AWS::SageMaker::EndpointConfig', 0);
    });

    test('endpointName and stableVariant come from the release resource, so references wait for it', () => {
      expect(s.stack.resolve(s.canary.endpointName)).toEqual({ 'Fn::GetAtt': [s.releaseId, 'TargetName'] });
      expect(s.stack.resolve(s.canary.stableVariant)).toEqual({ 'Fn::GetAtt': [s.releaseId, 'StableVersion'] });
    });

    test('endpointArn is the lower-case endpoint ARN, selected from a list that references the release resource (so it waits for it)', () => {
      const resolved = s.stack.resolve(s.canary.endpointArn);
      expect(Object.keys(resolved)).toEqual(['Fn::Select']);
      const [index, [arn, dependency]] = resolved['Fn::Select'];
      expect(index).toBe(0);
      expect(flatten(arn)).toBe(endpointArn);
      expect(dependency).toEqual({ 'Fn::GetAtt': [s.releaseId, 'TargetName'] });
    });

    test('canaryName and modelEnvironment name the canary and the stack for the runtime helper; the model is left as it is', () => {
      expect(s.canary.canaryName).toBe('Canary');
      // SageMaker containers deliver through PutMetricData (see grantPutModelSignals).
      expect(s.canary.modelEnvironment).toEqual({
        MODEL_CANARY_NAME: 'Canary',
        MODEL_CANARY_STACK: STACK_NAME,
        MODEL_CANARY_DELIVERY: 'put_metric_data',
      });
      const model = onlyResourceOfType(s.json, 'AWS::SageMaker::Model').resource;
      expect(model.Properties.PrimaryContainer.Environment).toBeUndefined();
    });

    test('the plan and the fast path carry the same target', () => {
      const plan = definitionOf(s.json).States.Plan.Result;
      expect(plan.target).toEqual({ kind: 'sagemaker-endpoint', endpointName: ENDPOINT_NAME, instanceType: 'ml.m5.large', instanceCount: '1' });
      // The fast path's rule is the one on alarm state changes (another rule watches the workflow's end).
      const rules = Object.values(resourcesOfType(s.json, 'AWS::Events::Rule')).filter((r) => r.Properties.EventPattern?.source?.includes('aws.cloudwatch'));
      expect(rules).toHaveLength(1);
      const rule = rules[0];
      const input = JSON.parse(flatten(rule.Properties.Targets[0].InputTransformer?.InputTemplate ?? rule.Properties.Targets[0].Input).replace(/<[^>]+>/g, '0'));
      // The rule is the stack's: it names where the descriptors are, and the canary's descriptor carries the target.
      expect(input.input.canaries).toBe(`/cdk-model-canary/${STACK_NAME}`);
      expect(descriptorOf(s.json, 'Canary').target).toEqual(plan.target);
    });
  });

  describe('guard alarms', () => {
    let alarms: Record<string, any>;
    beforeAll(() => {
      alarms = alarmsByGuard(s, prefix);
    });

    test.each(ALARM_GUARDS)('%s: every metric is AWS/SageMaker, 1 minute, by EndpointName and VariantName', (guard) => {
      const metrics = metricsOf(alarms[guard]);
      expect(metrics.length).toBeGreaterThan(0);
      for (const m of metrics) {
        expect(m.namespace).toBe('AWS/SageMaker');
        expect(m.period).toBe(60);
        expect(sorted(Object.keys(m.dims))).toEqual(['EndpointName', 'VariantName']);
        expect(m.dims.EndpointName).toBe(ENDPOINT_NAME);
      }
    });

    test('absolute guards watch the canary variant (the model name) only', () => {
      for (const guard of ['ErrorRate', 'LatencyP95']) {
        for (const m of metricsOf(alarms[guard])) expect(m.dims.VariantName).toBe(`\${${s.modelId}.ModelName}`);
      }
    });

    test('the judged guards read the endpoint\'s variants, the variant name a placeholder the judge fills in', () => {
      const judge = definitionOf(s.json).States.Plan.Result.judge;
      const metric = (metricName: string) => ({ namespace: 'AWS/SageMaker', metricName, dimensions: { EndpointName: ENDPOINT_NAME, VariantName: VERSION_PLACEHOLDER } });
      expect(judge.guards).toEqual([
        expect.objectContaining({ name: 'ErrorRateVsStable', test: 'rate', events: metric('Invocation5XXErrors'), trials: metric('Invocations') }),
        expect.objectContaining({ name: 'LatencyVsStable', test: 'scale', values: metric('ModelLatency') }),
      ]);
      const dims = Object.fromEntries((alarms.ErrorRateVsStable.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, flatten(d.Value)]));
      expect(dims.Version).toBe(`\${${s.modelId}.ModelName}`);
    });

    test('the p95 guard reads ModelLatency p95 with its threshold in MICROSECONDS (10 s -> 10,000,000)', () => {
      expect(alarms.LatencyP95).toMatchObject({ MetricName: 'ModelLatency', ExtendedStatistic: 'p95', Threshold: 10_000_000 });
    });

    test('the error-rate guard divides Invocation5XXErrors by Invocations (Sum); its threshold stays in percent', () => {
      for (const guard of ['ErrorRate']) {
        for (const m of metricsOf(alarms[guard])) {
          expect(m.stat).toBe('Sum');
          expect(m.metricName).toBe(m.id.endsWith('Errors') ? 'Invocation5XXErrors' : 'Invocations');
        }
      }
      expect(alarms.ErrorRate.Threshold).toBe(5);
    });
  });

  // Every step and fast path runs in the stack's steps function, under one role; the release
  // resource's function has its own. Where a test named steps, it names the function that runs them.
  describe('IAM', () => {
    let grants: Record<string, Map<string, string[]>>;
    beforeAll(() => {
      grants = Object.fromEntries(FUNCTIONS.map((h) => [h, s.grants(h)]));
    });

    const holders = (action: string) => FUNCTIONS.filter((h) => grants[h].has(action));
    /** Every role of the template that may do `action` on a SageMaker resource. */
    const roleHolders = (action: string) => s.roles.filter(([, g]) => g.has(action)).map(([id]) => id);
    const roleOf = (fn: string) => roleOfFunction(s.json, s.functionId(fn));

    test('weights change only on the endpoint ARN (lower-case name), only in the functions that move traffic', () => {
      expect(sorted(holders('sagemaker:UpdateEndpointWeightsAndCapacities'))).toEqual(sorted(['release', 'steps']));
      expect(sorted(roleHolders('sagemaker:UpdateEndpointWeightsAndCapacities'))).toEqual(sorted([roleOf('release'), roleOf('steps')]));
      for (const h of holders('sagemaker:UpdateEndpointWeightsAndCapacities')) {
        expect(grants[h].get('sagemaker:UpdateEndpointWeightsAndCapacities')).toEqual([endpointArn]);
      }
    });

    test('no grant names the endpoint with its original capitals (SageMaker ARNs are lower-case)', () => {
      for (const h of FUNCTIONS) {
        for (const [action, resources] of grants[h]) {
          if (action.startsWith('sagemaker:')) for (const r of resources) expect(r).not.toContain(ENDPOINT_NAME);
        }
      }
    });

    // Was "only the pre-traffic step": that step runs in the steps function; the release function may not invoke.
    test('InvokeEndpoint only for the steps function (its pre-traffic step), on the endpoint', () => {
      expect(holders('sagemaker:InvokeEndpoint')).toEqual(['steps']);
      expect(roleHolders('sagemaker:InvokeEndpoint')).toEqual([roleOf('steps')]);
      expect(grants.steps.get('sagemaker:InvokeEndpoint')).toEqual([endpointArn]);
    });

    test('CreateEndpointConfig only on this endpoint\'s configs (endpoint-config/<name>-*), for start (steps) and release', () => {
      expect(sorted(holders('sagemaker:CreateEndpointConfig'))).toEqual(['release', 'steps']);
      for (const h of FUNCTIONS) expect(grants[h].get('sagemaker:CreateEndpointConfig')).toEqual([configArns]);
    });

    // Was "UpdateEndpoint only for the start step": start runs in the steps function, which still cannot create or delete the endpoint.
    test('UpdateEndpoint (adding the canary variant) only for the steps function; create and delete only for the release function', () => {
      expect(holders('sagemaker:UpdateEndpoint')).toEqual(['steps']);
      expect(sorted(grants.steps.get('sagemaker:UpdateEndpoint')!)).toEqual(sorted([endpointArn, configArns]));
      expect(roleHolders('sagemaker:CreateEndpoint')).toEqual([roleOf('release')]);
      expect(sorted(grants.release.get('sagemaker:CreateEndpoint')!)).toEqual(sorted([endpointArn, configArns]));
      expect(roleHolders('sagemaker:DeleteEndpoint')).toEqual([roleOf('release')]);
      expect(grants.release.get('sagemaker:DeleteEndpoint')).toEqual([endpointArn]);
    });

    test('only the release function may DeleteTags (the owner record), on the endpoint only', () => {
      expect(roleHolders('sagemaker:DeleteTags')).toEqual([roleOf('release')]);
      expect(grants.release.get('sagemaker:DeleteTags')).toEqual([endpointArn]);
    });

    test('the functions that read the split may DescribeEndpoint and ListTags on the endpoint only', () => {
      for (const h of FUNCTIONS) {
        for (const action of ['sagemaker:DescribeEndpoint', 'sagemaker:ListTags']) {
          expect([h, action, [...new Set(grants[h].get(action) ?? [])]]).toEqual([h, action, [endpointArn]]);
        }
      }
      expect(holders('sagemaker:AddTags').every((h) => grants[h].get('sagemaker:AddTags')!.every((r) => r === endpointArn))).toBe(true);
    });

    test('no Lambda alias permissions, no wildcard action, and "*" only for the steps\' GetMetricData and PutMetricData', () => {
      for (const h of FUNCTIONS) {
        for (const [action, resources] of grants[h]) {
          // kms:GenerateDataKey* is how CDK grants publishing to an encrypted topic (on the topic's key).
          if (action === 'kms:GenerateDataKey*') expect(resources.some((r) => r === '*' || r.endsWith(':key/*'))).toBe(false);
          else expect(action).not.toMatch(/^lambda:|\*/);
          if (resources.includes('*')) expect(['steps cloudwatch:GetMetricData', 'steps cloudwatch:PutMetricData']).toContain(`${h} ${action}`);
          if (action.startsWith('sagemaker:')) for (const r of resources) expect([endpointArn, configArns]).toContain(r);
        }
      }
    });

    // Was "the rollback-failed step touches no endpoint": it shares the steps role now; what stays
    // true is that no role but the two functions' touches the endpoint (not the workflow's, not the provider's).
    test('only the steps and release roles touch the endpoint', () => {
      const touching = s.roles.filter(([, g]) => [...g.keys()].some((a) => a.startsWith('sagemaker:'))).map(([id]) => id);
      expect(sorted(touching)).toEqual(sorted([roleOf('steps'), roleOf('release')]));
      expect(statementsOfRole(s.json, roleOf('steps')).flatMap((st) => asArray(st.Action)).filter((a) => /^sagemaker:(Create|Delete)Endpoint$/.test(a))).toEqual([]);
    });
  });

  describe('workflow', () => {
    test('Start retries EndpointBusy while the canary variant is added (every 30 s, up to an hour)', () => {
      const def = definitionOf(s.json);
      expect(def.States.Start.Retry).toContainEqual({ ErrorEquals: ['EndpointBusy'], IntervalSeconds: 30, MaxAttempts: 120, BackoffRate: 1 });
      expect(def.States.Start.Retry).toContainEqual(expect.objectContaining({ ErrorEquals: ['GuardsNotReady'] }));
    });

    test('every step that changes weights retries EndpointBusy before its Catch rolls back', () => {
      const def = definitionOf(s.json);
      for (const state of ['PreTrafficChecks', 'SetWeight', 'Check', 'Promote', 'RollBack', 'RollBackAfterError']) {
        const retry = def.States[state].Retry.find((r: any) => r.ErrorEquals.includes('EndpointBusy'));
        expect([state, retry]).toEqual([state, expect.objectContaining({ ErrorEquals: ['EndpointBusy'], BackoffRate: 1 })]);
        expect(retry.IntervalSeconds * retry.MaxAttempts).toBeGreaterThanOrEqual(600);
      }
    });
  });
});

describe('SageMakerModelCanary with a derived endpoint name and several instances', () => {
  let s: Synth;

  beforeAll(() => {
    s = synth({ instanceType: 'ml.g5.2xlarge', instanceCount: 3, guards: [Guard.errorRate(), Guard.latencyP95({ max: Duration.seconds(2) }), Guard.errorRateVsStable(), Guard.latencyVsStable()] });
  });

  test('the derived name is a valid endpoint name, and the release target carries it with the instance settings', () => {
    const target = s.json.Resources[s.releaseId].Properties.Target;
    expect(target).toMatchObject({ kind: 'sagemaker-endpoint', instanceType: 'ml.g5.2xlarge', instanceCount: '3' });
    expect(target.endpointName).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    expect(target.endpointName.length).toBeLessThanOrEqual(63);
    expect(target.endpointName).toContain('Canary');
  });

  test('alarms and IAM use the derived name (IAM in lower case)', () => {
    const name: string = s.json.Resources[s.releaseId].Properties.Target.endpointName;
    for (const a of Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Alarm'))) {
      for (const m of metricsOf(a.Properties).filter((x) => x.namespace === 'AWS/SageMaker')) expect(m.dims.EndpointName).toBe(name);
    }
    for (const g of definitionOf(s.json).States.Plan.Result.judge.guards) expect((g.events ?? g.values).dimensions.EndpointName).toBe(name);
    expect(s.grants('steps').get('sagemaker:UpdateEndpointWeightsAndCapacities')).toEqual([`${ARN_PREFIX}:endpoint/${name.toLowerCase()}`]);
  });

  test('the latency threshold follows the guard\'s props, in microseconds', () => {
    const alarms = alarmsByGuard(s, `${STACK_NAME}-Canary`);
    expect(alarms.LatencyP95.Threshold).toBe(2_000_000);
  });

  test('without pre-traffic checks nobody may invoke the endpoint', () => {
    for (const h of FUNCTIONS) expect(s.grants(h).get('sagemaker:InvokeEndpoint')).toBeUndefined();
    expect(s.roles.filter(([, g]) => g.has('sagemaker:InvokeEndpoint'))).toEqual([]);
  });
});

describe('a long endpoint name', () => {
  test('the config grant covers the names the target gives configs (the first 50 characters of the endpoint name)', () => {
    const name = `A${'b'.repeat(61)}C`;
    const s = synth({ endpointName: name });
    expect(s.grants('steps').get('sagemaker:CreateEndpointConfig')).toEqual([`${ARN_PREFIX}:endpoint-config/a${'b'.repeat(49)}-*`]);
  });
});

/** Builds a canary with these props on a fresh stack and returns what it threw (or undefined). */
function errorOf(props: Partial<SageMakerModelCanaryProps>): Error | undefined {
  const stack = newStack();
  try {
    new SageMakerModelCanary(stack, 'Canary', { model: model(stack), instanceType: 'ml.m5.large', ...props });
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

function expectProblem(props: Partial<SageMakerModelCanaryProps>, ...expected: string[]): void {
  const error = errorOf(props);
  expect(error).toBeInstanceOf(Error);
  expect(error!.message).toMatch(/^SageMakerModelCanary at CanaryTestStack\/Canary: /);
  for (const e of expected) expect(error!.message).toContain(e);
}

describe('valid SageMaker props are accepted', () => {
  test.each([
    ['an endpoint name with double hyphens', { endpointName: 'a--b' }],
    ['a 63-character endpoint name', { endpointName: 'e'.repeat(63) }],
    ['a large instance type', { instanceType: 'ml.p4d.24xlarge' }],
    ['many instances', { instanceCount: 10 }],
  ] as [string, Partial<SageMakerModelCanaryProps>][])('%s', (_name, props) => {
    expect(errorOf(props)).toBeUndefined();
  });

  test('an endpoint name from a parameter (a token) is not checked at synth time', () => {
    const stack = newStack();
    const name = new CfnParameter(stack, 'EndpointName').valueAsString;
    expect(() => new SageMakerModelCanary(stack, 'Canary', { model: model(stack), instanceType: 'ml.m5.large', endpointName: name })).not.toThrow();
  });
});

describe('SageMakerModelCanary fails when', () => {
  test.each(['has_underscore', '-leading', 'trailing-', 'has space', 'e'.repeat(64), `a${'-b'.repeat(40)}`])('endpointName is %j', (endpointName) => {
    expectProblem({ endpointName }, `endpointName "${endpointName}" is not a valid endpoint name`, 'use 1-63 letters, digits and hyphens');
  });

  test.each(['m5.large', 'ml.m5', 'ML.M5.LARGE', ''])('instanceType is %j', (instanceType) => {
    expectProblem({ instanceType }, `instanceType "${instanceType}" is not a SageMaker instance type`, 'give one like "ml.m5.large"');
  });

  test('instanceCount is 0', () => {
    expectProblem({ instanceCount: 0 }, 'instanceCount is 0', 'at least 1');
  });

  test('instanceCount is 1.5', () => {
    expectProblem({ instanceCount: 1.5 }, 'instanceCount is 1.5: give a whole number');
  });

  test('a shared option is wrong too (the schedule): every problem is listed, one per line', () => {
    const error = errorOf({ instanceType: 'm5.large', schedule: RolloutSchedule.custom([]) });
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe('SageMakerModelCanary at CanaryTestStack/Canary: ');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^- instanceType "m5.large" is not a SageMaker instance type/),
      expect.stringMatching(/^- schedule has no steps: give at least one/),
    ]);
  });

  test('a shared option alone (falseRollbackRate) is reported under the SageMaker construct', () => {
    expectProblem({ falseRollbackRate: 0.5 }, 'falseRollbackRate is 0.5', 'give a probability above 0 and below 0.5');
  });

  test('a failed construction creates nothing and leaves the model as it was', () => {
    const stack = newStack();
    const m = model(stack);
    expect(() => new SageMakerModelCanary(stack, 'Canary', { model: m, instanceType: 'ml.m5.large', instanceCount: 0 })).toThrow(/^SageMakerModelCanary at CanaryTestStack\/Canary: /);
    const leftover = stack.node.tryFindChild('Canary');
    expect(leftover?.node.findAll().filter(CfnResource.isCfnResource) ?? []).toEqual([]);
    const template = Template.fromStack(stack);
    for (const type of ['Custom::ModelCanaryRelease', 'AWS::CloudWatch::Alarm', 'AWS::StepFunctions::StateMachine', 'AWS::Lambda::Function']) {
      template.resourceCountIs(type, 0);
    }
    const json = template.toJSON() as TemplateJson;
    expect(json.Resources[stack.resolve(m.logicalId)].DeletionPolicy).toBeUndefined();
  });
});

describe('grantInvoke', () => {
  test('gives the grantee sagemaker:InvokeEndpoint on the one endpoint ARN (lower case) and nothing else', () => {
    const stack = newStack();
    const canary = new SageMakerModelCanary(stack, 'Canary', { model: model(stack), instanceType: 'ml.m5.large', endpointName: ENDPOINT_NAME });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // Through the shared interface: code that takes any model canary can grant access.
    const asCanary: IModelCanary = canary;
    const grant = asCanary.grantInvoke(caller);
    expect(grant.success).toBe(true);
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const policies = Object.values(resourcesOfType(json, 'AWS::IAM::Policy')).filter((p) =>
      asArray(p.Properties.Roles).some((r: unknown) => flatten(r) === '${' + stack.resolve((caller.node.defaultChild as CfnResource).logicalId) + '}'),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('sagemaker:InvokeEndpoint');
    expect(flatten(statements[0].Resource)).toBe(`${ARN_PREFIX}:endpoint/summarizer-endpoint`);
  });
});

describe('grantPutModelSignals', () => {
  /** The statements of the grantee's policies, after granting on a canary with `props`. */
  function grantedStatements(props: Partial<SageMakerModelCanaryProps> = {}) {
    const stack = newStack();
    const canary = new SageMakerModelCanary(stack, 'Canary', { model: model(stack), instanceType: 'ml.m5.large', ...props });
    const modelRole = new iam.Role(stack, 'ServingRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const grant = canary.grantPutModelSignals(modelRole);
    expect(grant.success).toBe(true);
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const roleRef = '${' + stack.resolve((modelRole.node.defaultChild as CfnResource).logicalId) + '}';
    return Object.values(resourcesOfType(json, 'AWS::IAM::Policy'))
      .filter((p) => asArray(p.Properties.Roles).some((r: unknown) => flatten(r) === roleRef))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
  }

  test('gives cloudwatch:PutMetricData on * (no resource-level permissions) only in the default namespace ModelCanary', () => {
    expect(grantedStatements()).toEqual([
      {
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'ModelCanary' } },
      },
    ]);
  });

  test('follows signalsNamespace, the namespace the guards read', () => {
    const statements = grantedStatements({ signalsNamespace: 'Team/Summarizer' });
    expect(statements).toHaveLength(1);
    expect(statements[0].Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'Team/Summarizer' } });
  });
});

describe('two canaries on one endpoint', () => {
  test('fail at synth, naming both canaries (endpoint names are case-insensitive, so "Summarizer-Endpoint" and "summarizer-endpoint" clash)', () => {
    const stack = newStack();
    new SageMakerModelCanary(stack, 'First', { model: model(stack, 'ModelA'), instanceType: 'ml.m5.large', endpointName: ENDPOINT_NAME });
    expect(
      () => new SageMakerModelCanary(stack, 'Second', { model: model(stack, 'ModelB'), instanceType: 'ml.m5.large', endpointName: ENDPOINT_NAME.toLowerCase() }),
    ).toThrow(/Second: endpoint summarizer-endpoint is already routed by the canary .*First/);
  });

  test('in two stacks of different Regions are two endpoints: accepted', () => {
    const app = newStack().node.root as App;
    const east = new Stack(app, 'East', { env: { account: '123456789012', region: 'us-east-1' } });
    const west = new Stack(app, 'West', { env: { account: '123456789012', region: 'us-west-2' } });
    new SageMakerModelCanary(east, 'Canary', { model: model(east), instanceType: 'ml.m5.large', endpointName: ENDPOINT_NAME });
    expect(() => new SageMakerModelCanary(west, 'Canary', { model: model(west), instanceType: 'ml.m5.large', endpointName: ENDPOINT_NAME })).not.toThrow();
  });
});

describe('SageMakerEndpointBinding metrics', () => {
  const binding = () => new SageMakerEndpointBinding(newStack(), 'summarizer', 'ml.m5.large', 1);

  test('asks CloudWatch only for statistics AWS documents per metric (an alarm on another gets no data)', () => {
    // The metrics come from the kind's contract through targetMetric() (the binding has no metric() of its own now).
    const b = binding();
    expect(targetMetric(b, 'v1', 'latency', 'p95').statistic).toBe('p95');
    expect(targetMetric(b, 'v1', 'latency', 'Maximum').statistic).toBe('Maximum');
    expect(targetMetric(b, 'v1', 'errors', 'Sum').metricName).toBe('Invocation5XXErrors');
    expect(() => targetMetric(b, 'v1', 'errors', 'p95')).toThrow('SageMaker Invocation5XXErrors has no statistic "p95": CloudWatch gets data for Average, Sum only');
    expect(() => targetMetric(b, 'v1', 'requests', 'Average')).toThrow(/SageMaker Invocations has no statistic "Average"/);
  });

  test('ModelErrorRate guard: model errors without 4XX (so timeouts and socket errors count) per canary request, in percent', () => {
    const stack = newStack();
    const b = new SageMakerEndpointBinding(stack, 'summarizer', 'ml.m5.large', 1);
    const guards = new GuardAlarms(stack, 'Guards', { namePrefix: 'Stack-Canary', construct: 'SageMakerModelCanary', canaryName: 'Canary' });
    const [alarm] = b.addTargetGuards(guards, { canaryVersion: 'model-b', minutes: 5, maxErrorRatePercent: 5 });
    expect(guards.versionScopedAlarmNames).toContain('Stack-Canary-ModelErrorRate');
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const props = json.Resources[stack.resolve((alarm.node.defaultChild as CfnResource).logicalId)].Properties;
    expect(props).toMatchObject({ AlarmName: 'Stack-Canary-ModelErrorRate', Threshold: 5, EvaluationPeriods: 5, DatapointsToAlarm: 5, TreatMissingData: 'notBreaching' });
    const expression = props.Metrics.find((m: any) => m.Expression).Expression;
    expect(expression).toBe('100 * (FILL(modelErrors, 0) - FILL(clientErrors, 0)) / requests');
    expect(sorted(metricsOf(props).map((m) => `${m.id}=${m.metricName}:${m.stat}:${m.period}:${m.dims.EndpointName}/${m.dims.VariantName}`))).toEqual(
      sorted(['modelErrors=InvocationModelErrors:Sum:60:summarizer/model-b', 'clientErrors=Invocation4XXErrors:Sum:60:summarizer/model-b', 'requests=Invocations:Sum:60:summarizer/model-b']),
    );
  });
});

describe('modelEnvironment', () => {
  test('plain strings: set on the model after the canary exists, they synthesize without a reference cycle', () => {
    const stack = newStack();
    const m = model(stack);
    const canary = new SageMakerModelCanary(stack, 'SummarizerCanary', { model: m, instanceType: 'ml.m5.large' });
    for (const v of Object.values(canary.modelEnvironment)) expect(Token.isUnresolved(v)).toBe(false);
    m.addPropertyOverride('PrimaryContainer.Environment', canary.modelEnvironment);
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    expect(onlyResourceOfType(json, 'AWS::SageMaker::Model').resource.Properties.PrimaryContainer.Environment).toEqual({
      MODEL_CANARY_NAME: 'SummarizerCanary',
      MODEL_CANARY_STACK: STACK_NAME,
      MODEL_CANARY_DELIVERY: 'put_metric_data',
    });
  });
});

describe('options shared with the Lambda canary', () => {
  test('adoptExisting reaches the release resource as a string; without it, "false"', () => {
    const adopting = synth({ adoptExisting: true });
    expect(adopting.json.Resources[adopting.releaseId].Properties.AdoptExisting).toBe('true');
    const s = synth();
    expect(s.json.Resources[s.releaseId].Properties.AdoptExisting).toBe('false');
  });

  test('the default canaryName is the path inside the stack, so equal ids in two scopes do not clash', () => {
    const stack = newStack();
    const a = new SageMakerModelCanary(new Construct(stack, 'TeamA'), 'Canary', { model: model(stack, 'ModelA'), instanceType: 'ml.m5.large', endpointName: 'a' });
    const b = new SageMakerModelCanary(new Construct(stack, 'TeamB'), 'Canary', { model: model(stack, 'ModelB'), instanceType: 'ml.m5.large', endpointName: 'b' });
    expect([a.canaryName, b.canaryName]).toEqual(['TeamA-Canary', 'TeamB-Canary']);
    const names = Object.values(resourcesOfType(Template.fromStack(stack).toJSON() as TemplateJson, 'AWS::CloudWatch::Alarm')).map((r) => r.Properties.AlarmName);
    expect(names).toContain(`${STACK_NAME}-TeamA-Canary-ErrorRate`);
    expect(names).toContain(`${STACK_NAME}-TeamB-Canary-ErrorRate`);
  });

  test('two canaries with the same canaryName in one stack fail at construction', () => {
    const stack = newStack();
    new SageMakerModelCanary(stack, 'One', { model: model(stack, 'ModelA'), instanceType: 'ml.m5.large', endpointName: 'a', canaryName: 'same' });
    expect(() => new SageMakerModelCanary(stack, 'Two', { model: model(stack, 'ModelB'), instanceType: 'ml.m5.large', endpointName: 'b', canaryName: 'same' })).toThrow(/same/);
  });
});

describe('ModelErrorRate, the SageMaker canary\'s own guard', () => {
  const s = synth({ guards: [Guard.errorRate({ maxPercent: 3, window: Duration.minutes(4) })] });
  const alarm = () => Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')).find((r) => r.Properties.AlarmName === `${STACK_NAME}-Canary-ModelErrorRate`)!.Properties;

  test('InvocationModelErrors without 4XX per canary request, at the error-rate guard\'s ceiling over its window', () => {
    const p = alarm();
    expect(p.Threshold).toBe(3);
    expect(p.EvaluationPeriods).toBe(4);
    expect(p.Metrics.find((q: any) => q.Expression).Expression).toBe('100 * (FILL(modelErrors, 0) - FILL(clientErrors, 0)) / requests');
    const byId = Object.fromEntries(p.Metrics.filter((q: any) => q.MetricStat).map((q: any) => [q.Id, q.MetricStat]));
    expect(Object.fromEntries(Object.entries(byId).map(([id, m]: [string, any]) => [id, m.Metric.MetricName]))).toEqual({
      modelErrors: 'InvocationModelErrors',
      clientErrors: 'Invocation4XXErrors',
      requests: 'Invocations',
    });
    for (const m of Object.values(byId) as any[]) {
      expect(m.Stat).toBe('Sum');
      expect(Object.fromEntries(m.Metric.Dimensions.map((d: any) => [d.Name, flatten(d.Value)]))).toEqual({ EndpointName: endpointNameOf(s), VariantName: `\${${s.modelId}.ModelName}` });
    }
  });

  test('the workflow and the fast path watch it (the plan names it)', () => {
    expect(definitionOf(s.json).States.Plan.Result.guardAlarmNames).toContain(`${STACK_NAME}-Canary-ModelErrorRate`);
  });
});

/** The endpoint name a canary without endpointName gets, as its Target carries it. */
function endpointNameOf(s: Synth): string {
  return s.json.Resources[s.releaseId].Properties.Target.endpointName;
}
