import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { StepName } from '../../lambda/shared/steps';
import type { RolloutPlan } from '../../lambda/shared/types';
import type { CanaryHost } from './canary-host';

/** The plan a workflow carries (a Pass state), as the constructs build it: some fields render at synth. */
export type WorkflowPlan = RolloutPlan;

/** Errors Step Functions may retry: our transient AWS failures and Lambda's own service errors. */
const TRANSIENT_ERRORS = [
  'TransientAwsError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** The Step Functions workflow: start → pre-traffic → (set weight → bake/check)* → promote → (watch)*. */
export function buildWorkflow(host: CanaryHost, plan: WorkflowPlan, stateMachineName: string, timeout: Duration): sfn.StateMachine {
  const scope = host;
  const { steps } = host.shared;

  // Every task runs the stack's one steps function, naming its step (lambda/shared/steps.ts).
  const task = (id: string, step: StepName, resultPath = '$.progress', input: unknown = sfn.JsonPath.entirePayload) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: steps,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
      payload: sfn.TaskInput.fromObject({ step, input }),
    });
  const transient = { errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, maxDelay: Duration.seconds(30), jitterStrategy: sfn.JitterType.FULL };
  // A target busy with an earlier change (a SageMaker endpoint Updating for minutes) is waited for, per its contract.
  const busy = host.binding.contract.busyRetry;
  const busyRetry = (t: tasks.LambdaInvoke) =>
    busy ? t.addRetry({ errors: [busy.error], interval: Duration.seconds(busy.stepIntervalSeconds), maxAttempts: busy.stepMaxAttempts, backoffRate: 1 }) : t;

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

  const alertRollbackFailed = task('AlertRollbackFailed', 'rollback-failed', '$.alert')
    .addRetry(transient)
    .addCatch(rollbackFailedEnd, { resultPath: '$.alertError' })
    .next(rollbackFailedEnd);
  const rollbackRetry = { ...transient, interval: Duration.seconds(1), maxAttempts: 10, maxDelay: Duration.seconds(20) };
  const rollBack = busyRetry(task('RollBack', 'rollback'))
    .addRetry(rollbackRetry)
    .addCatch(alertRollbackFailed, { resultPath: '$.error' })
    .next(stoppedHow);
  const rollBackAfterError = busyRetry(task('RollBackAfterError', 'rollback'))
    .addRetry(rollbackRetry)
    .addCatch(alertRollbackFailed, { resultPath: '$.error' })
    .next(failed);

  const external = new sfn.Choice(scope, 'StoppedOutsideWorkflow')
    .when(sfn.Condition.stringEquals('$.progress.externalOutcome', 'promoted'), promoted)
    .when(sfn.Condition.stringEquals('$.progress.externalOutcome', 'superseded'), superseded)
    // Rolled back by the alarm fast path (or a person): the rollback step confirms and alerts.
    .otherwise(rollBack);

  const guarded = (t: tasks.LambdaInvoke) => busyRetry(t).addRetry(transient).addCatch(rollBackAfterError, { resultPath: '$.error' });

  const planState = new sfn.Pass(scope, 'Plan', {
    comment: 'The rollout plan fixed at synth time: schedule, guards, alerts.',
    result: sfn.Result.fromObject(plan as unknown as Record<string, unknown>),
    resultPath: '$.plan',
  });
  // The execution's name goes into the progress: the operator's commands name the rollout they are for.
  const startInput = {
    plan: sfn.JsonPath.objectAt('$.plan'),
    release: sfn.JsonPath.objectAt('$.release'),
    execution: sfn.JsonPath.stringAt('$$.Execution.Name'),
  };
  const startTask = task('Start', 'start', '$.progress', startInput).addRetry({ errors: ['GuardsNotReady'], interval: Duration.seconds(15), maxAttempts: 40, backoffRate: 1 });
  // Preparing the target (adding a SageMaker canary variant) takes up to tens of minutes.
  if (busy) startTask.addRetry({ errors: [busy.error], interval: Duration.seconds(busy.prepareIntervalSeconds), maxAttempts: busy.prepareMaxAttempts, backoffRate: 1 });
  startTask.addRetry(transient).addCatch(rollBackAfterError, { resultPath: '$.error' });
  const setWeightTask = guarded(task('SetWeight', 'set-weight'));
  const checkTask = guarded(task('Check', 'check'));
  const promoteTask = guarded(task('Promote', 'promote'));
  const bake = new sfn.Wait(scope, 'Bake', { time: sfn.WaitTime.secondsPath('$.progress.waitSeconds') });

  const decision = (value: string) => sfn.Condition.stringEquals('$.progress.decision', value);
  const afterPromote = new sfn.Choice(scope, 'PromotedOrNot')
    .when(decision('promote'), promoted)
    .when(decision('external'), external);
  if (plan.postPromotionWatchSeconds && plan.postPromotionWatchSeconds > 0) {
    // The post-promotion watch: the guards keep watching while the previous version stays routable.
    const watchWait = new sfn.Wait(scope, 'WatchAfterPromotion', { time: sfn.WaitTime.secondsPath('$.progress.waitSeconds') });
    const watchTask = guarded(task('WatchCheck', 'watch'));
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
  if (plan.preTrafficChecks.length > 0) {
    firstTraffic = guarded(task('PreTrafficChecks', 'pre-traffic')).next(setWeightTask);
  }
  const afterStart = new sfn.Choice(scope, 'Started')
    .when(decision('external'), external)
    .otherwise(firstTraffic);
  startTask.next(afterStart);

  return new sfn.StateMachine(scope, 'Workflow', {
    definitionBody: sfn.DefinitionBody.fromChainable(planState.next(startTask)),
    // Named with the stack's prefix: the stack's one execution-end rule matches it.
    stateMachineName,
    comment: `cdk-model-canary rollout of ${host.canaryName}`,
    role: host.shared.workflowRole,
    // Bounded by the schedule (history-budget.ts): an execution that runs longer is stuck.
    timeout,
    tracingEnabled: true,
    logs: {
      destination: host.shared.logGroup,
      level: sfn.LogLevel.ALL,
      includeExecutionData: true,
    },
  });
}
