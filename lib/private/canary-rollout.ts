import { ArnFormat, CustomResource, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { InsufficientTrafficAction, type ModelCanaryOptions } from '../model-canary-options';
import { RolloutSchedule } from '../rollout-schedule';
import { DEFAULT_ALPHA, DEFAULT_PROMOTION_MARGIN, EVIDENCE_DIMENSIONS, EVIDENCE_METRIC, evidenceThreshold, JUDGE_NAMESPACE, type JudgedGuardPlan, type JudgePlan } from '../../lambda/shared/judge-plan';
import { commandParameterName } from '../../lambda/shared/operator';
import { VERDICT_RESOURCE_TYPE } from '../../lambda/shared/types';
import { SIGNAL_NAMESPACE } from '../../runtime/signal-names';
import { Guard } from '../guards/guard';
import { ApprovalTimeoutAction } from '../model-canary-options';
import { addAlertEmails } from './alert-emails';
import { addCanaryDashboard, dashboardUrl } from './canary-dashboard';
import type { CanaryHost } from './canary-host';
import { GuardAlarms } from './guard-alarms';
import type { GuardContext } from './guard-kit';
import { workflowTimeout } from './history-budget';
import { acknowledgeCanaryFindings } from './nag-acknowledgements';
import { addOperatorChannel, addOperatorOutputs, type OperatorChannel } from './operator-channel';
import { approvalStepsOf, DEFAULT_CONTROL_PERCENT, DEFAULT_PRE_TRAFFIC_RETRIES, historyInputsOf, postPromotionWatchOf } from './option-problems';
import { StackController } from './stack-controller';
import type { TargetBinding } from './target-binding';
import { buildWorkflow, type WorkflowPlan } from './workflow-definition';

export { optionProblems } from './option-problems';

export interface CanaryRolloutProps {
  readonly options: ModelCanaryOptions;
  readonly binding: TargetBinding;
  /** The version this deploy publishes: the canary of the next rollout. */
  readonly canaryVersion: string;
}

/**
 * What a canary has of its own: its guard alarms, its rollout workflow, its release custom resource,
 * its operator parameters and dashboard. Everything else (the step and release functions, the fast
 * paths' rules, the alert topic) it shares with every canary of its stack (stack-controller.ts),
 * whose roles get statements naming this canary's own routing, alarms, parameters and workflow.
 */
export class CanaryRollout extends Construct implements CanaryHost {
  public readonly topic: sns.ITopic;
  public readonly stateMachine: sfn.StateMachine;
  public readonly guards: GuardAlarms;
  public readonly stableVersion: string;
  public readonly release: CustomResource;
  /** Where the CLI finds the canary and sends its commands. */
  public readonly channel: OperatorChannel;
  public readonly dashboard?: cloudwatch.Dashboard;
  public readonly dashboardName?: string;
  public readonly dashboardUrl?: string;
  public readonly binding: TargetBinding;
  public readonly canaryName: string;
  public readonly shared: StackController;
  public readonly plan: WorkflowPlan;
  /**
   * The workflow's ARN built from its name, not a reference to it: the shared roles' statements
   * name it, and a reference would make the workflow (whose role invokes the steps function) and
   * the steps function's policy depend on each other (CloudFormation rejects the cycle).
   */
  public readonly stateMachineArn: string;
  /** The workflow's name, as a literal (see stateMachineArn). */
  public readonly stateMachineName: string;
  private readonly guardContext: GuardContext;
  private readonly judged: JudgedGuardPlan[] = [];
  private readonly alpha: number;
  /** The judge's plan beyond its guards: the change detector's horizon and the promotion gate. */
  private readonly judgeSettings: Pick<JudgePlan, 'horizonMinutes' | 'promotionMargin'>;

  constructor(scope: Construct, id: string, props: CanaryRolloutProps) {
    super(scope, id);
    const o = props.options;
    const schedule = o.schedule ?? RolloutSchedule.GRADUAL_5_25_50_100;
    this.canaryName = o.canaryName ?? scope.node.id;
    this.binding = props.binding;
    // canaryName was checked with the other options (optionProblems), before anything was built.
    this.shared = StackController.of(this);
    const shared = this.shared;

    // Alerts: the stack's topic unless the canary brings its own; each address subscribed once per
    // topic, filtered to the canaries that list it (the alerts carry a `canary` message attribute).
    this.topic = o.alertTopic ?? shared.topic;
    addAlertEmails(this, this.topic, o.alertEmails ?? []);

    // Release custom resource: owns the routing; its StableVersion scopes the relative guards. The
    // id is "Routing", not the 0.1 layout's "Release": its service token changed (the stack's
    // provider), which CloudFormation does not update in place, so a new resource takes the routing
    // over (lambda/shared/ownership.ts) and the old one leaves it when it is deleted.
    const stateMachineName = shared.stateMachineName(this.canaryName);
    const stateMachineArn = Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.stateMachineArn = stateMachineArn;
    this.stateMachineName = stateMachineName;
    this.release = new CustomResource(this, 'Routing', {
      serviceToken: shared.provider.serviceToken,
      resourceType: 'Custom::ModelCanaryRelease',
      properties: {
        CanaryName: this.canaryName,
        Target: props.binding.targetConfig,
        TopicArn: this.topic.topicArn,
        StateMachineArn: stateMachineArn,
        Version: props.canaryVersion,
        // Take over a routing someone else made (see lambda/shared/ownership.ts).
        AdoptExisting: String(o.adoptExisting === true),
        ...(props.binding.versionContent !== undefined ? { VersionContent: props.binding.versionContent } : {}),
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
    shared.addCanary(this.canaryName, this.guards);
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
          ? [`${scope.node.path} has no guard: a canary would be promoted on traffic alone; leave guards out for the default set, or give at least one (Guard.errorRate(), Guard.errorRateVsStable()...)`]
          : [],
    });

    const checkInterval = o.checkInterval ?? Duration.seconds(30);
    this.plan = {
      canaryName: this.canaryName,
      target: props.binding.targetConfig,
      steps: schedule.steps.map((s) => ({ percent: s.percent, bakeSeconds: s.bake.toSeconds(), ...(s.minBake ? { minBakeSeconds: s.minBake.toSeconds() } : {}) })),
      checkIntervalSeconds: checkInterval.toSeconds(),
      minRequestsPerStep: o.minRequestsPerStep ?? 100,
      insufficientTraffic: o.onInsufficientTraffic ?? InsufficientTrafficAction.HOLD,
      maxHoldSeconds: (o.maxHold ?? Duration.hours(6)).toSeconds(),
      guardAlarmNames: Lazy.list({ produce: () => this.guards.allAlarmNames }),
      readCompositeAlarms: Lazy.any({ produce: () => this.guards.mayBeComposite }) as unknown as boolean,
      versionScopedAlarmNames: Lazy.list({ produce: () => this.guards.versionScopedAlarmNames }),
      topicArn: this.topic.topicArn,
      judge: Lazy.any({ produce: () => this.judgePlan() }) as unknown as JudgePlan | null,
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
    this.stateMachine = buildWorkflow(this, this.plan, stateMachineName, workflowTimeout(historyInputsOf(o)));
    // The release resource names the workflow by its ARN (built from its name): a deploy that starts a rollout needs it to exist.
    this.release.node.addDependency(this.stateMachine);

    if (o.waitForVerdict) {
      // After the guard alarms (they must watch the new version before the rollout can start),
      // through the same provider: its isComplete waits for the rollout's end.
      const verdict = new CustomResource(this, 'Verdict', {
        serviceToken: shared.provider.serviceToken,
        resourceType: VERDICT_RESOURCE_TYPE,
        properties: { ExecutionArn: this.release.getAttString('ExecutionArn'), StateMachineArn: this.stateMachine.stateMachineArn },
      });
      verdict.node.addDependency(this.guards);
    }

    if (o.dashboard !== false) {
      // The live list of judged guards: guards added later with addGuard() appear too.
      this.dashboard = addCanaryDashboard(this, { judged: this.judged, alpha: this.alpha, stackName, canaryVersion: props.canaryVersion });
      this.dashboardName = this.dashboard.dashboardName;
      this.dashboardUrl = dashboardUrl(this.dashboard);
    }
    this.channel = addOperatorChannel(this);
    this.grantShared(o);
    addOperatorOutputs(this, this.channel, this.dashboardUrl);
    acknowledgeCanaryFindings(this, {
      steps: this.shared.steps,
      release: this.shared.release,
      wildcardGrants: this.binding.wildcardGrants,
      executions: this.shared.executionArns(this.stateMachineName),
    });
  }

  /**
   * Adds a guard: an alarm guard's alarms now; a judged guard's plan entry and its evidence alarm
   * (threshold log10(1 / its share of alpha), rendered once every guard is known). @internal
   */
  public addGuard(guard: Guard): void {
    if (!(guard instanceof Guard) && typeof (guard as Partial<Guard> | undefined)?._bind !== 'function') {
      throw new Error(`${this.node.scope?.node.path}: a guard must be made by one of Guard's factories (Guard.errorRate(), Guard.fromAlarm(alarm)...), got ${guard === null ? 'null' : typeof guard}`);
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

  /**
   * The stack's shared functions get statements naming this canary's own resources: its routing,
   * alarms, parameters, workflow and executions, and its alert topic.
   */
  private grantShared(o: ModelCanaryOptions): void {
    const { steps, release } = this.shared;
    const b = this.binding;
    const executions = this.shared.executionArns(this.stateMachineName);

    // The workflow's steps and the fast paths.
    b.grantReadRouting(steps);
    b.grantPrepare(steps);
    b.grantShiftTraffic(steps);
    if ((o.preTrafficChecks ?? []).length > 0) b.grantInvokeCanary(steps);
    this.guards.grantRead(steps);
    this.topic.grantPublish(steps);
    steps.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [this.channel.commands.parameterArn] }));
    // The fast paths find the rollout in flight; in the watch they read its release.
    steps.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachineArn] }));
    if ((this.plan.postPromotionWatchSeconds ?? 0) > 0) {
      steps.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    }

    // The release resource: create and delete the routing, start and stop rollouts.
    b.grantManageRouting(release);
    release.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.stateMachineArn] }));
    this.topic.grantPublish(release);
    release.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachineArn] }));
    const stop = ['states:StopExecution', ...(this.node.tryFindChild('Verdict') ? ['states:DescribeExecution'] : [])];
    release.addToRolePolicy(new iam.PolicyStatement({ actions: stop, resources: [executions] }));
  }
}
