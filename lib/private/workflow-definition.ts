import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { JUDGE_NAMESPACE } from '../../lambda/shared/judge-plan';
import type { RolloutController } from './rollout-controller';

/** Errors Step Functions may retry: our transient AWS failures and Lambda's own service errors. */
const TRANSIENT_ERRORS = [
  'TransientAwsError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** The Step Functions workflow: start → pre-traffic → (set weight → bake/check)* → promote → (watch)*. */
export function buildWorkflow(host: RolloutController, plan: Record<string, unknown>, timeout: Duration): sfn.StateMachine {
  const scope = host;
  const b = host.binding;
  const start = host.handler('start', 'StartStep');
  b.grantReadRouting(start);
  b.grantPrepare(start);
  host.guards.grantRead(start);
  host.grantAlerts(start);

  // Up to 30 s waiting for a minute's edge (lambda/shared/hold.ts), then the change itself.
  const setWeight = host.handler('set-weight', 'SetWeightStep', Duration.minutes(2));
  b.grantShiftTraffic(setWeight);
  host.grantAlerts(setWeight);

  const grantJudge = (fn: lambda.Function) => {
    // GetMetricData has no resource-level permissions.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    // The judge publishes each guard's evidence. PutMetricData has no resource-level permissions:
    // the condition key cloudwatch:namespace limits it to the judge's namespace.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': JUDGE_NAMESPACE } },
      }),
    );
  };
  const check = host.handler('check', 'CheckStep');
  b.grantReadRouting(check);
  host.guards.grantRead(check);
  grantJudge(check);
  host.grantAlerts(check);

  const promote = host.handler('promote', 'PromoteStep');
  b.grantShiftTraffic(promote);
  host.guards.grantRead(promote);
  host.grantAlerts(promote);

  // Created even without a watch: an execution started before a deploy turned the watch off still
  // runs the old definition, and its watch check must find its function.
  const watchStep = host.handler('watch', 'WatchStep');
  // The watch judges the canary against the previous version's control share, and ends that share.
  b.grantShiftTraffic(watchStep);
  host.guards.grantRead(watchStep);
  host.grantAlerts(watchStep);
  grantJudge(watchStep);
  const watchPromoted = (plan.postPromotionWatchSeconds as number) > 0 ? watchStep : undefined;

  const rollback = host.handler('rollback', 'RollbackStep');
  b.grantShiftTraffic(rollback);
  host.grantAlerts(rollback);

  const rollbackFailed = host.handler('rollback-failed', 'RollbackFailedStep');
  host.grantAlerts(rollbackFailed);

  const task = (id: string, fn: lambda.IFunction, resultPath = '$.progress', payload?: sfn.TaskInput) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: fn,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
      payload,
    });
  const transient = { errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, maxDelay: Duration.seconds(30), jitterStrategy: sfn.JitterType.FULL };
  // A SageMaker endpoint that is Updating takes minutes, not seconds: wait for it, do not fail.
  const endpointBusy = { errors: ['EndpointBusy'], interval: Duration.seconds(15), maxAttempts: 40, backoffRate: 1 };

  // Terminal states
  const promoted = new sfn.Succeed(scope, 'Promoted', { comment: 'The canary serves all traffic.' });
  const superseded = new sfn.Succeed(scope, 'Superseded', { comment: 'Another release took over the target.' });
  const rolledBack = new sfn.Fail(scope, 'RolledBack', { error: 'CanaryRolledBack', causePath: '$.progress.reason' });
  // Stopped without a verdict (maxHold passed without the evidence): at 0 %, and not a regression.
  const insufficient = new sfn.Fail(scope, 'InsufficientEvidence', { error: 'InsufficientEvidence', causePath: '$.progress.reason' });
  const stoppedHow = new sfn.Choice(scope, 'RegressionOrNot')
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.progress.outcome'), sfn.Condition.stringEquals('$.progress.outcome', 'insufficient_evidence')), insufficient)
    .otherwise(rolledBack);
  const failed = new sfn.Fail(scope, 'RolloutFailed', { error: 'RolloutFailed', causePath: '$.progress.reason' });
  const rollbackFailedEnd = new sfn.Fail(scope, 'RollbackFailed', { error: 'RollbackFailed', cause: 'The rollback itself failed: set the canary weight to 0 by hand.' });

  const alertRollbackFailed = task('AlertRollbackFailed', rollbackFailed, '$.alert')
    .addRetry(transient)
    .addCatch(rollbackFailedEnd, { resultPath: '$.alertError' })
    .next(rollbackFailedEnd);
  const rollbackRetry = { ...transient, interval: Duration.seconds(1), maxAttempts: 10, maxDelay: Duration.seconds(20) };
  const rollBack = task('RollBack', rollback)
    .addRetry(endpointBusy)
    .addRetry(rollbackRetry)
    .addCatch(alertRollbackFailed, { resultPath: '$.error' })
    .next(stoppedHow);
  const rollBackAfterError = task('RollBackAfterError', rollback)
    .addRetry(endpointBusy)
    .addRetry(rollbackRetry)
    .addCatch(alertRollbackFailed, { resultPath: '$.error' })
    .next(failed);

  const external = new sfn.Choice(scope, 'StoppedOutsideWorkflow')
    .when(sfn.Condition.stringEquals('$.progress.externalOutcome', 'promoted'), promoted)
    .when(sfn.Condition.stringEquals('$.progress.externalOutcome', 'superseded'), superseded)
    // Rolled back by the alarm fast path (or a person): the rollback step confirms and alerts.
    .otherwise(rollBack);

  const guarded = (t: tasks.LambdaInvoke) =>
    t.addRetry(endpointBusy).addRetry(transient).addCatch(rollBackAfterError, { resultPath: '$.error' });

  const planState = new sfn.Pass(scope, 'Plan', {
    comment: 'The rollout plan fixed at synth time: schedule, guards, alerts.',
    result: sfn.Result.fromObject(plan),
    resultPath: '$.plan',
  });
  // The execution's name goes into the progress: the operator's commands name the rollout they are for.
  const startInput = sfn.TaskInput.fromObject({
    plan: sfn.JsonPath.objectAt('$.plan'),
    release: sfn.JsonPath.objectAt('$.release'),
    execution: sfn.JsonPath.stringAt('$$.Execution.Name'),
  });
  const startTask = task('Start', start, '$.progress', startInput)
    .addRetry({ errors: ['GuardsNotReady'], interval: Duration.seconds(15), maxAttempts: 40, backoffRate: 1 })
    // Adding the canary variant to an endpoint takes up to tens of minutes.
    .addRetry({ errors: ['EndpointBusy'], interval: Duration.seconds(30), maxAttempts: 120, backoffRate: 1 })
    .addRetry(transient)
    .addCatch(rollBackAfterError, { resultPath: '$.error' });
  const setWeightTask = guarded(task('SetWeight', setWeight));
  const checkTask = guarded(task('Check', check));
  const promoteTask = guarded(task('Promote', promote));
  const bake = new sfn.Wait(scope, 'Bake', { time: sfn.WaitTime.secondsPath('$.progress.waitSeconds') });

  const decision = (value: string) => sfn.Condition.stringEquals('$.progress.decision', value);
  const afterPromote = new sfn.Choice(scope, 'PromotedOrNot')
    .when(decision('promote'), promoted)
    .when(decision('external'), external);
  if (watchPromoted) {
    // The post-promotion watch: the guards keep watching while the previous version stays routable.
    const watchWait = new sfn.Wait(scope, 'WatchAfterPromotion', { time: sfn.WaitTime.secondsPath('$.progress.waitSeconds') });
    const watchTask = guarded(task('WatchCheck', watchPromoted));
    const afterWatch = new sfn.Choice(scope, 'WatchedOrNot')
      .when(decision('watch'), watchWait)
      .when(decision('promote'), promoted)
      .when(decision('external'), external)
      .otherwise(rollBack);
    watchWait.next(watchTask);
    watchTask.next(afterWatch);
    afterPromote.when(decision('watch'), watchWait);
  }
  afterPromote.otherwise(rollBack);
  promoteTask.next(afterPromote);

  const afterCheck = new sfn.Choice(scope, 'Decide')
    .when(decision('rollback'), rollBack)
    .when(decision('external'), external)
    .when(decision('advance'), setWeightTask)
    .when(decision('promote'), promoteTask)
    .otherwise(bake);
  checkTask.next(afterCheck);
  bake.next(checkTask);

  const afterSetWeight = new sfn.Choice(scope, 'WeightSet')
    .when(decision('external'), external)
    .when(decision('promote'), promoteTask)
    .otherwise(bake);
  setWeightTask.next(afterSetWeight);

  let firstTraffic: sfn.IChainable = setWeightTask;
  if ((plan.preTrafficChecks as unknown[]).length > 0) {
    const preTraffic = host.handler('pre-traffic', 'PreTrafficStep', Duration.minutes(5));
    b.grantInvokeCanary(preTraffic);
    firstTraffic = guarded(task('PreTrafficChecks', preTraffic)).next(setWeightTask);
  }
  const afterStart = new sfn.Choice(scope, 'Started')
    .when(decision('external'), external)
    .otherwise(firstTraffic);
  startTask.next(afterStart);

  return new sfn.StateMachine(scope, 'Workflow', {
    definitionBody: sfn.DefinitionBody.fromChainable(planState.next(startTask)),
    comment: `cdk-model-canary rollout of ${host.canaryName}`,
    // Bounded by the schedule (history-budget.ts): an execution that runs longer is stuck.
    timeout,
    tracingEnabled: true,
    logs: {
      destination: host.logGroup('WorkflowLogs', true),
      level: sfn.LogLevel.ALL,
      includeExecutionData: true,
    },
  });
}
