import { Annotations, ArnFormat, CustomResource, Duration, Lazy, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { InsufficientTrafficAction, type ModelCanaryOptions } from '../model-canary-options';
import { RolloutSchedule } from '../rollout-schedule';
import { DEFAULT_ALPHA, DEFAULT_PROMOTION_MARGIN, EVIDENCE_DIMENSIONS, EVIDENCE_METRIC, evidenceThreshold, JUDGE_NAMESPACE, type JudgedGuardPlan, type JudgePlan } from '../../lambda/shared/judge-plan';
import { SIGNAL_NAMESPACE } from '../../runtime/signal-names';
import { Guard } from '../guards/guard';
import { GuardAlarms } from './guard-alarms';
import type { GuardContext } from './guard-kit';
import { handlerCode } from './handler-code';
import { acknowledgeFindings } from './nag-acknowledgements';
import type { TargetBinding } from './target-binding';
import { addAlarmFastPath } from './alarm-fast-path';
import { alertTopic } from './alert-topic';
import { addExecutionEndRule } from './execution-end-rule';
import { buildWorkflow } from './workflow-definition';

import { workflowTimeout } from './history-budget';
import { approvalStepsOf, DEFAULT_CONTROL_PERCENT, DEFAULT_PRE_TRAFFIC_RETRIES, historyInputsOf, postPromotionWatchOf } from './option-problems';
import { addAbortFastPath, addOperatorChannel, addOperatorOutputs, grantReadCommands, type OperatorChannel } from './operator-channel';
import { commandParameterName } from '../../lambda/shared/operator';
import { ApprovalTimeoutAction } from '../model-canary-options';
import { addCanaryDashboard, dashboardUrl } from './canary-dashboard';
import { VERDICT_RESOURCE_TYPE } from '../../lambda/shared/types';

/** The alert topic's display name is at most 100 characters: "Model canary " and the name. */
const MAX_CANARY_NAME = 100 - 'Model canary '.length;
/**
 * The release resource's wait for its routing to serve: CloudFormation gives a custom resource at
 * most 1 hour (the provider framework's documented maximum), and an endpoint takes minutes.
 * @see https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources.ProviderProps.html
 */
export const RELEASE_QUERY_INTERVAL = Duration.seconds(30);
export const RELEASE_TOTAL_TIMEOUT = Duration.hours(1);

export { optionProblems } from './option-problems';

export interface RolloutControllerProps {
  readonly options: ModelCanaryOptions;
  readonly binding: TargetBinding;
  /** The version this deploy publishes: the canary of the next rollout. */
  readonly canaryVersion: string;
}

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
  /** Where the CLI finds the canary and sends its commands. */
  public readonly channel: OperatorChannel;
  /** The canary's dashboard, unless `dashboard: false`. */
  public readonly dashboard?: cloudwatch.Dashboard;
  public readonly dashboardName?: string;
  public readonly dashboardUrl?: string;

  public readonly binding: TargetBinding;
  public readonly canaryName: string;
  private readonly guardContext: GuardContext;
  private readonly judged: JudgedGuardPlan[] = [];
  private readonly alpha: number;
  /** The judge's plan beyond its guards: the change detector's horizon and the promotion gate. */
  private readonly judgeSettings: Pick<JudgePlan, 'horizonMinutes' | 'promotionMargin'>;

  constructor(scope: Construct, id: string, props: RolloutControllerProps) {
    super(scope, id);
    const o = props.options;
    const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
    const checkInterval = o.checkInterval ?? Duration.seconds(30);
    const maxHold = o.maxHold ?? Duration.hours(6);
    const minRequests = o.minRequestsPerStep ?? 100;
    this.canaryName = o.canaryName ?? scope.node.id;
    this.binding = props.binding;


    // Alerts
    if (!Token.isUnresolved(this.canaryName) && this.canaryName.length > MAX_CANARY_NAME) {
      throw new Error(`${scope.constructor.name}: canaryName "${this.canaryName.slice(0, 40)}…" is ${this.canaryName.length} characters: give canaryName at most ${MAX_CANARY_NAME} (the alert topic is named "Model canary <canaryName>", at most 100 characters, and every guard alarm "<stack>-<canaryName>-<guard>", at most 255)`);
    }
    this.topic = o.alertTopic ?? alertTopic(this, this.canaryName);
    for (const email of o.alertEmails ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    if ((o.alertEmails ?? []).length > 0) {
      // https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html
      Annotations.of(this).addWarningV2(
        'cdk-model-canary:emailConfirmation',
        `alertEmails: each address gets a confirmation email from AWS Notifications after the deploy and receives no alert until it clicks "Confirm subscription"; SNS deletes a subscription left unconfirmed for 3 days (${(o.alertEmails ?? []).join(', ')})`,
      );
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
    // The framework's isComplete and timeout functions need a role other than onEvent's (CDK's rule).
    const waiterRole = new iam.Role(this, 'ReleaseWaiterRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `cdk-model-canary ${this.canaryName}: custom resource provider framework (isComplete, timeout)`,
    });
    providerLogs.grantWrite(waiterRole);
    const provider = new cr.Provider(this, 'ReleaseProvider', {
      onEventHandler: releaseFn,
      // The same function answers isComplete (lambda/shared/release-complete.ts): a deploy that
      // creates a SageMaker endpoint finishes only once it is InService, or fails with its reason.
      isCompleteHandler: releaseFn,
      queryInterval: RELEASE_QUERY_INTERVAL,
      totalTimeout: RELEASE_TOTAL_TIMEOUT,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
      frameworkCompleteAndTimeoutRole: waiterRole,
      // The waiter state machine logs every event (cdk-nag SF1); at most ~120 polls per deploy.
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: this.logGroup('ReleaseWaiterLogs', true), level: sfn.LogLevel.ALL },
    });
    traceWaiter(provider);
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
        // Take over a routing someone else made (see lambda/shared/ownership.ts).
        AdoptExisting: String(o.adoptExisting === true),
      },
    });
    this.stableVersion = this.release.getAttString('StableVersion');

    // Guards: each binds now (alarms, judge entries); everything that lists them reads them lazily,
    // so addGuard() after construction is as good as `guards`.
    const stackName = Stack.of(this).stackName;
    this.alpha = o.falseRollbackRate ?? DEFAULT_ALPHA;
    // The change detector spreads its prior over the minutes a healthy rollout is judged.
    const judgedSeconds = schedule.totalBake.toSeconds() + postPromotionWatchOf(o).toSeconds();
    this.judgeSettings = {
      horizonMinutes: Token.isUnresolved(judgedSeconds) ? 60 : Math.max(1, Math.ceil(judgedSeconds / 60)),
      promotionMargin: o.promotionMargin ?? DEFAULT_PROMOTION_MARGIN,
    };
    this.guards = new GuardAlarms(this, 'Guards', { namePrefix: `${stackName}-${this.canaryName}`, construct: scope.constructor.name, canaryName: this.canaryName });
    this.guardContext = {
      binding: props.binding,
      alarms: this.guards,
      canaryName: this.canaryName,
      stackName,
      canaryVersion: props.canaryVersion,
      stableVersion: this.stableVersion,
      signalsNamespace: o.signalsNamespace ?? SIGNAL_NAMESPACE,
      schedule,
    };
    for (const guard of o.guards ?? Guard.defaults()) this.addGuard(guard);
    this.node.addValidation({
      validate: () =>
        this.guards.allAlarmNames.length === 0
          ? [`${scope.constructor.name} ${this.canaryName} has no guard: a canary would be promoted on traffic alone; leave guards out for the default set, or give at least one (Guard.errorRate(), Guard.errorRateVsStable()...)`]
          : [],
    });

    const plan = {
      canaryName: this.canaryName,
      target: props.binding.targetConfig,
      steps: schedule.steps.map((s) => ({ percent: s.percent, bakeSeconds: s.bake.toSeconds(), ...(s.minBake ? { minBakeSeconds: s.minBake.toSeconds() } : {}) })),
      checkIntervalSeconds: checkInterval.toSeconds(),
      minRequestsPerStep: minRequests,
      insufficientTraffic: o.onInsufficientTraffic ?? InsufficientTrafficAction.HOLD,
      maxHoldSeconds: maxHold.toSeconds(),
      guardAlarmNames: Lazy.any({ produce: () => this.guards.allAlarmNames }),
      readCompositeAlarms: Lazy.any({ produce: () => this.guards.mayBeComposite }),
      versionScopedAlarmNames: Lazy.any({ produce: () => this.guards.versionScopedAlarmNames }),
      topicArn: this.topic.topicArn,
      judge: Lazy.any({ produce: () => this.judgePlan() }),
      stackName,
      commandParameter: commandParameterName(stackName, this.canaryName),
      approvalSteps: approvalStepsOf(o),
      approvalTimeoutSeconds: (o.approvalTimeout ?? Duration.hours(24)).toSeconds(),
      onApprovalTimeout: o.onApprovalTimeout ?? ApprovalTimeoutAction.ROLL_BACK,
      postPromotionWatchSeconds: postPromotionWatchOf(o).toSeconds(),
      // Only with judged guards (added later with addGuard() too): the control is for the judge.
      controlPercent: Lazy.number({ produce: () => (this.judged.length > 0 ? (o.controlPercent ?? DEFAULT_CONTROL_PERCENT) : 0) }),
      preTrafficChecks: (o.preTrafficChecks ?? []).map((c) => ({
        payload: c.payload,
        repeat: c.repeat ?? 1,
        expectResponseContains: c.expectResponseContains ?? '',
        retries: c.retries ?? DEFAULT_PRE_TRAFFIC_RETRIES,
      })),
    };

    this.stateMachine = buildWorkflow(this, plan, workflowTimeout(historyInputsOf(o)));

    // Release function: create/delete the routing, start and stop rollouts.
    props.binding.grantManageRouting(releaseFn);
    this.stateMachine.grantStartExecution(releaseFn);
    if (o.waitForVerdict) {
      // After the guard alarms (they must watch the new version before the rollout can start),
      // through the same provider: its isComplete waits for the rollout's end.
      const verdict = new CustomResource(this, 'Verdict', {
        serviceToken: provider.serviceToken,
        resourceType: VERDICT_RESOURCE_TYPE,
        properties: { ExecutionArn: this.release.getAttString('ExecutionArn'), StateMachineArn: this.stateMachine.stateMachineArn },
      });
      verdict.node.addDependency(this.guards);
      releaseFn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executionArnPattern(this.stateMachine)] }));
    }
    releaseFn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachine.stateMachineArn] }),
    );
    releaseFn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StopExecution'], resources: [executionArnPattern(this.stateMachine)] }),
    );
    this.topic.grantPublish(releaseFn);

    addAlarmFastPath(this, plan);
    addExecutionEndRule(this, plan);

    if (o.dashboard !== false) {
      // The live list of judged guards: guards added later with addGuard() appear too.
      this.dashboard = addCanaryDashboard(this, { judged: this.judged, alpha: this.alpha, stackName, canaryVersion: props.canaryVersion });
      this.dashboardName = this.dashboard.dashboardName;
      this.dashboardUrl = dashboardUrl(this.dashboard);
    }

    // The operator: the CLI's channel, abort at once through the fast path, the stack outputs.
    this.channel = addOperatorChannel(this);
    grantReadCommands(this.channel, this.handlers.check);
    grantReadCommands(this.channel, this.handlers.watch);
    if (plan.postPromotionWatchSeconds > 0) {
      // In the watch the fast path sends traffic back to the previous version: the running execution's input names it.
      this.handlers['on-alarm'].addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executionArnPattern(this.stateMachine)] }));
      // A revert that raced the end of the watch is alerted by the fast path itself.
      this.grantAlerts(this.handlers['on-alarm']);
    }
    addAbortFastPath(this, this.channel, this.handlers['on-alarm'], {
      canaryName: plan.canaryName,
      target: plan.target,
      versionScopedAlarmNames: plan.versionScopedAlarmNames,
      postPromotionWatchSeconds: plan.postPromotionWatchSeconds,
      topicArn: plan.topicArn,
    });
    addOperatorOutputs(this, this.channel, this.dashboardUrl);
    acknowledgeFindings(this);
  }

  /**
   * Adds a guard: an alarm guard's alarms now; a judged guard's plan entry and its evidence alarm
   * (threshold log10(1 / its share of alpha), rendered once every guard is known). @internal
   */
  public addGuard(guard: Guard): void {
    if (!(guard instanceof Guard) && typeof (guard as Partial<Guard> | undefined)?._bind !== 'function') {
      throw new Error(`${this.node.scope?.constructor.name}: a guard must be made by one of Guard's factories (Guard.errorRate(), Guard.fromAlarm(alarm)...), got ${guard === null ? 'null' : typeof guard}`);
    }
    this.guards.claim(guard.guardName);
    const { judged } = guard._bind(this.guards, this.guardContext);
    if (!judged) return;
    this.judged.push(judged);
    this.guards.addAlarm(judged.name, {
      metric: new cloudwatch.Metric({
        namespace: JUDGE_NAMESPACE,
        metricName: EVIDENCE_METRIC,
        dimensionsMap: {
          [EVIDENCE_DIMENSIONS.canary]: this.canaryName,
          [EVIDENCE_DIMENSIONS.stack]: this.guardContext.stackName,
          [EVIDENCE_DIMENSIONS.guard]: judged.name,
          [EVIDENCE_DIMENSIONS.version]: this.guardContext.canaryVersion,
        },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: Lazy.number({ produce: () => evidenceThreshold({ alpha: this.alpha, guards: this.judged }, judged.name) }),
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      minutes: 1,
      description: `the check step's evidence that ${judged.description}`,
      // The judge publishes it only while it reads data: the workflow must not wait for a datapoint.
      versionScoped: false,
    });
  }

  /** The plan's judge: every judged guard, alpha and the evidence dimensions; null without one. */
  private judgePlan(): JudgePlan | null {
    if (this.judged.length === 0) return null;
    return { alpha: this.alpha, guards: [...this.judged], canaryName: this.canaryName, stackName: this.guardContext.stackName, ...this.judgeSettings };
  }

  /** One workflow handler: its own role, its own log group, the prebuilt bundle. @internal */
  public handler(name: string, id: string, timeout = Duration.seconds(90)): lambda.Function {
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

  /**
   * A log group of the library's. `vended` for logs an AWS service delivers (the state machine's):
   * those need the CloudWatch Logs resource policy, limited to 5,120 characters, unless the name
   * starts with /aws/vendedlogs/ (https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).
   * The name carries the construct path's hash, so a renamed construct never collides with a
   * retained old group. @internal
   */
  public logGroup(id: string, vended = false): logs.LogGroup {
    const logGroupName = vended
      ? `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-${id}`
      : undefined;
    // A named group retained after a stack delete would make the next deploy of the same stack fail
    // ("already exists"): named groups go with the stack, generated names are retained.
    return new logs.LogGroup(this, id, {
      logGroupName,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: vended ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
  }

  /** @internal */
  public grantAlerts(fn: lambda.IFunction): void {
    this.topic.grantPublish(fn);
  }
}

/**
 * X-Ray tracing for the provider's waiter state machine (cdk-nag SF2): cr.Provider has no option
 * for it, so its L1 property is set, with the permissions Step Functions needs to send traces.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/procedure-enable-xray-tracing.html
 */
function traceWaiter(provider: cr.Provider): void {
  const waiter = provider.node.tryFindChild('waiter-state-machine');
  const resource = waiter?.node.tryFindChild('Resource');
  const role = waiter?.node.tryFindChild('Role') as iam.Role | undefined;
  if (!(resource instanceof sfn.CfnStateMachine) || !role) throw new Error('cdk-model-canary: aws-cdk-lib\'s Provider no longer has its waiter state machine at waiter-state-machine/Resource and /Role: update traceWaiter');
  resource.tracingConfiguration = { enabled: true };
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      resources: ['*'],
    }),
  );
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
