/**
 * Callers that bypass the canary's alias (issue 18 §4): the model function or one of its versions
 * wired to an API, a function URL, an event source or an EventBridge rule in the same app is a
 * synth warning with the fix; the alias is silent.
 */
import { App, Annotations as CoreAnnotations, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { LambdaModelCanary } from '../../lib';
import { modelFunction } from './support';

const ID = 'cdk-model-canary:aliasBypassed';

function app() {
  const a = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(a, 'Service');
  const fn = modelFunction(stack, 'SentimentModel');
  const canary = new LambdaModelCanary(stack, 'SentimentCanary', { modelFunction: fn });
  return { app: a, stack, fn, canary };
}

function bypassWarnings(stack: Stack): string[] {
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp(ID))
    .map((w) => String(w.entry.data));
}

describe('a REST API', () => {
  test('on the function itself (the issue\'s example): one warning on the canary, naming the caller and the fix', () => {
    const { stack, fn } = app();
    new apigw.LambdaRestApi(stack, 'Api', { handler: fn });
    const found = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(ID));
    expect(found).toHaveLength(1);
    expect(found[0].id).toBe('/Service/SentimentCanary');
    const text = String(found[0].entry.data);
    expect(text).toContain('Service/Api/Default/ANY (REST API method) invokes the model function itself');
    expect(text).toContain('not the alias of the canary Service/SentimentCanary');
    expect(text).toContain("new apigateway.LambdaRestApi(this, 'Api', { handler: canary.alias })");
  });

  test('on fn.currentVersion: a version', () => {
    const { stack, fn } = app();
    new apigw.LambdaRestApi(stack, 'Api', { handler: fn.currentVersion });
    expect(bypassWarnings(stack)).toEqual([expect.stringContaining('invokes a version of the model function')]);
  });

  test('on canary.alias, as the quick start does: silent', () => {
    const { stack, canary } = app();
    new apigw.LambdaRestApi(stack, 'Api', { handler: canary.alias });
    expect(bypassWarnings(stack)).toEqual([]);
  });

  test('in another stack of the app, through a cross-stack reference', () => {
    const { app: a, fn } = app();
    const front = new Stack(a, 'Frontend');
    new apigw.LambdaRestApi(front, 'Api', { handler: fn });
    expect(bypassWarnings(Stack.of(fn))).toEqual([expect.stringContaining('Frontend/Api/Default/ANY (REST API method) invokes the model function itself')]);
  });
});

test('an HTTP API integration on the function warns; on the alias it is silent', () => {
  const direct = app();
  new apigwv2.HttpApi(direct.stack, 'Http', { defaultIntegration: new HttpLambdaIntegration('Model', direct.fn) });
  expect(bypassWarnings(direct.stack)).toEqual([expect.stringContaining('(HTTP API integration) invokes the model function itself')]);

  const viaAlias = app();
  new apigwv2.HttpApi(viaAlias.stack, 'Http', { defaultIntegration: new HttpLambdaIntegration('Model', viaAlias.canary.alias) });
  expect(bypassWarnings(viaAlias.stack)).toEqual([]);
});

// Lambda gives function URLs to a function or an alias only (CDK refuses fn.currentVersion.addFunctionUrl()).
test('a function URL on the function warns, with the fix', () => {
  const { stack, fn } = app();
  fn.addFunctionUrl();
  expect(bypassWarnings(stack)).toEqual([expect.stringMatching(/\(function URL\) invokes the model function itself.*canary\.alias\.addFunctionUrl\(\)/)]);
});

test('a function URL on the alias is silent', () => {
  const { stack, canary } = app();
  canary.alias.addFunctionUrl();
  expect(bypassWarnings(stack)).toEqual([]);
});

test('an event source mapping on the function or a version warns; on the alias it is silent', () => {
  const direct = app();
  direct.fn.addEventSource(new SqsEventSource(new sqs.Queue(direct.stack, 'Requests')));
  direct.fn.currentVersion.addEventSource(new SqsEventSource(new sqs.Queue(direct.stack, 'More')));
  const [text] = bypassWarnings(direct.stack);
  expect(text).toContain('(event source mapping) invokes the model function itself');
  expect(text).toContain('(event source mapping) invokes a version of the model function');
  expect(text).toContain('canary.alias.addEventSource(source)');

  const viaAlias = app();
  viaAlias.canary.alias.addEventSource(new SqsEventSource(new sqs.Queue(viaAlias.stack, 'Requests')));
  expect(bypassWarnings(viaAlias.stack)).toEqual([]);
});

test('an EventBridge target on the function or its $LATEST warns; on the alias it is silent', () => {
  const direct = app();
  new events.Rule(direct.stack, 'Nightly', { schedule: events.Schedule.cron({ hour: '2' }), targets: [new targets.LambdaFunction(direct.fn)] });
  new events.Rule(direct.stack, 'Hourly', { schedule: events.Schedule.cron({ minute: '0' }), targets: [new targets.LambdaFunction(direct.fn.latestVersion)] });
  const [text] = bypassWarnings(direct.stack);
  expect(text).toContain('Service/Nightly (EventBridge rule target) invokes the model function itself');
  expect(text).toContain("Service/Hourly (EventBridge rule target) invokes the model function's $LATEST");
  expect(text).toContain('new targets.LambdaFunction(canary.alias)');

  const viaAlias = app();
  new events.Rule(viaAlias.stack, 'Nightly', { schedule: events.Schedule.cron({ hour: '2' }), targets: [new targets.LambdaFunction(viaAlias.canary.alias)] });
  expect(bypassWarnings(viaAlias.stack)).toEqual([]);
});

test('the canary alone (its own rules and pre-traffic checks) is silent, and an acknowledged warning is gone', () => {
  expect(bypassWarnings(app().stack)).toEqual([]);
  const { stack, fn, canary } = app();
  new apigw.LambdaRestApi(stack, 'TestRoute', { handler: fn.currentVersion });
  CoreAnnotations.of(canary).acknowledgeWarning(ID, 'a test route on the newest version, on purpose');
  expect(bypassWarnings(stack)).toEqual([]);
});
