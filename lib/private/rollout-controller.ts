import { ArnFormat, CustomResource, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { InsufficientTrafficAction, type ModelCanaryOptions } from '../model-canary-options';
import { RolloutSchedule } from '../rollout-schedule';
import { GuardAlarms } from './guard-alarms';
import { handlerCode } from './handler-code';
import { addModelSignalGuards, predictionShiftPlan } from './signal-guards';
import { acknowledgeFindings } from './nag-acknowledgements';
import type { TargetBinding } from './target-binding';
import { emailProblems, requireRange, scheduleProblems } from './validation';

export interface RolloutControllerProps {
  readonly options: ModelCanaryOptions;
  readonly binding: TargetBinding;
  /** The version this deploy publishes: the canary of the next rollout. */
  readonly canaryVersion: string;
}

/** Errors Step Functions may retry: our transient AWS failures and Lambda's own service errors. */
const TRANSIENT_ERRORS = [
  'TransientAwsError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * The target-independent half of a model canary: alerts, guard alarms, the rollout workflow, the
 * alarm fast path and the release custom resource. A public canary construct supplies a
 * TargetBinding ("where traffic goes") and gets all of this.
 */
export class RolloutController extends Construct {
  public readonly topic: sns.ITopic;
  public readonly stateMachine: sfn.StateMachine;
  public readonly guards: GuardAlarms;
  public readonly stableVersion: string;
  public readonly release: CustomResource;
  public readonly handlers: Record<string, lambda.Function> = {};

  public readonly binding: TargetBinding;
  private readonly canaryName: string;

  constructor(scope: Construct, id: string, props: RolloutControllerProps) {
    super(scope, id);
    const o = props.options;
    const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
    const guardWindow = o.guardWindow ?? Duration.minutes(5);
    const checkInterval = o.checkInterval ?? Duration.seconds(30);
    const maxHold = o.maxHold ?? Duration.hours(6);
    const minRequests = o.minRequestsPerStep ?? 100;
    this.canaryName = o.canaryName ?? scope.node.id;
    this.binding = props.binding;


    // Alerts
    this.topic =
      o.alertTopic ??
      new sns.Topic(this, 'Alerts', {
        displayName: `Model canary ${this.canaryName}`,
        // The AWS managed key: encrypted at rest at no key cost; only this library's functions publish.
        masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
        enforceSSL: true,
      });
    for (const email of o.alertEmails ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    // Release custom resource: owns the routing; its StableVersion scopes the relative guards.
    const releaseFn = this.handler('release', 'ReleaseStep', Duration.minutes(2));
    // Its own role, writing only to its log group (the default role carries AWSLambdaBasicExecutionRole).
    const providerLogs = this.logGroup('ReleaseProviderLogs');
    const providerRole = new iam.Role(this, 'ReleaseProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `cdk-model-canary ${this.canaryName}: custom resource provider framework`,
    });
    providerLogs.grantWrite(providerRole);
    const provider = new cr.Provider(this, 'ReleaseProvider', {
      onEventHandler: releaseFn,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });
    // The state machine is built below (its plan names the guards, which need StableVersion).
    this.release = new CustomResource(this, 'Release', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ModelCanaryRelease',
      properties: {
        CanaryName: this.canaryName,
        Target: props.binding.targetConfig,
        TopicArn: this.topic.topicArn,
        StateMachineArn: Lazy.string({ produce: () => this.stateMachine.stateMachineArn }),
        Version: props.canaryVersion,
      },
    });
    this.stableVersion = this.release.getAttString('StableVersion');

    // Guards
    this.guards = new GuardAlarms(this, 'Guards', {
      binding: props.binding,
      canaryVersion: props.canaryVersion,
      stableVersion: this.stableVersion,
      namePrefix: `${Stack.of(this).stackName}-${this.canaryName}`,
      window: guardWindow,
      maxErrorRatePercent: o.maxErrorRatePercent ?? 5,
      maxLatencyP95: o.maxLatencyP95 ?? Duration.seconds(10),
      maxErrorRateIncrease: o.maxErrorRateIncrease ?? 2,
      maxLatencyP95Increase: o.maxLatencyP95Increase ?? Duration.millis(50),
      additionalAlarms: o.additionalAlarms ?? [],
    });
    addModelSignalGuards(this.guards, o, {
      canaryName: this.canaryName,
      canaryVersion: props.canaryVersion,
      stableVersion: this.stableVersion,
      guardWindow,
    });

    const plan = {
      canaryName: this.canaryName,
      target: props.binding.targetConfig,
      steps: schedule.steps.map((s) => ({ percent: s.percent, bakeSeconds: s.bake.toSeconds() })),
      checkIntervalSeconds: checkInterval.toSeconds(),
      minRequestsPerStep: minRequests,
      insufficientTraffic: o.onInsufficientTraffic ?? InsufficientTrafficAction.HOLD,
      maxHoldSeconds: maxHold.toSeconds(),
      guardAlarmNames: this.guards.allAlarmNames,
      versionScopedAlarmNames: this.guards.versionScopedAlarmNames,
      topicArn: this.topic.topicArn,
      predictionShift: predictionShiftPlan(o, this.canaryName) ?? null,
      preTrafficChecks: (o.preTrafficChecks ?? []).map((c) => ({
        payload: c.payload,
        repeat: c.repeat ?? 1,
        expectResponseContains: c.expectResponseContains ?? '',
      })),
    };

    this.stateMachine = this.workflow(plan);

    // Release function: create/delete the routing, start and stop rollouts.
    props.binding.grantManageRouting(releaseFn);
    this.stateMachine.grantStartExecution(releaseFn);
    releaseFn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachine.stateMachineArn] }),
    );
    releaseFn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StopExecution'], resources: [executionArnPattern(this.stateMachine)] }),
    );
    this.topic.grantPublish(releaseFn);

    this.fastPath(plan);
    acknowledgeFindings(this);
  }

  /** One workflow handler: its own role, its own log group, the prebuilt bundle. */
  private handler(name: string, id: string, timeout = Duration.seconds(90)): lambda.Function {
    const logGroup = this.logGroup(`${id}Logs`);
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `cdk-model-canary ${this.canaryName}: ${name} step`,
    });
    logGroup.grantWrite(role);
    const fn = new lambda.Function(this, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: handlerCode(name),
      handler: 'index.handler',
      role,
      timeout,
      memorySize: 256,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: `cdk-model-canary ${this.canaryName}: ${name}`,
    });
    fn.node.addDependency(role);
    this.handlers[name] = fn;
    return fn;
  }

  private logGroup(id: string): logs.LogGroup {
    return new logs.LogGroup(this, id, { retention: logs.RetentionDays.THREE_MONTHS });
  }

  private grantAlerts(fn: lambda.IFunction): void {
    this.topic.grantPublish(fn);
  }

  /** The Step Functions workflow: start → pre-traffic → (set weight → bake/check)* → promote. */
  private workflow(plan: Record<string, unknown>): sfn.StateMachine {
    const b = this.binding;
    const start = this.handler('start', 'StartStep');
    b.grantReadRouting(start);
    b.grantPrepare(start);
    this.guards.grantRead(start);
    this.grantAlerts(start);

    const setWeight = this.handler('set-weight', 'SetWeightStep');
    b.grantShiftTraffic(setWeight);
    this.grantAlerts(setWeight);

    const check = this.handler('check', 'CheckStep');
    b.grantReadRouting(check);
    this.guards.grantRead(check);
    check.addToRolePolicy(
      // GetMetricData has no resource-level permissions.
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    this.grantAlerts(check);

    const promote = this.handler('promote', 'PromoteStep');
    b.grantShiftTraffic(promote);
    this.guards.grantRead(promote);
    this.grantAlerts(promote);

    const rollback = this.handler('rollback', 'RollbackStep');
    b.grantShiftTraffic(rollback);
    this.grantAlerts(rollback);

    const rollbackFailed = this.handler('rollback-failed', 'RollbackFailedStep');
    this.grantAlerts(rollbackFailed);

    const task = (id: string, fn: lambda.IFunction, resultPath = '$.progress') =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: fn,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath,
      });
    const transient = { errors: TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, maxDelay: Duration.seconds(30), jitterStrategy: sfn.JitterType.FULL };
    // A SageMaker endpoint that is Updating takes minutes, not seconds: wait for it, do not fail.
    const endpointBusy = { errors: ['EndpointBusy'], interval: Duration.seconds(15), maxAttempts: 40, backoffRate: 1 };

    // Terminal states
    const promoted = new sfn.Succeed(this, 'Promoted', { comment: 'The canary serves all traffic.' });
    const superseded = new sfn.Succeed(this, 'Superseded', { comment: 'Another release took over the target.' });
    const rolledBack = new sfn.Fail(this, 'RolledBack', { error: 'CanaryRolledBack', causePath: '$.progress.reason' });
    const failed = new sfn.Fail(this, 'RolloutFailed', { error: 'RolloutFailed', causePath: '$.progress.reason' });
    const rollbackFailedEnd = new sfn.Fail(this, 'RollbackFailed', { error: 'RollbackFailed', cause: 'The rollback itself failed: set the canary weight to 0 by hand.' });

    const alertRollbackFailed = task('AlertRollbackFailed', rollbackFailed, '$.alert')
      .addRetry(transient)
      .addCatch(rollbackFailedEnd, { resultPath: '$.alertError' })
      .next(rollbackFailedEnd);
    const rollbackRetry = { ...transient, interval: Duration.seconds(1), maxAttempts: 10, maxDelay: Duration.seconds(20) };
    const rollBack = task('RollBack', rollback)
      .addRetry(endpointBusy)
      .addRetry(rollbackRetry)
      .addCatch(alertRollbackFailed, { resultPath: '$.error' })
      .next(rolledBack);
    const rollBackAfterError = task('RollBackAfterError', rollback)
      .addRetry(endpointBusy)
      .addRetry(rollbackRetry)
      .addCatch(alertRollbackFailed, { resultPath: '$.error' })
      .next(failed);

    const external = new sfn.Choice(this, 'StoppedOutsideWorkflow')
      .when(sfn.Condition.stringEquals('$.progress.externalOutcome', 'promoted'), promoted)
      .when(sfn.Condition.stringEquals('$.progress.externalOutcome', 'superseded'), superseded)
      // Rolled back by the alarm fast path (or a person): the rollback step confirms and alerts.
      .otherwise(rollBack);

    const guarded = (t: tasks.LambdaInvoke) =>
      t.addRetry(endpointBusy).addRetry(transient).addCatch(rollBackAfterError, { resultPath: '$.error' });

    const planState = new sfn.Pass(this, 'Plan', {
      comment: 'The rollout plan fixed at synth time: schedule, guards, alerts.',
      result: sfn.Result.fromObject(plan),
      resultPath: '$.plan',
    });
    const startTask = task('Start', start)
      .addRetry({ errors: ['GuardsNotReady'], interval: Duration.seconds(15), maxAttempts: 40, backoffRate: 1 })
      // Adding the canary variant to an endpoint takes up to tens of minutes.
      .addRetry({ errors: ['EndpointBusy'], interval: Duration.seconds(30), maxAttempts: 120, backoffRate: 1 })
      .addRetry(transient)
      .addCatch(rollBackAfterError, { resultPath: '$.error' });
    const setWeightTask = guarded(task('SetWeight', setWeight));
    const checkTask = guarded(task('Check', check));
    const promoteTask = guarded(task('Promote', promote));
    const bake = new sfn.Wait(this, 'Bake', { time: sfn.WaitTime.secondsPath('$.progress.waitSeconds') });

    const decision = (value: string) => sfn.Condition.stringEquals('$.progress.decision', value);
    const afterPromote = new sfn.Choice(this, 'PromotedOrNot')
      .when(decision('promote'), promoted)
      .when(decision('external'), external)
      .otherwise(rollBack);
    promoteTask.next(afterPromote);

    const afterCheck = new sfn.Choice(this, 'Decide')
      .when(decision('rollback'), rollBack)
      .when(decision('external'), external)
      .when(decision('advance'), setWeightTask)
      .when(decision('promote'), promoteTask)
      .otherwise(bake);
    checkTask.next(afterCheck);
    bake.next(checkTask);

    const afterSetWeight = new sfn.Choice(this, 'WeightSet')
      .when(decision('external'), external)
      .when(decision('promote'), promoteTask)
      .otherwise(bake);
    setWeightTask.next(afterSetWeight);

    let firstTraffic: sfn.IChainable = setWeightTask;
    if ((plan.preTrafficChecks as unknown[]).length > 0) {
      const preTraffic = this.handler('pre-traffic', 'PreTrafficStep', Duration.minutes(5));
      b.grantInvokeCanary(preTraffic);
      firstTraffic = guarded(task('PreTrafficChecks', preTraffic)).next(setWeightTask);
    }
    const afterStart = new sfn.Choice(this, 'Started')
      .when(decision('external'), external)
      .otherwise(firstTraffic);
    startTask.next(afterStart);

    return new sfn.StateMachine(this, 'Workflow', {
      definitionBody: sfn.DefinitionBody.fromChainable(planState.next(startTask)),
      comment: `cdk-model-canary rollout of ${this.canaryName}`,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup('WorkflowLogs'),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
  }

  /** Immediate rollback: a guard alarm entering ALARM sets the canary weight to 0 within seconds. */
  private fastPath(plan: Record<string, unknown>): void {
    const onAlarm = this.handler('on-alarm', 'AlarmFastPath');
    this.binding.grantShiftTraffic(onAlarm);
    const rule = new events.Rule(this, 'GuardAlarmRule', {
      description: `cdk-model-canary ${this.canaryName}: a guard alarm entered ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: this.guards.allAlarmArns,
        detail: { state: { value: ['ALARM'] } },
      },
    });
    rule.addTarget(
      new eventsTargets.LambdaFunction(onAlarm, {
        event: events.RuleTargetInput.fromObject({
          config: {
            canaryName: plan.canaryName,
            target: plan.target,
            versionScopedAlarmNames: plan.versionScopedAlarmNames,
          },
          event: { time: events.EventField.time, detail: events.EventField.fromPath('$.detail') },
        }),
        retryAttempts: 8,
        maxEventAge: Duration.minutes(30),
      }),
    );
  }
}

/**
 * Every problem with the target-independent options, each saying what to change. Public canary
 * constructs check these before they build anything.
 */
export function optionProblems(o: ModelCanaryOptions): string[] {
  const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
  const guardWindow = o.guardWindow ?? Duration.minutes(5);
  const checkInterval = o.checkInterval ?? Duration.seconds(30);
  const maxHold = o.maxHold ?? Duration.hours(6);
  const minRequests = o.minRequestsPerStep ?? 100;
  return [
    ...scheduleProblems(schedule),
    ...requireRange('minRequestsPerStep', minRequests, 1, 1e9, 'give a whole number of requests, at least 1 (no traffic is never evidence)'),
    ...(Number.isInteger(minRequests) ? [] : [`minRequestsPerStep is ${minRequests}: give a whole number`]),
    ...requireRange('maxErrorRatePercent', o.maxErrorRatePercent, 0, 100, 'give a percentage from 0 to 100'),
    ...requireRange('maxErrorRateIncrease', o.maxErrorRateIncrease, 0, 100, 'give percentage points from 0 to 100'),
    ...requireRange('maxLatencyP95 (ms)', o.maxLatencyP95?.toMilliseconds(), 1, 15 * 60 * 1000, 'give a positive duration of at most 15 minutes'),
    ...requireRange('maxLatencyP95Increase (ms)', o.maxLatencyP95Increase?.toMilliseconds(), 0, 15 * 60 * 1000, 'give a duration of at most 15 minutes'),
    ...requireRange('guardWindow (minutes)', guardWindow.toSeconds() / 60, 1, 1440, 'give whole minutes from 1 to 1440 (1-minute metrics)'),
    ...(guardWindow.toSeconds() % 60 === 0 ? [] : [`guardWindow is ${guardWindow.toSeconds()}s: give whole minutes (metrics come in 1-minute periods)`]),
    ...requireRange('checkInterval (s)', checkInterval.toSeconds(), 10, 3600, 'give 10 seconds to 1 hour'),
    ...requireRange('maxHold (s)', maxHold.toSeconds(), 0, 7 * 24 * 3600, 'give at most 7 days'),
    ...emailProblems(o.alertEmails ?? []),
    ...signalProblems(o),
    ...(o.preTrafficChecks ?? []).flatMap((c, i) =>
      requireRange(`preTrafficChecks[${i}].repeat`, c.repeat, 1, 100, 'send each request 1 to 100 times'),
    ),
  ];
}

function executionArnPattern(sm: sfn.StateMachine): string {
  const stack = Stack.of(sm);
  return stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${sm.stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Problems with the AI-model signal guard options. */
function signalProblems(o: ModelCanaryOptions): string[] {
  const problems = [
    ...requireRange('maxTokensPerRequestRatio', o.maxTokensPerRequestRatio, 1, 1000, 'give a multiple of the stable version\'s tokens per request from 1 to 1000 (1.5 = 150 %)'),
    ...requireRange('maxGuardrailBlocksPerMinute', o.maxGuardrailBlocksPerMinute, 0, 1e9, 'give a number of blocked requests per minute, 0 or more'),
    ...requireRange('maxGuardrailBlockRateIncrease', o.maxGuardrailBlockRateIncrease, 0, 100, 'give percentage points from 0 to 100'),
    ...requireRange('maxSchemaFailurePercent', o.maxSchemaFailurePercent, 0, 100, 'give a percentage from 0 to 100'),
    ...requireRange('maxResponseLengthShiftPercent', o.maxResponseLengthShiftPercent, 1, 1e6, 'give a percentage change of the median length from 1 to 1,000,000'),
    ...requireRange('inputTokenPricePer1k', o.inputTokenPricePer1k, 0, 1e6, 'give a price of 0 or more'),
    ...requireRange('outputTokenPricePer1k', o.outputTokenPricePer1k, 0, 1e6, 'give a price of 0 or more'),
    ...requireRange('maxCostPerRequest', o.maxCostPerRequest, 0, 1e6, 'give a cost of 0 or more'),
    ...requireRange('maxCostPerRequestRatio', o.maxCostPerRequestRatio, 1, 1000, 'give a multiple of the stable version\'s cost from 1 to 1000'),
    ...requireRange('maxPredictionShift', o.maxPredictionShift, 0.001, 10, 'give a population stability index from 0.001 to 10 (0.1 is a moderate shift)'),
    ...requireRange('minPredictionsForShift', o.minPredictionsForShift, 1, 1e9, 'give a whole number of predictions, at least 1'),
    ...(o.minPredictionsForShift === undefined || Number.isInteger(o.minPredictionsForShift) ? [] : [`minPredictionsForShift is ${o.minPredictionsForShift}: give a whole number`]),
    ...requireRange('tokensWindow (minutes)', o.tokensWindow ? o.tokensWindow.toSeconds() / 60 : undefined, 1, 1440, 'give whole minutes from 1 to 1440'),
    ...(o.tokensWindow === undefined || o.tokensWindow.toSeconds() % 60 === 0 ? [] : [`tokensWindow is ${o.tokensWindow.toSeconds()}s: give whole minutes (metrics come in 1-minute periods)`]),
  ];
  const signalProps = {
    maxTokensPerRequestRatio: o.maxTokensPerRequestRatio,
    tokensWindow: o.tokensWindow,
    maxGuardrailBlocksPerMinute: o.maxGuardrailBlocksPerMinute,
    maxSchemaFailurePercent: o.maxSchemaFailurePercent,
    maxResponseLengthShiftPercent: o.maxResponseLengthShiftPercent,
    inputTokenPricePer1k: o.inputTokenPricePer1k,
    outputTokenPricePer1k: o.outputTokenPricePer1k,
    maxCostPerRequest: o.maxCostPerRequest,
    maxCostPerRequestRatio: o.maxCostPerRequestRatio,
    predictionClasses: o.predictionClasses,
    maxPredictionShift: o.maxPredictionShift,
    minPredictionsForShift: o.minPredictionsForShift,
    signalsNamespace: o.signalsNamespace,
  };
  const set = Object.entries(signalProps).filter(([, v]) => v !== undefined).map(([k]) => k);
  const bedrock = [o.bedrockGuardrailArn, o.canaryGuardrailVersion, o.stableGuardrailVersion];
  if (o.maxGuardrailBlockRateIncrease !== undefined && !o.modelSignals && bedrock.every((b) => b === undefined)) {
    set.push('maxGuardrailBlockRateIncrease');
  }
  if (set.length > 0 && !o.modelSignals) {
    problems.push(`${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set but modelSignals is not: set modelSignals: true (and record the signals with cdk-model-canary/runtime in the model code)`);
  }
  if ((o.inputTokenPricePer1k === undefined) !== (o.outputTokenPricePer1k === undefined)) {
    problems.push('give both inputTokenPricePer1k and outputTokenPricePer1k for the cost guards, or neither');
  }
  if ((o.maxCostPerRequest !== undefined || o.maxCostPerRequestRatio !== undefined) && o.inputTokenPricePer1k === undefined) {
    problems.push('maxCostPerRequest and maxCostPerRequestRatio need inputTokenPricePer1k and outputTokenPricePer1k to compute a cost');
  }
  if ((o.maxPredictionShift !== undefined || o.minPredictionsForShift !== undefined) && !o.predictionClasses) {
    problems.push('maxPredictionShift and minPredictionsForShift need predictionClasses (the class names the model records)');
  }
  const minRequests = o.minRequestsPerStep ?? 100;
  const minPredictions = o.minPredictionsForShift ?? 100;
  if (o.predictionClasses && !Token.isUnresolved(minRequests) && !Token.isUnresolved(minPredictions) && minPredictions > minRequests) {
    problems.push(`minPredictionsForShift (${o.minPredictionsForShift ?? 100}) is above minRequestsPerStep (${minRequests}): a step could pass before the prediction shift is judged; lower it or raise minRequestsPerStep`);
  }
  const classes = o.predictionClasses ?? [];
  if (o.predictionClasses) {
    const bad = classes.filter((k) => k.trim() !== k || k.length < 1 || k.length > 255);
    if (classes.length < 2 || new Set(classes).size !== classes.length || bad.length > 0 || classes.length > 100) {
      problems.push(`predictionClasses is ${JSON.stringify(classes.slice(0, 10))}${classes.length > 10 ? '…' : ''}: give 2 to 100 distinct class names of 1-255 characters without surrounding spaces, as the model code records them`);
    }
  }
  if (bedrock.some((b) => b !== undefined) && bedrock.some((b) => b === undefined)) {
    problems.push('the Bedrock guardrail guard needs bedrockGuardrailArn, canaryGuardrailVersion and stableGuardrailVersion together');
  }
  if (o.canaryGuardrailVersion !== undefined && o.canaryGuardrailVersion === o.stableGuardrailVersion) {
    problems.push(`canaryGuardrailVersion and stableGuardrailVersion are both ${o.canaryGuardrailVersion}: the Bedrock guard compares two different guardrail versions (leave these props out when both versions call the same one)`);
  }
  return problems;
}
