/**
 * The variants the example app (bin/) does not show, for scripts/lint-templates.ts: cfn-lint checks
 * their templates too. A deploy that waits for the verdict, approval gates (both timeout actions),
 * every kind of guard (alarm, judged, your alarm, a composite alarm, your metrics), SageMaker with
 * its own options, an imported alert topic, no dashboard, and the alias wired to an API, a URL, a
 * queue and a schedule.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  ApprovalTimeoutAction,
  Guard,
  HarmfulChange,
  InsufficientTrafficAction,
  LambdaModelCanary,
  RolloutSchedule,
  SageMakerModelCanary,
  VersionedMetric,
} from '../../lib';
import { everyGuard } from '../../bin/example-stack';

function model(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ label: "positive" });'),
  });
}

/** Every guard factory: the example's built-in guards, and guards on your own metrics and alarms. */
function everyGuardKind(stack: Stack): Guard[] {
  const feedback = (metricName: string) => VersionedMetric.fromDimension({ metricNamespace: 'Chat/Feedback', metricName, versionDimension: 'ModelVersion' });
  const checkout = new cloudwatch.Alarm(stack, 'CheckoutFailures', {
    metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'CheckoutFailures', period: Duration.minutes(1), statistic: 'Sum' }),
    threshold: 10,
    evaluationPeriods: 3,
  });
  const composite = new cloudwatch.CompositeAlarm(stack, 'ShopHealth', { alarmRule: cloudwatch.AlarmRule.anyOf(checkout) });
  return [
    ...everyGuard(['positive', 'negative']),
    Guard.rateVsStable({ name: 'ThumbsDownVsStable', events: feedback('ThumbsDown'), trials: feedback('Rated') }),
    Guard.valueVsStable({ name: 'JudgeScoreVsStable', values: feedback('JudgeScore'), harmfulChange: HarmfulChange.DECREASE }),
    Guard.fromAlarm(checkout),
    Guard.fromAlarm(composite),
  ];
}

export function variantsApp(app = new App()): App {
  const stack = new Stack(app, 'ModelCanaryLintVariants', { env: { account: '123456789012', region: 'us-east-1' } });

  // A deploy that waits for the verdict, with a gate that rolls back on its timeout.
  const gated = new LambdaModelCanary(stack, 'GatedCanary', {
    modelFunction: model(stack, 'GatedModel'),
    waitForVerdict: true,
    schedule: RolloutSchedule.fromPercentages([10, 50, 100], Duration.minutes(5)),
    approvalGates: [100],
    approvalTimeout: Duration.minutes(10),
    onApprovalTimeout: ApprovalTimeoutAction.ROLL_BACK,
    postPromotionWatch: Duration.minutes(5),
    alertEmails: ['ml-oncall@example.com'],
  });
  new apigw.LambdaRestApi(stack, 'GatedApi', { handler: gated.alias });

  // Every guard; an imported topic; gates that hold; no dashboard; the alias behind a URL, a queue, a schedule.
  const guarded = new LambdaModelCanary(stack, 'GuardedCanary', {
    modelFunction: model(stack, 'GuardedModel'),
    guards: everyGuardKind(stack),
    alertTopic: sns.Topic.fromTopicArn(stack, 'TeamAlerts', 'arn:aws:sns:us-east-1:123456789012:team-alerts'),
    approvalGates: [50, 100],
    onApprovalTimeout: ApprovalTimeoutAction.HOLD,
    onInsufficientTraffic: InsufficientTrafficAction.ROLL_BACK,
    preTrafficChecks: [{ payload: '{"text":"great product"}', repeat: 2, expectResponseContains: 'label' }],
    postPromotionWatch: Duration.seconds(0),
    dashboard: false,
    falseRollbackRate: 0.02,
  });
  guarded.alias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  guarded.alias.addEventSource(new SqsEventSource(new sqs.Queue(stack, 'Requests', { enforceSSL: true, retentionPeriod: Duration.days(4) })));
  new events.Rule(stack, 'Nightly', { schedule: events.Schedule.rate(Duration.days(1)), targets: [new targets.LambdaFunction(guarded.alias)] });
  guarded.grantOperate(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));

  // SageMaker: its own endpoint name, two instances, a deploy that waits.
  const role = new iam.Role(stack, 'SummarizerRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const summarizer = new sagemaker.CfnModel(stack, 'Summarizer', {
    modelName: 'summarizer-lint',
    executionRoleArn: role.roleArn,
    primaryContainer: { image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker', modelDataUrl: 's3://example-model-artifacts/summarizer/lint/model.tar.gz' },
  });
  const endpoint = new SageMakerModelCanary(stack, 'SummarizerCanary', {
    model: summarizer,
    endpointName: 'summarizer-lint',
    instanceType: 'ml.m5.large',
    instanceCount: 2,
    waitForVerdict: true,
    schedule: RolloutSchedule.fromPercentages([20, 100], Duration.minutes(10)),
    guards: [...Guard.defaults(), Guard.schemaFailureRate(), Guard.tokensPerRequestVsStable()],
    signalsNamespace: 'Team/Models',
  });
  endpoint.grantPutModelSignals(role);
  summarizer.addPropertyOverride('PrimaryContainer.Environment', { ...endpoint.modelEnvironment, MODEL_CANARY_VERSION: 'summarizer-lint' });
  return app;
}
