/**
 * canary.alias behaves like a lambda.Alias wherever a lambda.IAlias / IFunction is used, without an
 * AWS::Lambda::Alias in the template; synth-time errors for a second owner of the alias.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type IModelCanary, LambdaModelCanary } from '../../lib';
import { CANARY_NAME_ENV, CANARY_STACK_ENV } from '../../runtime/signal-names';
import { flatten, modelFunction, newStack, resourcesOfType, rolloutOf, STACK_NAME, type TemplateJson } from './support';

function setup() {
  const stack = newStack();
  const fn = modelFunction(stack);
  const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: fn });
  const fnId = stack.resolve((fn.node.defaultChild as lambda.CfnFunction).logicalId) as string;
  const releaseId = stack.resolve(rolloutOf(canary).release.node.defaultChild && (rolloutOf(canary).release.node.defaultChild as any).logicalId) as string;
  const synth = () => Template.fromStack(stack).toJSON() as TemplateJson;
  return { stack, fn, canary, fnId, releaseId, synth };
}

/** `${Fn.Arn}:${Release.TargetName}`: the alias ARN, through the release resource. */
const aliasArn = (fnId: string, releaseId: string) => `\${${fnId}.Arn}:\${${releaseId}.TargetName}`;

function permissions(json: TemplateJson): any[] {
  return Object.values(resourcesOfType(json, 'AWS::Lambda::Permission')).map((r) => r.Properties);
}

describe('canary.alias is a working lambda.IAlias', () => {
  test('declares no AWS::Lambda::Alias; functionArn and functionName go through the release resource', () => {
    const { canary, fnId, releaseId, synth, stack } = setup();
    expect(Object.keys(resourcesOfType(synth(), 'AWS::Lambda::Alias'))).toEqual([]);
    expect(flatten(stack.resolve(canary.alias.functionArn))).toBe(aliasArn(fnId, releaseId));
    expect(flatten(stack.resolve(canary.alias.functionName))).toBe(`\${${fnId}}:\${${releaseId}.TargetName}`);
    expect(canary.alias.aliasName).toBeDefined();
  });

  test('API Gateway LambdaIntegration: a permission for apigateway.amazonaws.com on the alias ARN, and the integration calls the alias', () => {
    const { stack, canary, fnId, releaseId, synth } = setup();
    const api = new apigw.RestApi(stack, 'Api');
    api.root.addMethod('POST', new apigw.LambdaIntegration(canary.alias));
    const json = synth();
    const apiPerms = permissions(json).filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(apiPerms.length).toBeGreaterThanOrEqual(1);
    for (const p of apiPerms) {
      expect(p.Action).toBe('lambda:InvokeFunction');
      expect(flatten(p.FunctionName)).toBe(aliasArn(fnId, releaseId));
    }
    const method = Object.values(resourcesOfType(json, 'AWS::ApiGateway::Method'))[0];
    expect(flatten(method.Properties.Integration.Uri)).toContain(aliasArn(fnId, releaseId));
  });

  test('LambdaRestApi on the alias gets its permissions too', () => {
    const { stack, canary, fnId, releaseId, synth } = setup();
    new apigw.LambdaRestApi(stack, 'Rest', { handler: canary.alias });
    const apiPerms = permissions(synth()).filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(apiPerms.length).toBeGreaterThanOrEqual(2);
    expect(new Set(apiPerms.map((p) => flatten(p.FunctionName)))).toEqual(new Set([aliasArn(fnId, releaseId)]));
  });

  test('function URL with NONE auth: Qualifier is the alias, and anyone may invoke it through the URL', () => {
    const { canary, fnId, releaseId, synth } = setup();
    canary.alias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    const json = synth();
    const url = Object.values(resourcesOfType(json, 'AWS::Lambda::Url'))[0].Properties;
    expect(url.AuthType).toBe('NONE');
    expect(flatten(url.TargetFunctionArn)).toBe(`\${${fnId}.Arn}`);
    expect(flatten(url.Qualifier)).toBe(`\${${releaseId}.TargetName}`);
    const perms = permissions(json).filter((p) => p.Principal === '*');
    expect(perms.map((p) => p.Action).sort()).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
    for (const p of perms) expect(flatten(p.FunctionName)).toBe(aliasArn(fnId, releaseId));
    expect(perms.find((p) => p.Action === 'lambda:InvokeFunctionUrl').FunctionUrlAuthType).toBe('NONE');
  });

  test('function URL with AWS_IAM auth: no public permission, and grantInvokeUrl grants on the alias', () => {
    const { stack, canary, fnId, releaseId, synth } = setup();
    const url = canary.alias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    url.grantInvokeUrl(role);
    const json = synth();
    expect(permissions(json).filter((p) => p.Principal === '*')).toEqual([]);
    const policy = Object.values(resourcesOfType(json, 'AWS::IAM::Policy')).find((p) => flatten(p.Properties.Roles[0]) === `\${${stack.resolve((role.node.defaultChild as iam.CfnRole).logicalId)}}`);
    const stmt = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Action === 'lambda:InvokeFunctionUrl');
    expect(flatten(stmt.Resource)).toBe(aliasArn(fnId, releaseId));
  });

  test('an EventBridge rule target: events.amazonaws.com may invoke the alias, and the target is the alias', () => {
    const { stack, canary, fnId, releaseId, synth } = setup();
    new events.Rule(stack, 'Nightly', { schedule: events.Schedule.cron({ hour: '3', minute: '0' }), targets: [new targets.LambdaFunction(canary.alias)] });
    const json = synth();
    const perms = permissions(json).filter((p) => p.Principal === 'events.amazonaws.com' && flatten(p.FunctionName).startsWith(`\${${fnId}`));
    expect(perms).toHaveLength(1);
    expect(flatten(perms[0].FunctionName)).toBe(aliasArn(fnId, releaseId));
    const rule = Object.values(resourcesOfType(json, 'AWS::Events::Rule'))
      .map((r) => r.Properties)
      .find((p) => p.ScheduleExpression);
    expect(flatten(rule.Targets[0].Arn)).toBe(aliasArn(fnId, releaseId));
  });

  // "name:alias" is one of Lambda's documented FunctionName formats, and what lambda.Alias gives:
  // https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
  test('an SQS event source maps the queue to the alias (name:alias), and the function role may consume it', () => {
    const { stack, canary, fnId, releaseId, synth } = setup();
    const queue = new sqs.Queue(stack, 'Jobs');
    canary.alias.addEventSource(new sources.SqsEventSource(queue));
    const json = synth();
    const mapping = Object.values(resourcesOfType(json, 'AWS::Lambda::EventSourceMapping'))[0].Properties;
    expect(flatten(mapping.FunctionName)).toBe(`\${${fnId}}:\${${releaseId}.TargetName}`);
    const statements = Object.values(resourcesOfType(json, 'AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.some((s: any) => [s.Action].flat().includes('sqs:ReceiveMessage'))).toBe(true);
  });

  test('grantInvoke (alias and canary): lambda:InvokeFunction on the alias ARN only', () => {
    const { stack, canary, fnId, releaseId, synth } = setup();
    const a = new iam.Role(stack, 'A', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const b = new iam.Role(stack, 'B', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    canary.alias.grantInvoke(a);
    (canary as IModelCanary).grantInvoke(b);
    const json = synth();
    for (const role of [a, b]) {
      const roleRef = `\${${stack.resolve((role.node.defaultChild as iam.CfnRole).logicalId)}}`;
      const policy = Object.values(resourcesOfType(json, 'AWS::IAM::Policy')).find((p) => flatten(p.Properties.Roles[0]) === roleRef);
      const stmts = policy.Properties.PolicyDocument.Statement;
      expect(stmts).toHaveLength(1);
      expect(stmts[0].Action).toBe('lambda:InvokeFunction');
      expect([stmts[0].Resource].flat().map(flatten)).toEqual([aliasArn(fnId, releaseId)]);
    }
  });

  test('metricErrors(): FunctionName = the function, Resource = "<function>:<alias>" (what Lambda publishes)', () => {
    const { stack, canary, fnId } = setup();
    const metric = canary.alias.metricErrors();
    expect(metric.namespace).toBe('AWS/Lambda');
    expect(metric.metricName).toBe('Errors');
    expect(metric.statistic).toBe('Sum');
    const dims = stack.resolve(metric.dimensions);
    expect(flatten(dims.FunctionName)).toBe(`\${${fnId}}`);
    expect(flatten(dims.Resource)).toBe(`\${${fnId}}:live`);
    const alarm = metric.createAlarm(stack, 'Errors', { threshold: 1, evaluationPeriods: 1 });
    expect(stack.resolve((alarm.node.defaultChild as any).dimensions).map((d: any) => d.name).sort()).toEqual(['FunctionName', 'Resource']);
  });
});

describe('the model function knows its canary', () => {
  test('MODEL_CANARY_NAME and MODEL_CANARY_STACK are in its environment', () => {
    const { fnId, synth } = setup();
    const env = synth().Resources[fnId].Properties.Environment.Variables;
    expect(env).toMatchObject({ [CANARY_NAME_ENV]: 'Canary', [CANARY_STACK_ENV]: STACK_NAME });
  });
});

describe('canaryName', () => {
  test('defaults to the construct id for a canary directly in its stack (unchanged from earlier releases)', () => {
    expect(setup().canary.canaryName).toBe('Canary');
  });

  test('two canaries with the same id in different scopes get different default names, valid and short', () => {
    const stack = newStack();
    const a = new LambdaModelCanary(new Construct(stack, 'Search'), 'Model', { modelFunction: modelFunction(stack, 'FnA') });
    const b = new LambdaModelCanary(new Construct(stack, 'Ranking'), 'Model', { modelFunction: modelFunction(stack, 'FnB') });
    expect(a.canaryName).toBe('Search-Model');
    expect(b.canaryName).toBe('Ranking-Model');
    let deep: Construct = stack;
    for (const id of ['AVeryLongServiceNameForTheTeam', 'AnotherLevelOfNesting', 'Inference']) deep = new Construct(deep, id);
    const c = new LambdaModelCanary(deep, 'Model', { modelFunction: modelFunction(stack, 'FnC') });
    expect(c.canaryName.length).toBeLessThanOrEqual(40);
    expect(c.canaryName).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
    expect(c.canaryName).toMatch(/Inference-Model-[0-9a-f]{8}$/);
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('two canaries with one canaryName in a stack: an error naming both and the prop to change', () => {
    const stack = newStack();
    new LambdaModelCanary(stack, 'A', { modelFunction: modelFunction(stack, 'FnA'), canaryName: 'sentiment' });
    expect(() => new LambdaModelCanary(stack, 'B', { modelFunction: modelFunction(stack, 'FnB'), canaryName: 'sentiment' })).toThrow(
      /B: canaryName "sentiment" is already used by the canary .*\/A .*another canaryName/,
    );
  });

  test('the same canaryName in two stacks is fine', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    for (const name of ['One', 'Two']) {
      const stack = new Stack(app, name);
      new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack), canaryName: 'sentiment' });
    }
  });
});

describe('one owner per alias', () => {
  test('two canaries on one function and alias: an error saying what to change', () => {
    const stack = newStack();
    const fn = modelFunction(stack);
    new LambdaModelCanary(stack, 'A', { modelFunction: fn });
    expect(() => new LambdaModelCanary(stack, 'B', { modelFunction: fn })).toThrow(/alias "live" of function .*\/Model is already routed by the canary .*\/A.*aliasName/);
  });

  test('two canaries on one function with different aliases are fine', () => {
    const stack = newStack();
    const fn = modelFunction(stack);
    new LambdaModelCanary(stack, 'A', { modelFunction: fn });
    new LambdaModelCanary(stack, 'B', { modelFunction: fn, aliasName: 'beta' });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('fn.addAlias() of the same alias beside the canary fails synth, naming the alias resource and the migration', () => {
    const stack = newStack();
    const fn = modelFunction(stack);
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn });
    fn.addAlias('live');
    expect(() => Template.fromStack(stack)).toThrow(/Model\/Aliaslive declares alias "live" of .*Model, which the canary .*Canary owns: remove it .*adoptExisting: true/);
  });

  test('a CfnAlias of another alias name, or of another function, is fine', () => {
    const stack = newStack();
    const fn = modelFunction(stack);
    new LambdaModelCanary(stack, 'Canary', { modelFunction: fn });
    fn.addAlias('shadow');
    new lambda.CfnAlias(stack, 'OtherAlias', { functionName: modelFunction(stack, 'Other').functionName, functionVersion: '1', name: 'live' });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('adoptExisting reaches the release resource as a string', () => {
    const stack = newStack();
    const canary = new LambdaModelCanary(stack, 'Canary', { modelFunction: modelFunction(stack), adoptExisting: true });
    expect(rolloutOf(canary).release).toBeDefined();
    const json = Template.fromStack(stack).toJSON() as TemplateJson;
    const props = Object.values(resourcesOfType(json, 'Custom::ModelCanaryRelease'))[0].Properties;
    expect(props.AdoptExisting).toBe('true');
    expect(props.Version).toBeDefined();
  });
});

describe('modelFunction that is not a lambda.Function (plain JavaScript callers)', () => {
  test.each([
    ['missing', undefined, /got nothing/],
    ['an imported function', 'imported', /got .*\). An imported function/],
    ['a string', 'my-fn', /got String/],
  ])('%s: a clear error naming the prop', (_label, value, detail) => {
    const stack = newStack();
    const fn = value === 'imported' ? lambda.Function.fromFunctionName(stack, 'Imported', 'my-fn') : value;
    expect(() => new LambdaModelCanary(stack, 'Canary', { modelFunction: fn as never })).toThrow(/modelFunction must be a lambda.Function/);
    expect(() => new LambdaModelCanary(stack, 'Canary2', { modelFunction: fn as never })).toThrow(detail);
  });
});
