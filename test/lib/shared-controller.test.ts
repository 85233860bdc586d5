/**
 * The stack's shared controller (lib/private/stack-controller.ts): every canary of a stack uses the
 * same steps and release functions, provider, rules, topic and key; per canary only its own
 * workflow, alarms, parameters, release resource and dashboard. The shared roles get statements
 * naming each canary's own resources, and nothing more.
 */
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Guard, LambdaModelCanary, SageMakerModelCanary } from '../../lib';
import { grantsOfRole, modelFunction, newStack, resourceCount, resourcesOfType, roleOfFunction, sorted, STACK_NAME, type TemplateJson, workflowMachines } from './support';
import { controllerOf } from './support';

const synth = (stack: Stack) => Template.fromStack(stack).toJSON() as TemplateJson;
/** The logical id of a construct's default resource. */
const idOf = (stack: Stack, c: IConstruct): string => stack.resolve((c.node.defaultChild as CfnElement).logicalId);

/** The SageMaker model a canary releases. */
function model(stack: Stack, id: string): sagemaker.CfnModel {
  const role = new iam.Role(stack, `${id}Role`, { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  return new sagemaker.CfnModel(stack, id, { executionRoleArn: role.roleArn, primaryContainer: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1' } });
}

/** The canaries of the fleet: two of each target, each on its own model; `only` keeps one of them. */
const FLEET = ['SentimentCanary', 'ToxicityCanary', 'SummarizerCanary', 'TranslatorCanary'] as const;
function fleet(only?: (typeof FLEET)[number]): Stack {
  const stack = newStack();
  const keep = (name: string) => only === undefined || only === name;
  for (const name of FLEET.slice(0, 2)) {
    // The model exists in every stack, so its resources (not the canary's) are the same in each.
    const fn = modelFunction(stack, `${name}Model`);
    if (keep(name)) new LambdaModelCanary(stack, name, { modelFunction: fn });
  }
  for (const name of FLEET.slice(2)) {
    const m = model(stack, `${name}Model`);
    if (keep(name)) new SageMakerModelCanary(stack, name, { model: m, instanceType: 'ml.m5.large', endpointName: name.toLowerCase(), preTrafficChecks: [{ payload: '{}' }] });
  }
  return stack;
}

/** `steps` / `release` → action → the sorted set of resources its role allows it on. */
function sharedGrants(stack: Stack, json: TemplateJson): Record<'steps' | 'release', Map<string, string[]>> {
  const c = controllerOf(stack);
  const grants = (fn: typeof c.steps) => {
    const g = grantsOfRole(json, roleOfFunction(json, idOf(stack, fn)));
    return new Map([...g].map(([a, rs]) => [a, sorted([...new Set(rs)])]));
  };
  return { steps: grants(c.steps), release: grants(c.release) };
}

describe('two canaries of each target in one stack', () => {
  const stack = fleet();
  const json = synth(stack);

  test('share one steps and one release function, one provider, one workflow role and log group', () => {
    const ours = Object.values(resourcesOfType(json, 'AWS::Lambda::Function')).filter((f) => /^cdk-model-canary: /.test(f.Properties.Description ?? ''));
    expect(sorted(ours.map((f) => /^cdk-model-canary: (\w+)/.exec(f.Properties.Description)![1]))).toEqual(['release', 'steps']);
    // The provider framework's functions: one set (onEvent, isComplete, onTimeout).
    expect(Object.keys(resourcesOfType(json, 'AWS::Lambda::Function')).filter((id) => /framework(onEvent|isComplete|onTimeout)/.test(id))).toHaveLength(3);
    const tokens = new Set(Object.values(resourcesOfType(json, 'Custom::ModelCanaryRelease')).map((r) => JSON.stringify(r.Properties.ServiceToken)));
    expect(tokens.size).toBe(1);
    const machines = Object.values(workflowMachines(json));
    expect(machines).toHaveLength(FLEET.length);
    expect(new Set(machines.map((m) => JSON.stringify(m.Properties.RoleArn))).size).toBe(1);
    expect(new Set(machines.map((m) => JSON.stringify(m.Properties.LoggingConfiguration.Destinations)))).toEqual(
      new Set([JSON.stringify([{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [idOf(stack, controllerOf(stack).logGroup), 'Arn'] } } }])]),
    );
  });

  test('share one alert topic and one key', () => {
    expect(Object.keys(resourcesOfType(json, 'AWS::SNS::Topic'))).toHaveLength(1);
    expect(Object.keys(resourcesOfType(json, 'AWS::KMS::Key'))).toHaveLength(1);
    const [topicId] = Object.keys(resourcesOfType(json, 'AWS::SNS::Topic'));
    for (const r of Object.values(resourcesOfType(json, 'Custom::ModelCanaryRelease'))) expect(r.Properties.TopicArn).toEqual({ Ref: topicId });
  });

  test('share one set of three rules: guard alarms, workflow ends, operator commands', () => {
    const rules = Object.values(resourcesOfType(json, 'AWS::Events::Rule'));
    expect(sorted(rules.map((r) => r.Properties.EventPattern.source[0]))).toEqual(['aws.cloudwatch', 'aws.ssm', 'aws.states']);
    // Each canary's guard alarms, workflow and parameters are in what the rules match.
    const alarmRule = rules.find((r) => r.Properties.EventPattern.source[0] === 'aws.cloudwatch')!;
    const prefix = alarmRule.Properties.EventPattern.detail.alarmName[0].prefix as string;
    for (const a of Object.values(resourcesOfType(json, 'AWS::CloudWatch::Alarm'))) expect(a.Properties.AlarmName.startsWith(prefix)).toBe(true);
    for (const m of Object.values(workflowMachines(json))) expect(m.Properties.StateMachineName).toMatch(new RegExp(`^${controllerOf(stack).stateMachinePrefix}`));
    for (const name of FLEET) {
      expect(Object.values(resourcesOfType(json, 'AWS::SSM::Parameter')).map((p) => p.Properties.Name)).toContain(`/cdk-model-canary/${STACK_NAME}/${name}/commands`);
    }
  });

  // Each canary alone in a stack (same construct ids) gives the shared roles its own statements: the
  // fleet's roles hold exactly the union of those, so each canary's resources are named and the
  // shared roles get no wildcard a canary alone would not.
  test("each canary's statements are on the shared roles, and the roles hold nothing else", () => {
    const fleetGrants = sharedGrants(stack, json);
    for (const fn of ['steps', 'release'] as const) {
      const union = new Map<string, Set<string>>();
      for (const name of FLEET) {
        const alone = fleet(name);
        for (const [action, resources] of sharedGrants(alone, synth(alone))[fn]) {
          union.set(action, new Set([...(union.get(action) ?? []), ...resources]));
        }
      }
      const expected = new Map([...union].map(([a, rs]) => [a, sorted([...rs])]));
      expect(Object.fromEntries([...fleetGrants[fn]].sort())).toEqual(Object.fromEntries([...expected].sort()));
    }
    // And every canary is in them: its routing, alarms, parameters and workflow.
    const g = fleetGrants;
    const fnArns = FLEET.slice(0, 2).map((n) => `\${${idOf(stack, stack.node.findChild(`${n}Model`))}.Arn}`);
    for (const arn of fnArns) {
      expect(g.steps.get('lambda:UpdateAlias')).toContain(arn);
      expect(g.release.get('lambda:DeleteAlias')).toContain(arn);
    }
    for (const name of FLEET.slice(2)) {
      const endpoint = `arn:\${AWS::Partition}:sagemaker:\${AWS::Region}:\${AWS::AccountId}:endpoint/${name.toLowerCase()}`;
      expect(g.steps.get('sagemaker:UpdateEndpointWeightsAndCapacities')).toContain(endpoint);
      expect(g.steps.get('sagemaker:InvokeEndpoint')).toContain(endpoint);
      expect(g.release.get('sagemaker:DeleteEndpoint')).toContain(endpoint);
    }
    for (const name of FLEET) {
      expect(g.steps.get('cloudwatch:DescribeAlarms')).toContain(`arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${STACK_NAME}-${name}-ErrorRate`);
      const [commands] = Object.entries(resourcesOfType(json, 'AWS::SSM::Parameter')).filter(([, p]) => p.Properties.Name === `/cdk-model-canary/${STACK_NAME}/${name}/commands`);
      expect(g.steps.get('ssm:GetParameter')).toContain(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter\${${commands[0]}}`);
      expect(g.release.get('states:StartExecution')).toContain(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:ModelCanary-${STACK_NAME}-${name}`);
    }
    // The routing stays the release function's: the steps role cannot delete an alias or an endpoint.
    expect(g.steps.get('lambda:DeleteAlias')).toBeUndefined();
    expect(g.steps.get('sagemaker:DeleteEndpoint')).toBeUndefined();
  });
});

describe('alert emails', () => {
  test('an address two canaries list: one subscription, filtered to both canaries; an address of one canary: filtered to it', () => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'A', { modelFunction: modelFunction(stack, 'FnA'), alertEmails: ['oncall@example.com', 'a-team@example.com'] });
    new LambdaModelCanary(stack, 'B', { modelFunction: modelFunction(stack, 'FnB'), alertEmails: ['oncall@example.com'] });
    const subscriptions = Object.values(resourcesOfType(synth(stack), 'AWS::SNS::Subscription')).map((s) => s.Properties);
    expect(subscriptions).toHaveLength(2);
    const of = (email: string) => subscriptions.filter((s) => s.Endpoint === email);
    expect(of('oncall@example.com')).toHaveLength(1);
    expect(of('oncall@example.com')[0]).toMatchObject({ Protocol: 'email', FilterPolicy: { canary: ['A', 'B'] } });
    expect(of('a-team@example.com')[0]).toMatchObject({ Protocol: 'email', FilterPolicy: { canary: ['A'] } });
  });

  test('a canary with a topic of its own subscribes the address there too (one subscription per address and topic)', () => {
    const stack = newStack();
    const own = new sns.Topic(stack, 'TeamTopic');
    new LambdaModelCanary(stack, 'A', { modelFunction: modelFunction(stack, 'FnA'), alertEmails: ['oncall@example.com'] });
    new LambdaModelCanary(stack, 'B', { modelFunction: modelFunction(stack, 'FnB'), alertEmails: ['oncall@example.com'], alertTopic: own });
    const subscriptions = Object.values(resourcesOfType(synth(stack), 'AWS::SNS::Subscription')).map((s) => s.Properties);
    expect(subscriptions).toHaveLength(2);
    const ownId = idOf(stack, own);
    expect(subscriptions.find((s) => s.TopicArn.Ref === ownId)).toMatchObject({ FilterPolicy: { canary: ['B'] } });
    expect(subscriptions.find((s) => s.TopicArn.Ref !== ownId)).toMatchObject({ FilterPolicy: { canary: ['A'] } });
  });
});

describe('resources a stack spends on its canaries (issue 17 goals)', () => {
  /** A stack with `n` default Lambda canaries, each on its own model function; every model exists in each stack. */
  function lambdaFleet(n: number, models = 3): number {
    const stack = newStack();
    for (let i = 0; i < models; i++) {
      const fn = modelFunction(stack, `Model${i}`);
      // The version a canary publishes; made here too so the model's resources are the same with or without its canary.
      void fn.currentVersion;
      if (i < n) new LambdaModelCanary(stack, `Canary${i}`, { modelFunction: fn });
    }
    return resourceCount(synth(stack));
  }

  test('one model function and one canary with the default guards: at most 45 resources', () => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack) });
    expect(resourceCount(synth(stack))).toBeLessThanOrEqual(45);
  });

  test('each further canary with the default guards adds at most 15 resources of its own (its 4 guard alarms included)', () => {
    const [one, two, three] = [1, 2, 3].map((n) => lambdaFleet(n));
    expect(two - one).toBeLessThanOrEqual(15);
    expect(three - two).toBeLessThanOrEqual(15);
    // The same for each: a further canary shares everything but its own resources.
    expect(three - two).toBe(two - one);
  });
});

describe("a canary's descriptor parameter (4,096 characters)", () => {
  test('an error at synth that names the canary\'s construct path and says what to do', () => {
    const stack = newStack();
    const fn = modelFunction(stack);
    const alarms = Array.from({ length: 20 }, (_, i) => cloudwatch.Alarm.fromAlarmName(stack, `A${i}`, `${String(i).padStart(3, '0')}-${'k'.repeat(196)}`));
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, guards: [...Guard.defaults(), ...alarms.map((a) => Guard.fromAlarm(a))] });
    expect(() => synth(stack)).toThrow(new RegExp(`${STACK_NAME}/Canary: the canary's descriptor parameter would hold up to \\d+ characters, more than a Standard SSM parameter's 4096: combine some Guard.fromAlarm alarms into one CloudWatch composite alarm`));
  });

  test('an alarm of the stack counts at its name, not at the 255 characters of an unknown name: 30 of 62 characters fit', () => {
    const stack = newStack();
    const fn = modelFunction(stack);
    const alarms = Array.from({ length: 30 }, (_, i) =>
      new cloudwatch.Alarm(stack, `Kpi${i}`, { alarmName: `kpi-${String(i).padStart(3, '0')}-${'k'.repeat(54)}`, metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: `Kpi${i}` }), threshold: 1, evaluationPeriods: 1 }),
    );
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn, guards: [...Guard.defaults(), ...alarms.map((a) => Guard.fromAlarm(a))] });
    expect(() => synth(stack)).not.toThrow();
  });
});
