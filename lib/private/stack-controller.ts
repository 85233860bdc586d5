import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import { JUDGE_NAMESPACE } from '../../lambda/shared/judge-plan';
import { PARAMETER_ROOT, parameterSegment } from '../../lambda/shared/operator';
import { alertTopic } from './alert-topic';
import { handlerCode } from './handler-code';
import { acknowledgeSharedFindings } from './nag-acknowledgements';
import type { GuardAlarms } from './guard-alarms';
import { addSharedRules, type SharedRules } from './shared-rules';

/** The construct id of the controller every canary of a stack shares (public contract: its resources' logical ids derive from it). */
export const STACK_CONTROLLER_ID = 'ModelCanaryController';

/**
 * The release resource's wait for its routing to serve: CloudFormation gives a custom resource at
 * most 1 hour (the provider framework's documented maximum), and an endpoint takes minutes.
 * @see https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources.ProviderProps.html
 */
export const RELEASE_QUERY_INTERVAL = Duration.seconds(30);
export const RELEASE_TOTAL_TIMEOUT = Duration.hours(1);

/** State machine names are at most 80 characters of [A-Za-z0-9-_] (CreateStateMachine). */
const MAX_STATE_MACHINE_NAME = 80;

/**
 * What every canary of one stack shares: the function that runs the workflow steps and the fast
 * paths, the function that serves the release custom resource (and its provider), the alert topic
 * and key (unless a canary brings its own topic), the EventBridge rules of the fast paths, the
 * role and log group of the rollout workflows. Per canary stays only what is its own: its
 * workflow, guard alarms, command parameters, release resource and dashboard
 * (lib/private/canary-rollout.ts). One function for every step, not one per step: 11 step
 * functions cost 44 resources a stack, and the steps of a workflow share one least-privilege role
 * anyway (each statement names the canaries' own alias, endpoint, alarms and parameters).
 */
export class StackController extends Construct {
  /** The controller of `scope`'s stack, created by the first canary. */
  public static of(scope: IConstruct): StackController {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(STACK_CONTROLLER_ID);
    if (existing instanceof StackController) return existing;
    if (existing) throw new Error(`${stack.node.path}: the construct id "${STACK_CONTROLLER_ID}" is taken by another construct; cdk-model-canary keeps the canaries' shared resources there, rename that construct`);
    return new StackController(stack, STACK_CONTROLLER_ID);
  }

  /** Runs every workflow step and the fast paths (alarm, operator, execution end). */
  public readonly steps: lambda.Function;
  /** Serves the release and verdict custom resources (through `provider`). */
  public readonly release: lambda.Function;
  public readonly provider: cr.Provider;
  /** Every canary's workflow assumes this role: it invokes `steps`, logs and traces. */
  public readonly workflowRole: iam.Role;
  /** The log group of the functions, the workflows and the provider framework. */
  public readonly logGroup: logs.LogGroup;
  /** Where the canaries' descriptor and command parameters live (`/cdk-model-canary/<stack>`). */
  public readonly parameterPath: string;
  /** Every state machine name of this stack's canaries starts with this. */
  public readonly stateMachinePrefix: string;
  public readonly rules: SharedRules;
  private sharedTopic?: sns.Topic;
  private readonly canaryNames: string[] = [];
  private readonly guardRegistries: GuardAlarms[] = [];

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.parameterPath = `${PARAMETER_ROOT}/${parameterSegment(stack.stackName)}`;
    this.stateMachinePrefix = `ModelCanary-${shortName(stack.stackName, 30)}-`;

    // Named under /aws/vendedlogs/ so the workflows' log delivery needs no CloudWatch Logs resource
    // policy (limited to 5,120 characters): https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html
    // A named group retained after a stack delete would fail the stack's next create: it goes with the stack.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`,
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.steps = this.fn('steps', 'Steps', Duration.minutes(5), 'workflow steps and fast paths of every canary in the stack');
    this.release = this.fn('release', 'Release', Duration.minutes(2), 'release and verdict custom resources of every canary in the stack');

    // GetMetricData has no resource-level permissions; PutMetricData neither, so the condition key
    // cloudwatch:namespace limits the judge's evidence to its namespace.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    this.steps.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    this.steps.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': JUDGE_NAMESPACE } } }),
    );
    // The fast paths find the canary an alarm, a command or an execution belongs to by its descriptor.
    this.steps.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: this.parameterPath.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
      }),
    );

    const providerRole = this.role('ReleaseProviderRole', 'lambda.amazonaws.com', 'custom resource provider framework');
    // The framework's isComplete and timeout functions need a role other than onEvent's (CDK's rule).
    const waiterRole = this.role('ReleaseWaiterRole', 'lambda.amazonaws.com', 'custom resource provider framework (isComplete, timeout)');
    this.provider = new cr.Provider(this, 'ReleaseProvider', {
      onEventHandler: this.release,
      // The same function answers isComplete (lambda/shared/release-complete.ts): a deploy that
      // creates a SageMaker endpoint finishes only once it is InService, or fails with its reason.
      isCompleteHandler: this.release,
      queryInterval: RELEASE_QUERY_INTERVAL,
      totalTimeout: RELEASE_TOTAL_TIMEOUT,
      logGroup: this.logGroup,
      frameworkOnEventRole: providerRole,
      frameworkCompleteAndTimeoutRole: waiterRole,
      // The waiter state machine logs every event (cdk-nag SF1); at most ~120 polls per deploy.
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: this.logGroup, level: sfn.LogLevel.ALL },
    });
    traceWaiter(this.provider);

    this.workflowRole = this.role('WorkflowRole', 'states.amazonaws.com', 'rollout workflows');
    this.rules = addSharedRules(this);
    acknowledgeSharedFindings(this);
  }

  /** Registers a canary (its name is unique in the stack: the canary constructs check that). */
  public addCanary(canaryName: string, guards: GuardAlarms): void {
    this.canaryNames.push(canaryName);
    this.guardRegistries.push(guards);
  }

  /** The user's alarms (Guard.fromAlarm) of every canary, as the alarm rule's pattern names them. */
  public get additionalAlarmNames(): string[] {
    return this.guardRegistries.flatMap((g) => g.additionalAlarms.map((a) => a.alarmName));
  }

  /** The stack's alert topic, encrypted with its own key; created with the first canary that uses it. */
  public get topic(): sns.Topic {
    if (!this.sharedTopic) this.sharedTopic = alertTopic(this, `Model canaries of ${Stack.of(this).stackName}`, `the alert topic of the model canaries in stack ${Stack.of(this).stackName}`);
    return this.sharedTopic;
  }

  /** The name of a canary's workflow: the stack's prefix and the canary's name, within 80 characters. */
  public stateMachineName(canaryName: string): string {
    const room = MAX_STATE_MACHINE_NAME - this.stateMachinePrefix.length;
    return `${this.stateMachinePrefix}${shortName(canaryName, room)}`;
  }

  /** The ARN pattern of every execution of one workflow. */
  public executionArns(stateMachineName: string): string {
    return Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** Every canary registered so far (lazily read by the rules and the nag acknowledgements). */
  public get canaries(): readonly string[] {
    return this.canaryNames;
  }

  private fn(name: string, id: string, timeout: Duration, what: string): lambda.Function {
    const role = this.role(`${id}Role`, 'lambda.amazonaws.com', `${name} function`);
    this.logGroup.grantWrite(role);
    const fn = new lambda.Function(this, id, {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      code: handlerCode(name),
      handler: 'index.handler',
      role,
      timeout,
      memorySize: 256,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // sim/ and the CLI read this: "cdk-model-canary: <entry>".
      description: `cdk-model-canary: ${name} (${what})`,
    });
    fn.node.addDependency(role);
    return fn;
  }

  private role(id: string, service: string, what: string): iam.Role {
    return new SharedRole(this, id, {
      assumedBy: new iam.ServicePrincipal(service),
      description: `cdk-model-canary ${Stack.of(this).stackName}: ${what}`,
    });
  }
}

/**
 * A role every canary of the stack adds statements to: its default policy merges statements with
 * the same actions (CDK's minimizePolicies, whatever the app's feature flags say), so a canary adds
 * its resource ARNs, not whole statements. Past IAM's 10,240 characters of inline policy a role,
 * CDK moves the rest into managed policies (Role.splitLargePolicy).
 */
class SharedRole extends iam.Role {
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const self = this as unknown as { defaultPolicy?: iam.Policy };
    if (!self.defaultPolicy) {
      if (this.node.tryFindChild('DefaultPolicy')) throw new Error('cdk-model-canary: aws-cdk-lib\'s Role keeps its default policy elsewhere now: update SharedRole');
      self.defaultPolicy = new iam.Policy(this, 'DefaultPolicy', { document: new iam.PolicyDocument({ minimize: true }) });
      this.attachInlinePolicy(self.defaultPolicy);
    }
    return super.addToPrincipalPolicy(statement);
  }
}

/**
 * `name` within `max` characters of [A-Za-z0-9-_]: as it is when it fits, else its start and a hash
 * of the whole (so two long names that share a start stay apart).
 */
export function shortName(name: string, max: number): string {
  if (Token.isUnresolved(name)) throw new Error('cdk-model-canary: a stack or canary name must be known at synth time (it names the rollout workflow)');
  const clean = name.replace(/[^A-Za-z0-9_-]/g, '-');
  if (clean.length <= max) return clean;
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const suffix = hash.toString(36).padStart(7, '0').slice(0, 7);
  return `${clean.slice(0, max - suffix.length - 1)}-${suffix}`;
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
