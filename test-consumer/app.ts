// A user's CDK app: the canary's alias used the way users wire a lambda.Alias. Synthesized by
// scripts/consumer-test.sh in a scratch folder outside the repo, against the packed tarball.
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Guard, LambdaModelCanary } from 'cdk-model-canary';

const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
const stack = new Stack(app, 'ConsumerStack');

const model = new lambda.Function(stack, 'Model', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ prediction: "positive" });'),
});
const canary = new LambdaModelCanary(stack, 'Canary', {
  modelFunction: model,
  aliasName: 'live',
  alertEmails: ['oncall@example.com'],
});
const alias = canary.alias;

// API Gateway: a REST API proxying to the alias, and a method with a LambdaIntegration.
new apigw.LambdaRestApi(stack, 'ProxyApi', { handler: alias });
const api = new apigw.RestApi(stack, 'Api');
api.root.addResource('predict').addMethod('POST', new apigw.LambdaIntegration(alias));

// Function URLs: a public one on this alias. Lambda allows one URL per alias, so the
// IAM-authenticated one goes on a second canary's alias, with invoke rights for a role.
alias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
const invoker = new iam.Role(stack, 'Invoker', { assumedBy: new iam.AccountRootPrincipal() });
const internalModel = new lambda.Function(stack, 'InternalModel', {
  runtime: lambda.Runtime.NODEJS_24_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ prediction: "negative" });'),
});
const internal = new LambdaModelCanary(stack, 'InternalCanary', { modelFunction: internalModel, aliasName: 'live' });
internal.alias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM }).grantInvokeUrl(invoker);

// EventBridge rule target and an SQS event source.
new events.Rule(stack, 'Nightly', {
  schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
  targets: [new targets.LambdaFunction(alias)],
});
const queue = new sqs.Queue(stack, 'Requests');
alias.addEventSource(new SqsEventSource(queue));

// Direct invocation rights, and an alarm on the alias's errors.
alias.grantInvoke(invoker);
const aliasErrors = new cloudwatch.Alarm(stack, 'AliasErrors', {
  metric: alias.metricErrors(),
  threshold: 1,
  evaluationPeriods: 1,
});

// Guards as values, added after construction: an alarm of the user's and a judged guard.
internal.addGuard(Guard.fromAlarm(aliasErrors));
internal.addGuard(Guard.tokensPerRequestVsStable({ maxRatio: 1.3 }));

// What the assertions compare against: whatever token the library uses for the alias ARN.
new CfnOutput(stack, 'AliasArn', { value: alias.functionArn });
new CfnOutput(stack, 'FunctionArn', { value: model.functionArn });
new CfnOutput(stack, 'FunctionName', { value: model.functionName });
new CfnOutput(stack, 'InternalAliasArn', { value: internal.alias.functionArn });

app.synth();
