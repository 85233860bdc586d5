import { isCompleteRequest, isProviderWaiter, playWaiter, waiterPolicy } from './provider-framework';
import './polyfills';
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateAliasCommand,
  DeleteAliasCommand,
  GetFunctionConfigurationCommand,
  GetAliasCommand,
  InvokeCommand,
  type InvokeCommandInput,
  type InvokeCommandOutput,
  LambdaClient,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import {
  AddTagsCommand,
  DeleteTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import {
  InvokeEndpointCommand,
  type InvokeEndpointCommandInput,
  type InvokeEndpointCommandOutput,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import type { AlarmState } from './alarm-evaluation';
import { awsError, type FaultKind, faultError, type ServiceName } from './aws-errors';
import { BedrockGuardrailsSim, type GuardrailVersions, guardrailVersionsOf } from './bedrock';
import { VirtualClock } from './clock';
import { type AlarmDefinition, type AlarmRecord, type AlarmTransition, alarmArn, CloudWatchSim } from './cloudwatch';
import { type CompositeAlarmDefinition, type CompositeAlarmRecord, CompositeAlarmSim } from './composite-alarms';
import { compositeAlarmEvent, executionStatusEvent } from './service-events';
import { type BusEvent, type Delivery, EventBridgeSim, type RuleDefinition } from './eventbridge';
import { FaultInjector } from './faults';
import { assertRegistryComplete, type Handler, HANDLERS, handlerOf, type LambdaErrorPayload, lambdaErrorPayload } from './handlers';
import { type AliasChange, type AliasState, type FunctionRecord, LambdaSim } from './lambda';
import { type MetricId, MetricStore } from './metrics';
import { Random } from './random';
import { type EndpointChange, type EndpointRecord, invocationMetrics, SageMakerSim, type SageMakerTimings } from './sagemaker';
import { type PublishedMessage, SnsSim } from './sns';
import { type ExecutionRecord, type ExecutionStatus, StepFunctionsSim, stateMachineArn, type WorkflowEvent } from './stepfunctions';
import {
  ACCOUNT,
  type CfnResource,
  type CfnTemplate,
  IntrinsicResolver,
  PARTITION,
  type PhysicalIds,
  REGION,
  resourcesOfType,
  type SynthesizedStack,
  synthesizeExampleStack,
} from './template';
import { defaultResponse, type RequestSignals, type Scenario, TrafficModel } from './traffic';

export interface SimWorldOptions {
  readonly scenario?: Scenario;
  /** Seeds traffic, errors, latencies, ids and retry jitter. */
  readonly seed?: number;
  /** Virtual start time (ISO string or epoch ms). */
  readonly startTime?: string | number;
  /** Extra delay after a minute ends before its Lambda metrics are queryable (default 0: visible at the minute's end). */
  readonly metricPublishDelaySeconds?: number;
  /** Seconds after a period ends at which CloudWatch evaluates alarms (default 0). */
  readonly alarmEvaluationOffsetSeconds?: number;
  /** Seconds from an event (alarm state change) to its target's invocation (default 2). */
  readonly eventDeliveryDelaySeconds?: number;
  /** Seconds CloudFormation takes from the release custom resource to updating the alarms that depend on it (default 10). */
  readonly cfnDependentsDelaySeconds?: number;
  /** Virtual latency of every Lambda invocation of a handler, in ms (default 100). */
  readonly invokeLatencyMs?: number;
  /**
   * Virtual latency of every AWS API call a handler makes, in ms (default 20). Non-zero latency lets
   * concurrent invocations interleave at API-call granularity, as real ones do.
   */
  readonly apiLatencyMs?: number;
  /**
   * Attempts the handlers' SDK clients make per call, as SDK v3's standard retry mode does for
   * throttling, transient and 5xx errors (exponential backoff with full jitter: 100 ms base, 500 ms
   * for throttling, at most 20 s). Default 3, the SDK's default; 1 turns client retries off.
   * aws-sdk-client-mock replaces the client's send() and with it the SDK's own retry middleware,
   * so the simulator does the retrying.
   */
  readonly sdkMaxAttempts?: number;
  /** Virtual delay before a simulated client timeout fails, in ms (default 3000). */
  readonly timeoutFaultMs?: number;
  /** Extra periods CloudWatch retrieves beyond EvaluationPeriods (default 2). */
  readonly evaluationRangeExtra?: number;
  /** Print handler logs instead of capturing them in `world.logs`. */
  readonly printLogs?: boolean;
  /**
   * The canary to simulate (its CanaryName), when the stack has several: a Lambda-alias canary or a
   * SageMaker-endpoint canary. Resources that belong only to other canaries (their release resource
   * and the alarms that read it) are not deployed. Default: the first Lambda-alias canary (the first
   * SageMaker one when the stack has no Lambda-alias canary).
   */
  readonly canaryName?: string;
  /** How long SageMaker endpoint operations stay Creating/Updating/Deleting, in virtual seconds (see SageMakerTimings). */
  readonly sageMaker?: Partial<SageMakerTimings>;
  /** Replaces handlers by name (what-if runs: a broken fast path, a slow step). The real code runs otherwise. */
  readonly handlers?: Readonly<Record<string, Handler>>;
}

export interface ApiCall {
  readonly at: number;
  readonly service: ServiceName;
  readonly operation: string;
  /** The handler that made the call. */
  readonly caller?: string;
  /** 1 for the first try, 2.. for the SDK's own retries. */
  readonly attempt: number;
  readonly error?: string;
}

export interface Invocation {
  readonly at: number;
  readonly functionName: string;
  readonly handler: string;
  readonly async: boolean;
  readonly attempt: number;
  readonly input: unknown;
  endedAt?: number;
  result?: unknown;
  error?: LambdaErrorPayload;
}

export interface LogLine {
  readonly at: number;
  readonly caller?: string;
  readonly text: string;
}

export interface Alert {
  readonly at: number;
  readonly subject?: string;
  /** The `event` field of the alert body (STARTED, STEP, ...). */
  readonly event?: string;
  readonly body: Record<string, unknown> | undefined;
  readonly by?: string;
}

export interface AliasSnapshot {
  readonly at: number;
  readonly operation: AliasChange['operation'];
  readonly by?: string;
  readonly functionVersion?: string;
  readonly weights: Readonly<Record<string, number>>;
  /** The additional version's share, in percent (0 without one). */
  readonly extraPercent: number;
  readonly extraVersion?: string;
}

export interface DeployResult {
  readonly version: string;
  readonly requestType?: 'Create' | 'Update';
  /** The release custom resource's Data.Action. */
  readonly action?: string;
  /** The execution this deploy started, if any. */
  readonly executionArn?: string;
}

export interface RunResult {
  readonly status: ExecutionStatus;
  readonly error?: string;
  readonly cause?: string;
  readonly output?: unknown;
  readonly execution: ExecutionRecord;
  readonly alerts: Alert[];
  readonly aliasHistory: AliasSnapshot[];
  /** Every change of the SageMaker endpoint (API calls and their completion), oldest first; empty for a Lambda canary. */
  readonly endpointHistory: EndpointChange[];
  readonly events: WorkflowEvent[];
  readonly alarmTransitions: AlarmTransition[];
  readonly invocations: Invocation[];
  /** Virtual ms from the start of the execution to its end (or to the end of the run). */
  readonly durationMs: number;
  /** Real ms the run took. */
  readonly realMs: number;
}

export class DeployError extends Error {
  public readonly name = 'DeployError';
  constructor(
    message: string,
    public readonly handlerError?: LambdaErrorPayload,
  ) {
    super(message);
  }
}

const DEFAULT_START = '2026-03-02T09:00:00Z';
/** Step Functions' limit on a state's input or output: 256 KiB of UTF-8. */
const MAX_STATE_PAYLOAD = 256 * 1024;
const MINUTE = 60_000;

/**
 * A simulated AWS account running one synthesized stack: the real handler code, the synthesized
 * state machine (run by aws-local-stepfunctions), CloudWatch metrics and alarms, EventBridge, SNS and
 * Lambda aliases, all on one virtual clock. The SDK clients the handlers create are intercepted
 * with aws-sdk-client-mock and routed to the simulators.
 *
 * One world at a time (it owns the global clock); call dispose() when done.
 */
export class SimWorld {
  public readonly clock: VirtualClock;
  public readonly random: Random;
  public readonly faults = new FaultInjector();
  public readonly metrics: MetricStore;
  public readonly lambda: LambdaSim;
  public readonly sagemaker: SageMakerSim;
  public readonly cloudwatch: CloudWatchSim;
  public readonly compositeAlarms: CompositeAlarmSim;
  public readonly sns: SnsSim;
  public readonly events: EventBridgeSim;
  public readonly sfn: StepFunctionsSim;
  public readonly traffic: TrafficModel;
  public readonly bedrock: BedrockGuardrailsSim;
  public readonly template: CfnTemplate;
  public readonly stackName: string;
  public readonly startMs: number;
  public readonly apiCalls: ApiCall[] = [];
  public readonly invocations: Invocation[] = [];
  public readonly logs: LogLine[] = [];
  /** Requests served through the model's alias, per version. */
  public readonly served = new Map<string, { requests: number; errors: number }>();

  private readonly options: SimWorldOptions;
  private readonly resolver: IntrinsicResolver;
  private readonly caller = new AsyncLocalStorage<{ fn: string }>();
  private readonly mocks: { restore(): void }[] = [];
  private readonly versionsByLogicalId = new Map<string, string>();
  private readonly customResources = new Map<string, { physicalId: string; data: Record<string, unknown>; properties: unknown }>();
  private readonly functionsByLogicalId = new Map<string, FunctionRecord>();
  private readonly restoreGlobals: (() => void)[] = [];
  private readonly model: ModelTarget;
  /** The model name each AWS::SageMaker::Model has now (what `deploy` last gave it). */
  private readonly modelNamesByLogicalId = new Map<string, string>();
  private pendingAsync = 0;
  private statusEvents = 0;
  private disposed = false;

  /** The example app (bin/example-stack.ts), synthesized once per process. */
  public static fromExampleApp(options: SimWorldOptions = {}): SimWorld {
    return new SimWorld(synthesizeExampleStack(), options);
  }

  public static fromStack(stack: SynthesizedStack, options: SimWorldOptions = {}): SimWorld {
    return new SimWorld(stack, options);
  }

  constructor(stack: SynthesizedStack, options: SimWorldOptions = {}) {
    assertRegistryComplete();
    this.options = options;
    this.template = stack.template;
    this.stackName = stack.stackName;
    this.random = new Random(options.seed ?? 1);
    const start = options.startTime ?? DEFAULT_START;
    this.startMs = typeof start === 'number' ? start : Date.parse(start);
    process.env.AWS_REGION ??= REGION;
    this.clock = new VirtualClock(this.startMs);
    try {
      const now = () => this.clock.now();
      this.installGlobals();
      this.metrics = new MetricStore((options.metricPublishDelaySeconds ?? 0) * 1000);
      this.lambda = new LambdaSim(this.random, now);
      this.sagemaker = new SageMakerSim(this.random, now, options.sageMaker);
      this.cloudwatch = new CloudWatchSim(this.metrics, now, (a, t, p) => this.onAlarmTransition(a, t, p), {
        evaluationRangeExtra: options.evaluationRangeExtra,
      });
      this.compositeAlarms = new CompositeAlarmSim(now, (name) => this.cloudwatch.alarms.get(name)?.state, (a, p) => this.onCompositeTransition(a, p));
      this.sns = new SnsSim(this.random, now);
      this.events = new EventBridgeSim(now, (d) => this.deliver(d));
      this.sfn = new StepFunctionsSim(now, (arn, input, state) => this.runTask(arn, input, state), (e) => this.onExecutionStatus(e));
      this.traffic = new TrafficModel(options.scenario ?? { requestsPerSecond: 0 }, this.random, this.startMs);
      this.resolver = new IntrinsicResolver(this.template, this.stackName, this.physicalIds());
      this.bedrock = new BedrockGuardrailsSim(this.metrics, () => this.bedrockGuardrail(), options.scenario?.guardrailVersions);
      this.createResources();
      this.model = this.findModelTarget();
      this.wireMocks();
      this.startBackgroundProcesses();
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  // ---------------------------------------------------------------- public API

  public now(): number {
    return this.clock.now();
  }

  /** Virtual minutes since the world started. */
  public minutes(at = this.now()): number {
    return (at - this.startMs) / MINUTE;
  }

  /** The model's alias as it is now. */
  public alias(): AliasState | undefined {
    return this.lambda.alias(this.model.functionName, this.model.aliasName);
  }

  public get modelFunctionName(): string {
    return this.model.functionName;
  }

  public get aliasName(): string {
    return this.model.aliasName;
  }

  /** What the simulated canary routes: a Lambda alias or a SageMaker endpoint. */
  public get targetKind(): ModelTarget['kind'] {
    return this.model.kind;
  }

  /** The SageMaker canary's endpoint name ('' for a Lambda canary). */
  public get endpointName(): string {
    return this.model.endpointName ?? '';
  }

  /** The SageMaker canary's endpoint as it is now (undefined for a Lambda canary or before the first deploy). */
  public endpoint(): EndpointRecord | undefined {
    return this.model.endpointName ? this.sagemaker.endpoint(this.model.endpointName) : undefined;
  }

  /** Every change of the SageMaker canary's endpoint, oldest first. */
  public endpointHistory(): EndpointChange[] {
    return this.sagemaker.history.filter((c) => c.endpointName === this.model.endpointName);
  }

  /**
   * One CloudFormation deploy of the stack with the model function at `version` (for a SageMaker
   * canary: the model named `version`, which CloudFormation creates): publishes the
   * version, updates the state machine, sends Create/Update to the release custom resource (the
   * real release handler; it may start a rollout), then, after `cfnDependentsDelaySeconds` of
   * virtual time, updates the resources that depend on the release (the guard alarms).
   */
  public async deploy(version: string): Promise<DeployResult> {
    const before = new Set(this.sfn.executions.keys());
    this.bedrock.deployed(version);
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::Lambda::Version')) {
      const fn = this.functionFor(resource.Properties?.FunctionName);
      if (fn.name !== this.model.functionName) continue;
      this.lambda.publishVersion(fn.name, version);
      this.versionsByLogicalId.set(logicalId, version);
    }
    if (this.model.kind === 'sagemaker-endpoint') {
      if (!this.model.modelLogicalId) {
        throw new Error(`${this.model.canaryName}: the release resource's Version is not the ModelName of an AWS::SageMaker::Model`);
      }
      this.sagemaker.addModel(version);
      this.modelNamesByLogicalId.set(this.model.modelLogicalId, version);
    }
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::StepFunctions::StateMachine')) {
      // The provider framework's waiter is played by awaitComplete, not run as a state machine.
      if (this.belongsToOtherCanary(resource) || isProviderWaiter(resource)) continue;
      const props = this.resolver.resolve<Record<string, unknown>>(resource.Properties ?? {});
      const definition = JSON.parse(String(props.DefinitionString)) as StateMachineDefinition;
      this.sfn.putStateMachine(this.stateMachineName(logicalId, resource), definition);
    }
    let requestType: DeployResult['requestType'];
    let action: string | undefined;
    const outcome = await this.applyCustomResource(this.model.releaseLogicalId, this.template.Resources[this.model.releaseLogicalId]);
    if (outcome) {
      requestType = outcome.requestType;
      action = outcome.action;
    }
    await this.clock.advance((this.options.cfnDependentsDelaySeconds ?? 10) * 1000);
    for (const [, resource] of resourcesOfType(this.template, 'AWS::CloudWatch::Alarm')) {
      if (this.belongsToOtherCanary(resource)) continue;
      this.cloudwatch.putMetricAlarm(this.resolver.resolve<AlarmDefinition>(resource.Properties ?? {}));
    }
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::CloudWatch::CompositeAlarm')) {
      if (this.belongsToOtherCanary(resource)) continue;
      const props = this.resolver.resolve<Partial<CompositeAlarmDefinition>>(resource.Properties ?? {});
      this.compositeAlarms.put({ ...props, AlarmName: props.AlarmName ?? this.physicalName(logicalId), AlarmRule: String(props.AlarmRule) });
    }
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::Events::Rule')) {
      if (this.belongsToOtherCanary(resource)) continue;
      const props = this.resolver.resolve<Omit<RuleDefinition, 'name'> & { Name?: string }>(resource.Properties ?? {});
      this.events.putRule({ ...props, name: props.Name ?? this.physicalName(logicalId) });
    }
    const started = [...this.sfn.executions.keys()].filter((arn) => !before.has(arn));
    return { version, requestType, action, executionArn: started[started.length - 1] };
  }

  /**
   * Awaits a promise that depends on virtual time (an SDK call made from test code, for example:
   * every simulated API call takes `apiLatencyMs`), moving the clock from timer to timer meanwhile.
   */
  public drive<T>(promise: Promise<T>): Promise<T> {
    return this.clock.drive(promise);
  }

  /** Advances virtual time. */
  public async advance(seconds: number): Promise<void> {
    await this.clock.advance(seconds * 1000);
  }

  /**
   * Runs until the execution (default: the latest) has ended and every asynchronous invocation it
   * caused (alarm fast path, Lambda's async retries) has finished, or until `maxMinutes` of
   * virtual time have passed.
   */
  public async runUntilDone(opts: { maxMinutes?: number; executionArn?: string; settleSeconds?: number } = {}): Promise<RunResult> {
    const realStart = performance.now();
    const execution = opts.executionArn ? this.sfn.executions.get(opts.executionArn) : this.latestExecution();
    if (!execution) throw new Error('No execution to run: deploy a new version first');
    const deadline = this.now() + (opts.maxMinutes ?? 120) * MINUTE;
    while (this.now() < deadline && (execution.status === 'RUNNING' || this.pendingAsync > 0)) {
      await this.clock.advance(1000);
    }
    const settle = Math.min(deadline - this.now(), (opts.settleSeconds ?? 10) * 1000);
    if (settle > 0) await this.clock.advance(settle);
    await execution.done.then(() => undefined, () => undefined);
    return this.result(execution, performance.now() - realStart);
  }

  /** Advances time until `predicate` holds (checked every virtual second); false if `maxMinutes` passed first. */
  public async runUntil(predicate: () => boolean, opts: { maxMinutes?: number } = {}): Promise<boolean> {
    const deadline = this.now() + (opts.maxMinutes ?? 120) * MINUTE;
    while (!predicate()) {
      if (this.now() >= deadline) return false;
      await this.clock.advance(1000);
    }
    return true;
  }

  public latestExecution(): ExecutionRecord | undefined {
    return [...this.sfn.executions.values()].sort((a, b) => b.startDate - a.startDate)[0];
  }

  public result(execution: ExecutionRecord, realMs = 0): RunResult {
    return {
      status: execution.status,
      error: execution.error,
      cause: execution.cause,
      output: execution.output,
      execution,
      alerts: this.alerts(),
      aliasHistory: this.aliasHistory(),
      endpointHistory: this.endpointHistory(),
      events: [...execution.events],
      alarmTransitions: [...this.cloudwatch.transitions],
      invocations: [...this.invocations],
      durationMs: (execution.stopDate ?? this.now()) - execution.startDate,
      realMs,
    };
  }

  /** Every alert published, with its JSON body parsed. */
  public alerts(): Alert[] {
    return this.sns.published.map((m: PublishedMessage) => {
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(m.message) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      return { at: m.at, subject: m.subject, event: body?.event as string | undefined, body, by: m.by };
    });
  }

  /** Every change of the model's alias, oldest first. */
  public aliasHistory(): AliasSnapshot[] {
    return this.lambda.aliasHistory
      .filter((c) => c.functionName === this.model.functionName && c.alias === this.model.aliasName)
      .map((c) => {
        const weights = c.after?.weights ?? {};
        const [extraVersion, w] = Object.entries(weights)[0] ?? [undefined, 0];
        return {
          at: c.at,
          operation: c.operation,
          by: c.by,
          functionVersion: c.after?.functionVersion,
          weights,
          extraPercent: Math.round((w ?? 0) * 1e6) / 1e4,
          extraVersion,
        };
      });
  }

  /** Sets an alarm's state by hand (SetAlarmState), for tests of the consumers. */
  public setAlarmState(name: string, state: AlarmState, reason = 'set by the simulation'): void {
    this.cloudwatch.setAlarmState(name, state, reason);
  }

  public alarm(name: string): AlarmRecord | undefined {
    return this.cloudwatch.alarms.get(name);
  }

  public dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.sfn?.executions.values() ?? []) {
      if (e.status === 'RUNNING') {
        e.status = 'ABORTED';
        // The simulation ends here: no status-change event may reach a later world's timers.
        e.statusReported = true;
        e.abort?.();
      }
    }
    for (const m of this.mocks) m.restore();
    for (const restore of this.restoreGlobals.reverse()) restore();
    this.clock.uninstall();
  }

  // ---------------------------------------------------------------- setup

  private installGlobals(): void {
    const originalRandom = Math.random;
    Math.random = this.random.asMathRandom();
    this.restoreGlobals.push(() => {
      Math.random = originalRandom;
    });
    if (!this.options.printLogs) {
      const originalLog = console.log;
      console.log = (...args: unknown[]) => {
        this.logs.push({ at: this.clock.now(), caller: this.caller.getStore()?.fn, text: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') });
      };
      this.restoreGlobals.push(() => {
        console.log = originalLog;
      });
    }
  }

  private physicalName(logicalId: string): string {
    return `${this.stackName}-${logicalId}`.slice(0, 64);
  }

  private stateMachineName(logicalId: string, resource: CfnResource): string {
    const name = resource.Properties?.StateMachineName;
    return typeof name === 'string' ? name : this.physicalName(logicalId).slice(0, 80);
  }

  private physicalIds(): PhysicalIds {
    return {
      ref: (logicalId, resource) => {
        switch (resource.Type) {
          case 'AWS::Lambda::Function':
            return this.functionsByLogicalId.get(logicalId)!.name;
          case 'AWS::Lambda::Version': {
            const fn = this.functionFor(resource.Properties?.FunctionName);
            const version = this.versionsByLogicalId.get(logicalId);
            if (!version) throw new Error(`${logicalId} has no published version yet`);
            return `${fn.arn}:${version}`;
          }
          case 'AWS::SNS::Topic':
            return this.topicArn(logicalId, resource);
          case 'AWS::StepFunctions::StateMachine':
            return stateMachineArn(this.stateMachineName(logicalId, resource));
          case 'AWS::CloudWatch::Alarm':
          case 'AWS::CloudWatch::CompositeAlarm': {
            const name = resource.Properties?.AlarmName;
            return typeof name === 'string' ? name : this.physicalName(logicalId);
          }
          case 'AWS::SageMaker::Model':
            // Ref of a model is its ARN (lower-case name).
            return `arn:${PARTITION}:sagemaker:${REGION}:${ACCOUNT}:model/${this.modelName(logicalId, resource).toLowerCase()}`;
          default:
            if (isCustomResource(resource)) {
              const cr = this.customResources.get(logicalId);
              if (!cr) throw new Error(`Custom resource ${logicalId} does not exist yet`);
              return cr.physicalId;
            }
            return this.physicalName(logicalId);
        }
      },
      getAtt: (logicalId, attribute, resource) => {
        switch (resource.Type) {
          case 'AWS::Lambda::Function':
            if (attribute === 'Arn') return this.functionsByLogicalId.get(logicalId)!.arn;
            break;
          case 'AWS::Lambda::Version': {
            const version = this.versionsByLogicalId.get(logicalId);
            if (!version) throw new Error(`${logicalId} has no published version yet`);
            if (attribute === 'Version') return version;
            if (attribute === 'FunctionArn') return this.functionFor(resource.Properties?.FunctionName).arn;
            break;
          }
          case 'AWS::SNS::Topic':
            if (attribute === 'TopicArn') return this.topicArn(logicalId, resource);
            if (attribute === 'TopicName') return this.topicArn(logicalId, resource).split(':').pop();
            break;
          case 'AWS::StepFunctions::StateMachine':
            if (attribute === 'Arn') return stateMachineArn(this.stateMachineName(logicalId, resource));
            if (attribute === 'Name') return this.stateMachineName(logicalId, resource);
            break;
          case 'AWS::CloudWatch::Alarm':
          case 'AWS::CloudWatch::CompositeAlarm':
            if (attribute === 'Arn') return alarmArn(String(resource.Properties?.AlarmName ?? this.physicalName(logicalId)));
            break;
          case 'AWS::IAM::Role':
            if (attribute === 'Arn') return `arn:${PARTITION}:iam::${ACCOUNT}:role/${this.physicalName(logicalId)}`;
            break;
          case 'AWS::SageMaker::Model':
            if (attribute === 'ModelName') return this.modelName(logicalId, resource);
            break;
          default:
            if (isCustomResource(resource)) {
              const cr = this.customResources.get(logicalId);
              if (!cr) throw new Error(`Custom resource ${logicalId} does not exist yet`);
              if (!(attribute in cr.data)) {
                throw new Error(`CustomResource attribute error: Vendor response doesn't contain ${attribute} attribute in object ${cr.physicalId}`);
              }
              return cr.data[attribute];
            }
        }
        return `arn:${PARTITION}:sim:${REGION}:${ACCOUNT}:${logicalId}/${attribute}`;
      },
    };
  }

  /** A SageMaker model's name: the version the last deploy gave it, else the template's ModelName. */
  private modelName(logicalId: string, resource: CfnResource): string {
    const deployed = this.modelNamesByLogicalId.get(logicalId);
    if (deployed) return deployed;
    const name = resource.Properties?.ModelName;
    return typeof name === 'string' ? name : this.physicalName(logicalId);
  }

  private topicArn(logicalId: string, resource: CfnResource): string {
    const name = resource.Properties?.TopicName;
    return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${typeof name === 'string' ? name : this.physicalName(logicalId)}`;
  }

  private functionFor(ref: unknown): FunctionRecord {
    const id = (ref as { Ref?: string } | undefined)?.Ref;
    const fn = id ? this.functionsByLogicalId.get(id) : undefined;
    if (!fn) throw new Error(`Cannot tell which function ${JSON.stringify(ref)} is`);
    return fn;
  }

  private createResources(): void {
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::Lambda::Function')) {
      const props = resource.Properties ?? {};
      const name = typeof props.FunctionName === 'string' ? props.FunctionName : this.physicalName(logicalId);
      const owner = handlerOf(props.Description);
      const handlerName = owner?.handlerName;
      if (handlerName && !HANDLERS[handlerName]) {
        throw new Error(`Function ${logicalId} names handler "${handlerName}", which lambda/handlers/ does not have`);
      }
      const fn = this.lambda.addFunction({
        logicalId,
        name,
        description: typeof props.Description === 'string' ? props.Description : undefined,
        timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
        handlerName,
        canaryName: owner?.canaryName,
      });
      this.functionsByLogicalId.set(logicalId, fn);
    }
    for (const [logicalId, resource] of resourcesOfType(this.template, 'AWS::SNS::Topic')) {
      this.sns.topics.add(this.topicArn(logicalId, resource));
    }
  }

  /** The simulated canary: a release custom resource whose Target is a Lambda alias or a SageMaker endpoint. */
  private findModelTarget(): ModelTarget {
    const candidates: ModelTarget[] = [];
    for (const [logicalId, resource] of Object.entries(this.template.Resources)) {
      if (!isCustomResource(resource)) continue;
      const props = resource.Properties ?? {};
      const target = props.Target as { kind?: unknown; functionName?: unknown; aliasName?: unknown; endpointName?: unknown } | undefined;
      if (target?.kind === 'lambda-alias' && target.functionName && target.aliasName) {
        candidates.push({
          kind: 'lambda-alias',
          functionName: this.resolver.resolve<string>(target.functionName),
          aliasName: this.resolver.resolve<string>(target.aliasName),
          canaryName: this.resolver.resolve<string>(props.CanaryName),
          releaseLogicalId: logicalId,
          functionLogicalId: (target.functionName as { Ref?: string }).Ref,
        });
      } else if (target?.kind === 'sagemaker-endpoint' && target.endpointName) {
        const getAtt = (props.Version as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
        const modelId = Array.isArray(getAtt) ? String(getAtt[0]) : undefined;
        candidates.push({
          kind: 'sagemaker-endpoint',
          functionName: '',
          aliasName: '',
          endpointName: this.resolver.resolve<string>(target.endpointName),
          canaryName: this.resolver.resolve<string>(props.CanaryName),
          releaseLogicalId: logicalId,
          modelLogicalId: modelId && this.template.Resources[modelId]?.Type === 'AWS::SageMaker::Model' ? modelId : undefined,
        });
      }
    }
    const wanted = this.options.canaryName;
    const chosen = wanted
      ? candidates.find((c) => c.canaryName === wanted)
      : (candidates.find((c) => c.kind === 'lambda-alias') ?? candidates[0]);
    if (!chosen) {
      throw new Error(
        wanted
          ? `The template has no canary named ${wanted} (found: ${candidates.map((c) => c.canaryName).join(', ') || 'none'})`
          : 'The template has no release custom resource with a Lambda-alias or SageMaker-endpoint Target',
      );
    }
    return chosen;
  }

  /** Whether a resource reads a custom resource of another canary (it cannot be deployed without it). */
  private belongsToOtherCanary(resource: CfnResource): boolean {
    const ids = new Set<string>();
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.Ref === 'string') ids.add(o.Ref);
        if (Array.isArray(o['Fn::GetAtt'])) ids.add(String((o['Fn::GetAtt'] as unknown[])[0]));
        Object.values(o).forEach(visit);
      }
    };
    visit(resource.Properties);
    return [...ids].some((id) => {
      const r = this.template.Resources[id];
      if (r === undefined) return false;
      if (isCustomResource(r)) return id !== this.model.releaseLogicalId;
      // A Lambda version of a function other than the simulated model's is never published here.
      if (r.Type === 'AWS::Lambda::Version') {
        const fnId = (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref;
        return fnId === undefined || this.functionsByLogicalId.get(fnId)?.name !== this.model.functionName;
      }
      return false;
    });
  }

  private async applyCustomResource(
    logicalId: string,
    resource: CfnResource,
  ): Promise<{ requestType: 'Create' | 'Update'; action?: string } | undefined> {
    const raw = this.resolver.resolve<Record<string, unknown>>(resource.Properties ?? {});
    // CloudFormation hands custom resources every scalar property as a string.
    const properties = stringifyScalars(raw) as Record<string, unknown>;
    const existing = this.customResources.get(logicalId);
    if (existing && JSON.stringify(existing.properties) === JSON.stringify(properties)) return undefined;
    const releaseFn = [...this.lambda.functions.values()].find((f) => f.handlerName === 'release' && f.canaryName === this.model.canaryName);
    if (!releaseFn) throw new Error(`No function runs the release handler of ${this.model.canaryName}`);
    const requestType = existing ? 'Update' : 'Create';
    const event = {
      RequestType: requestType,
      ServiceToken: properties.ServiceToken,
      ResponseURL: 'https://cloudformation-custom-resource-response.sim/',
      StackId: `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/sim`,
      RequestId: this.random.uuid(),
      LogicalResourceId: logicalId,
      ResourceType: resource.Type,
      ResourceProperties: properties,
      ...(existing ? { PhysicalResourceId: existing.physicalId, OldResourceProperties: existing.properties } : {}),
    };
    const invocation = await this.clock.drive(this.invokeHandler(releaseFn, event, false));
    if (invocation.error) {
      throw new DeployError(
        `CloudFormation ${requestType} of ${logicalId} failed: ${invocation.error.errorType}: ${invocation.error.errorMessage}`,
        invocation.error,
      );
    }
    const out = (invocation.result ?? {}) as { PhysicalResourceId?: string; Data?: Record<string, unknown> };
    await this.awaitComplete(logicalId, requestType, releaseFn, resource, isCompleteRequest(event, out));
    this.customResources.set(logicalId, {
      physicalId: out.PhysicalResourceId ?? existing?.physicalId ?? event.RequestId,
      data: out.Data ?? {},
      properties,
    });
    return { requestType, action: out.Data?.Action as string | undefined };
  }

  /** The provider framework's waiter, when the release resource's provider has one (sim/provider-framework.ts). */
  private async awaitComplete(logicalId: string, requestType: string, fn: FunctionRecord, resource: CfnResource, event: Record<string, unknown>): Promise<void> {
    const policy = waiterPolicy(this.template, resource.Properties?.ServiceToken);
    if (!policy) return;
    const failure = await playWaiter(policy, () => this.clock.drive(this.invokeHandler(fn, event, false)), (ms) => this.clock.advance(ms));
    if (failure) throw new DeployError(`CloudFormation ${requestType} of ${logicalId} failed: ${failure.message}`, failure.error);
  }

  // ---------------------------------------------------------------- SDK wiring

  private wireMocks(): void {
    const lambda = mockClient(LambdaClient);
    const cw = mockClient(CloudWatchClient);
    const sns = mockClient(SNSClient);
    const sfn = mockClient(SFNClient);
    const sagemaker = mockClient(SageMakerClient);
    const runtime = mockClient(SageMakerRuntimeClient);
    this.mocks.push(lambda, cw, sns, sfn, sagemaker, runtime);
    const unsupported = (service: string) => () => {
      throw new Error(`The simulator does not implement this ${service} command`);
    };
    lambda.onAnyCommand().callsFake(unsupported('Lambda'));
    cw.onAnyCommand().callsFake(unsupported('CloudWatch'));
    sns.onAnyCommand().callsFake(unsupported('SNS'));
    sfn.onAnyCommand().callsFake(unsupported('Step Functions'));
    sagemaker.onAnyCommand().callsFake(unsupported('SageMaker'));
    runtime.onAnyCommand().callsFake(unsupported('SageMaker Runtime'));

    lambda.on(GetAliasCommand).callsFake((i) => this.call('lambda', 'GetAlias', () => this.lambda.getAlias(i)));
    lambda.on(GetFunctionConfigurationCommand).callsFake((i) => this.call('lambda', 'GetFunctionConfiguration', () => this.lambda.getFunctionConfiguration(i)));
    lambda.on(CreateAliasCommand).callsFake((i) => this.call('lambda', 'CreateAlias', (by) => this.lambda.createAlias(i, by)));
    lambda.on(UpdateAliasCommand).callsFake((i) => this.call('lambda', 'UpdateAlias', (by) => this.lambda.updateAlias(i, by)));
    lambda.on(DeleteAliasCommand).callsFake((i) => this.call('lambda', 'DeleteAlias', (by) => this.lambda.deleteAlias(i, by)));
    lambda.on(InvokeCommand).callsFake((i) => this.call('lambda', 'Invoke', () => this.invokeModel(i)));
    cw.on(DescribeAlarmsCommand).callsFake((i) => this.call('cloudwatch', 'DescribeAlarms', () => this.describeAlarms(i)));
    cw.on(GetMetricDataCommand).callsFake((i) => this.call('cloudwatch', 'GetMetricData', () => this.cloudwatch.getMetricData(i)));
    cw.on(PutMetricAlarmCommand).callsFake((i) =>
      this.call('cloudwatch', 'PutMetricAlarm', () => {
        this.cloudwatch.putMetricAlarm(i as unknown as AlarmDefinition);
        return { $metadata: { httpStatusCode: 200 } };
      }),
    );
    cw.on(SetAlarmStateCommand).callsFake((i) =>
      this.call('cloudwatch', 'SetAlarmState', () => {
        this.cloudwatch.setAlarmState(i.AlarmName ?? '', i.StateValue as AlarmState, i.StateReason ?? '', i.StateReasonData);
        return { $metadata: { httpStatusCode: 200 } };
      }),
    );
    sns.on(PublishCommand).callsFake((i) => this.call('sns', 'Publish', (by) => this.sns.publish(i, by)));
    sfn.on(StartExecutionCommand).callsFake((i) => this.call('sfn', 'StartExecution', () => this.sfn.startExecution(i)));
    sfn.on(StopExecutionCommand).callsFake((i) => this.call('sfn', 'StopExecution', () => this.sfn.stopExecution(i)));
    sfn.on(ListExecutionsCommand).callsFake((i) => this.call('sfn', 'ListExecutions', () => this.sfn.listExecutions(i)));
    sfn.on(DescribeExecutionCommand).callsFake((i) => this.call('sfn', 'DescribeExecution', () => this.sfn.describeExecution(i)));
    const sm = this.sagemaker;
    sagemaker.on(CreateEndpointConfigCommand).callsFake((i) => this.call('sagemaker', 'CreateEndpointConfig', () => sm.createEndpointConfig(i)));
    sagemaker.on(CreateEndpointCommand).callsFake((i) => this.call('sagemaker', 'CreateEndpoint', (by) => sm.createEndpoint(i, by)));
    sagemaker.on(DescribeEndpointCommand).callsFake((i) => this.call('sagemaker', 'DescribeEndpoint', () => sm.describeEndpoint(i)));
    sagemaker.on(UpdateEndpointCommand).callsFake((i) => this.call('sagemaker', 'UpdateEndpoint', (by) => sm.updateEndpoint(i, by)));
    sagemaker
      .on(UpdateEndpointWeightsAndCapacitiesCommand)
      .callsFake((i) => this.call('sagemaker', 'UpdateEndpointWeightsAndCapacities', (by) => sm.updateEndpointWeightsAndCapacities(i, by)));
    sagemaker.on(DeleteEndpointCommand).callsFake((i) => this.call('sagemaker', 'DeleteEndpoint', (by) => sm.deleteEndpoint(i, by)));
    sagemaker.on(AddTagsCommand).callsFake((i) => this.call('sagemaker', 'AddTags', () => sm.addTags(i)));
    sagemaker.on(ListTagsCommand).callsFake((i) => this.call('sagemaker', 'ListTags', () => sm.listTags(i)));
    sagemaker.on(DeleteTagsCommand).callsFake((i) => this.call('sagemaker', 'DeleteTags', () => sm.deleteTags(i)));
    runtime.on(InvokeEndpointCommand).callsFake((i) => this.call('sagemaker-runtime', 'InvokeEndpoint', () => this.invokeEndpoint(i)));
  }

  /**
   * One API call from a handler, with the SDK client's retries: each attempt takes `apiLatencyMs`,
   * meets fault injection first, then the simulated service, and is recorded either way.
   */
  private async call<T>(service: ServiceName, operation: string, run: (caller?: string) => T): Promise<T> {
    const caller = this.caller.getStore()?.fn;
    const maxAttempts = Math.max(1, this.options.sdkMaxAttempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(service, operation, run, caller, attempt);
      } catch (err) {
        const e = err as SdkError & { $metadata?: { attempts?: number } };
        if (attempt >= maxAttempts || !sdkRetryable(e)) {
          if (e.$metadata) e.$metadata.attempts = attempt;
          throw err;
        }
        const base = isThrottling(e) ? 500 : 100;
        await this.clock.sleep(Math.floor(this.random.next() * Math.min(20_000, base * 2 ** (attempt - 1))));
      }
    }
  }

  private async attempt<T>(service: ServiceName, operation: string, run: (caller?: string) => T, caller: string | undefined, attempt: number): Promise<T> {
    const latency = this.options.apiLatencyMs ?? 20;
    if (latency > 0) await this.clock.sleep(latency);
    const fault: FaultKind | undefined = this.faults.take(operation, caller, this.now());
    if (fault !== undefined) {
      if (fault === 'timeout') await this.clock.sleep(this.options.timeoutFaultMs ?? 3000);
      const err = faultError(service, operation, fault);
      this.apiCalls.push({ at: this.now(), service, operation, caller, attempt, error: err.name });
      throw err;
    }
    try {
      const out = run(caller);
      this.apiCalls.push({ at: this.now(), service, operation, caller, attempt });
      return structuredClone(out);
    } catch (err) {
      this.apiCalls.push({ at: this.now(), service, operation, caller, attempt, error: (err as Error).name });
      throw err;
    }
  }

  // ---------------------------------------------------------------- Lambda invocations

  /** InvokeEndpoint (pre-traffic checks): one request to a variant (TargetVariant) or by weight; ModelError when the model fails. */
  private invokeEndpoint(input: InvokeEndpointCommandInput): InvokeEndpointCommandOutput {
    const endpoint = this.sagemaker.endpoint(input.EndpointName ?? '');
    const notFound = () => awsError('sagemaker-runtime', 'ValidationError', 400, `Endpoint ${input.EndpointName} of account ${ACCOUNT} not found.`);
    if (!endpoint) throw notFound();
    if (!this.sagemaker.serving(endpoint)) {
      const { name, status } = endpoint as EndpointRecord;
      throw awsError('sagemaker-runtime', 'ValidationError', 400, `Endpoint ${name} of account ${ACCOUNT} is not in service (${status}).`);
    }
    let variant: string | undefined;
    if (input.TargetVariant !== undefined) {
      variant = endpoint.variants.find((v) => v.name === input.TargetVariant)?.name;
      if (!variant) {
        throw awsError('sagemaker-runtime', 'ValidationError', 400, `Variant ${input.TargetVariant} not found for endpoint ${endpoint.name}.`);
      }
    } else {
      variant = this.sagemaker.route(endpoint);
      if (!variant) throw awsError('sagemaker-runtime', 'ValidationError', 400, `Endpoint ${endpoint.name} has no variant with a weight above 0.`);
    }
    const now = this.now();
    const outcome = this.traffic.serve(variant, now);
    this.recordEndpointRequest(endpoint.name, variant, outcome.error, outcome.durationMs, now);
    if (outcome.signals) this.recordSignals(variant, outcome.signals, now);
    if (outcome.error) {
      throw Object.assign(
        awsError('sagemaker-runtime', 'ModelError', 424, `Received server error (500) from primary with message "simulated failure of variant ${variant}".`),
        { OriginalStatusCode: 500 },
      );
    }
    const raw = input.Body;
    const text = raw === undefined ? '' : typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array);
    let event: unknown;
    try {
      event = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      event = text;
    }
    const body = (this.traffic.behaviour(variant, now).respond ?? defaultResponse)(event, variant);
    return {
      $metadata: { httpStatusCode: 200 },
      ContentType: 'application/json',
      InvokedProductionVariant: variant,
      Body: new TextEncoder().encode(JSON.stringify(body)) as InvokeEndpointCommandOutput['Body'],
    };
  }

  /** Invoke of the model function (pre-traffic checks): a version, an alias, or $LATEST. */
  private invokeModel(input: InvokeCommandInput): InvokeCommandOutput {
    const { fn, qualifier: arnQualifier } = this.lambda.resolveName(input.FunctionName ?? '');
    if (!fn) throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${input.FunctionName}`);
    if (fn.handlerName) throw new Error(`The simulator invokes ${fn.name} (a ${fn.handlerName} step) only from the workflow`);
    const qualifier = input.Qualifier ?? arnQualifier;
    let version: string;
    let resource: string;
    if (qualifier === undefined || qualifier === '$LATEST') {
      version = '$LATEST';
      resource = fn.name;
    } else if (/^\d+$/.test(qualifier)) {
      if (!fn.versions.has(qualifier)) throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${fn.arn}:${qualifier}`);
      version = qualifier;
      resource = `${fn.name}:${qualifier}`;
    } else {
      const alias = fn.aliases.get(qualifier);
      if (!alias) throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${fn.arn}:${qualifier}`);
      version = this.lambda.route(alias);
      resource = `${fn.name}:${qualifier}`;
    }
    const now = this.now();
    const outcome = this.traffic.serve(version, now);
    this.recordRequest(fn.name, resource, version, outcome.error, outcome.durationMs, now);
    const raw = input.Payload;
    const text = raw === undefined ? '' : typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array);
    const event = text ? (JSON.parse(text) as unknown) : undefined;
    const body = outcome.error
      ? { errorType: 'ModelError', errorMessage: `simulated failure of version ${version}`, trace: [] }
      : (this.traffic.behaviour(version, now).respond ?? defaultResponse)(event, version);
    return {
      $metadata: { httpStatusCode: 200 },
      StatusCode: 200,
      ExecutedVersion: version,
      ...(outcome.error ? { FunctionError: 'Unhandled' } : {}),
      Payload: new TextEncoder().encode(JSON.stringify(body)) as InvokeCommandOutput['Payload'],
    };
  }

  /** Runs a handler the way Lambda does: JSON in and out, the function's timeout, errors as {errorType, errorMessage}. */
  private async invokeHandler(fn: FunctionRecord, event: unknown, async: boolean, attempt = 1): Promise<Invocation> {
    const handlerName = fn.handlerName!;
    const invocation: Invocation = { at: this.now(), functionName: fn.name, handler: handlerName, async, attempt, input: event };
    this.invocations.push(invocation);
    await this.clock.sleep(this.options.invokeLatencyMs ?? 100);
    const payload = (event === undefined ? null : JSON.parse(JSON.stringify(event))) as never;
    const handler = this.options.handlers?.[handlerName] ?? HANDLERS[handlerName];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), fn.timeoutSeconds * 1000);
    });
    try {
      const run = this.caller.run({ fn: handlerName }, () => handler(payload));
      const out = await Promise.race([run, timeout]);
      if (out === 'timeout') {
        run.catch(() => undefined);
        invocation.error = {
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${this.random.uuid()} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          trace: [],
        };
      } else {
        invocation.result = out === undefined ? null : JSON.parse(JSON.stringify(out));
      }
    } catch (err) {
      invocation.error = lambdaErrorPayload(err);
    } finally {
      clearTimeout(timer);
      invocation.endedAt = this.now();
    }
    return invocation;
  }

  /** A Task state calling a function ARN (payloadResponseOnly): the result, or the function's error by its name. */
  private async runTask(functionArn: string, input: unknown, stateName: string): Promise<unknown> {
    const fn = this.lambda.findByArn(functionArn);
    if (!fn?.handlerName) {
      throw Object.assign(new Error(JSON.stringify({ errorMessage: `Function not found: ${functionArn}` })), { name: 'Lambda.ResourceNotFoundException' });
    }
    const fault = this.faults.take(`TaskInvoke:${stateName}`, undefined, this.now()) ?? this.faults.take('TaskInvoke', undefined, this.now());
    if (fault !== undefined) {
      const err = faultError('lambda', 'Invoke', fault);
      // Step Functions prefixes Lambda service errors with "Lambda.".
      throw Object.assign(new Error(err.message), { name: err.name === 'TimeoutError' ? 'Lambda.SdkClientException' : `Lambda.${err.name}` });
    }
    const invocation = await this.invokeHandler(fn, input, false);
    if (invocation.error) {
      // Step Functions reports a function error with errorType as Error and the payload as Cause.
      const { errorType, errorMessage, trace } = invocation.error;
      throw Object.assign(new Error(JSON.stringify({ errorType, errorMessage, trace })), { name: errorType });
    }
    const size = Buffer.byteLength(JSON.stringify(invocation.result));
    if (size > MAX_STATE_PAYLOAD) {
      // A terminal error: States.ALL does not catch it (aws-local-stepfunctions honours isCatchable).
      throw Object.assign(new Error(`The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`), {
        name: 'States.DataLimitExceeded',
        isCatchable: false,
        isRetryable: false,
      });
    }
    return invocation.result;
  }

  /**
   * An asynchronous invocation (EventBridge → Lambda): on a function error Lambda retries twice,
   * after about one and then two more minutes.
   */
  private invokeAsync(fn: FunctionRecord, event: unknown, delayMs: number): void {
    this.pendingAsync++;
    const attempt = (n: number) => {
      void this.invokeHandler(fn, event, true, n).then((inv) => {
        if (inv.error && n < 3) {
          setTimeout(() => attempt(n + 1), n === 1 ? MINUTE : 2 * MINUTE);
          return;
        }
        this.pendingAsync--;
      });
    };
    setTimeout(() => attempt(1), delayMs);
  }

  private deliver(delivery: Delivery): void {
    const fn = this.lambda.findByArn(delivery.target.Arn);
    if (!fn?.handlerName) return;
    this.invokeAsync(fn, delivery.input, (this.options.eventDeliveryDelaySeconds ?? 2) * 1000);
  }

  /** DescribeAlarms over metric alarms (sim/cloudwatch.ts) and composite alarms (on the first page). */
  private describeAlarms(input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput {
    const out = this.cloudwatch.describeAlarms(input);
    if (!(input.AlarmTypes ?? []).includes('CompositeAlarm') || input.NextToken) return out;
    const composites = this.compositeAlarms
      .describe(input.AlarmNames)
      .filter((a) => !input.AlarmNamePrefix || a.AlarmName!.startsWith(input.AlarmNamePrefix))
      .filter((a) => !input.StateValue || a.StateValue === input.StateValue);
    return { ...out, CompositeAlarms: composites };
  }

  /** A composite alarm's state change, on EventBridge. */
  private onCompositeTransition(alarm: CompositeAlarmRecord, previous: { state: AlarmState; reason: string; at: number }): void {
    this.events.putEvent(compositeAlarmEvent(alarm, previous, this.random.uuid()));
  }

  /** An execution started or ended, on EventBridge. */
  private onExecutionStatus(e: ExecutionRecord): void {
    if (this.disposed) return;
    // Its own id sequence: the seeded random stream (traffic, errors) stays what it was without these events.
    this.events.putEvent(executionStatusEvent(e, this.now(), `sfn-status-${++this.statusEvents}`));
  }

  // ---------------------------------------------------------------- CloudWatch → EventBridge

  private onAlarmTransition(
    alarm: AlarmRecord,
    transition: AlarmTransition,
    previous: { state: AlarmState; reason: string; reasonData?: string; at: number },
  ): void {
    const def = alarm.definition;
    const timestamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
    const metrics = def.Metrics
      ? def.Metrics.map((q) =>
          q.MetricStat
            ? {
                id: q.Id,
                metricStat: {
                  metric: { namespace: q.MetricStat.Metric.Namespace, name: q.MetricStat.Metric.MetricName, dimensions: dimsOf(q.MetricStat.Metric.Dimensions) },
                  period: q.MetricStat.Period,
                  stat: q.MetricStat.Stat,
                },
                returnData: q.ReturnData ?? true,
              }
            : { id: q.Id, expression: q.Expression, label: q.Label, returnData: q.ReturnData ?? true },
        )
      : [
          {
            id: this.random.uuid(),
            metricStat: {
              metric: { namespace: def.Namespace, name: def.MetricName, dimensions: dimsOf(def.Dimensions) },
              period: def.Period,
              stat: def.ExtendedStatistic ?? def.Statistic,
            },
            returnData: true,
          },
        ];
    const event: BusEvent = {
      version: '0',
      id: this.random.uuid(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: ACCOUNT,
      time: new Date(transition.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: REGION,
      resources: [alarmArn(def.AlarmName)],
      detail: {
        alarmName: def.AlarmName,
        state: { value: transition.to, reason: transition.reason, reasonData: transition.reasonData, timestamp: timestamp(transition.at) },
        previousState: { value: previous.state, reason: previous.reason, reasonData: previous.reasonData, timestamp: timestamp(previous.at) },
        configuration: { description: def.AlarmDescription, metrics },
      },
    };
    this.events.putEvent(event);
    this.compositeAlarms.evaluate();
  }

  // ---------------------------------------------------------------- background: traffic and alarms

  private startBackgroundProcesses(): void {
    const second = 1000;
    const trafficTick = () => {
      const now = this.now();
      this.generateTraffic(now);
      const idle = this.traffic.requestsPerSecond(now) === 0 && !this.traffic.trafficChangesBetween(now, now + MINUTE);
      setTimeout(trafficTick, idle ? MINUTE - (now % MINUTE) || MINUTE : second);
    };
    setTimeout(trafficTick, second - (this.now() % second) || second);
    const offset = (this.options.alarmEvaluationOffsetSeconds ?? 0) * 1000;
    const evaluate = () => {
      this.cloudwatch.evaluateDue();
      setTimeout(evaluate, MINUTE);
    };
    const firstEvaluation = MINUTE - (this.now() % MINUTE) + offset;
    setTimeout(evaluate, firstEvaluation);
  }

  private generateTraffic(now: number): void {
    if (this.model.kind === 'sagemaker-endpoint') {
      this.generateEndpointTraffic(now);
      return;
    }
    const alias = this.alias();
    this.traffic.observeAlias(alias, now);
    const n = this.traffic.arrivals(now);
    if (!alias || n === 0) return;
    const resource = `${this.model.functionName}:${this.model.aliasName}`;
    for (let i = 0; i < n; i++) {
      const version = this.lambda.route(alias);
      const outcome = this.traffic.serve(version, now);
      this.recordRequest(this.model.functionName, resource, version, outcome.error, outcome.durationMs, now);
      if (outcome.signals) this.recordSignals(version, outcome.signals, now);
    }
  }

  /** Requests to the SageMaker endpoint, split over the variants by CurrentWeight / sum of weights. */
  private generateEndpointTraffic(now: number): void {
    const endpoint = this.endpoint();
    const serving = this.sagemaker.serving(endpoint);
    if (serving) this.traffic.observeShares(this.sagemaker.shares(endpoint), now);
    const n = this.traffic.arrivals(now);
    if (!serving || n === 0) return;
    for (let i = 0; i < n; i++) {
      const variant = this.sagemaker.route(endpoint);
      if (!variant) return;
      const outcome = this.traffic.serve(variant, now);
      this.recordEndpointRequest(endpoint.name, variant, outcome.error, outcome.durationMs, now);
      const s = this.served.get(variant) ?? { requests: 0, errors: 0 };
      s.requests++;
      if (outcome.error) s.errors++;
      this.served.set(variant, s);
      if (outcome.signals) this.recordSignals(variant, outcome.signals, now);
    }
  }

  /** SageMaker's per-request endpoint metrics under {EndpointName, VariantName}, as sim/sagemaker-invocations.ts counts them. */
  private recordEndpointRequest(endpointName: string, variant: string, error: boolean, durationMs: number, at: number): void {
    const values = invocationMetrics({ error, durationMs });
    const key = `sagemaker|${endpointName}|${variant}`;
    let ids = this.metricIdCache.get(key);
    if (!ids) {
      const dimensions = { EndpointName: endpointName, VariantName: variant };
      ids = [Object.keys(values).map((metricName): MetricId => ({ namespace: 'AWS/SageMaker', metricName, dimensions }))];
      this.metricIdCache.set(key, ids);
    }
    for (const id of ids[0]) this.metrics.put(id, at, values[id.metricName]);
  }

  /** The EMF documents the runtime helper writes for one request, as the metrics CloudWatch Logs extracts. */
  private recordSignals(version: string, s: RequestSignals, at: number): void {
    const namespace = this.options.scenario?.signalsNamespace ?? 'ModelCanary';
    const canary = this.options.scenario?.signalsCanaryName ?? this.model.canaryName;
    const put = (metricName: string, value: number | undefined, cls?: string) => {
      if (value === undefined) return;
      const key = `signal|${version}|${metricName}|${cls ?? ''}`;
      let id = this.metricIdCache.get(key)?.[0]?.[0];
      if (!id) {
        // As the runtime helper writes them: Canary, Stack (the canary's stack), Version (+ Class).
        const dimensions: Record<string, string> = { Canary: canary, Stack: this.stackName, Version: version, ...(cls !== undefined ? { Class: cls } : {}) };
        id = { namespace, metricName, dimensions };
        this.metricIdCache.set(key, [[id]]);
      }
      this.metrics.put(id, at, value);
    };
    put('Requests', 1);
    put('InputTokens', s.inputTokens);
    put('OutputTokens', s.outputTokens);
    if (s.inputTokens !== undefined || s.outputTokens !== undefined) put('TotalTokens', (s.inputTokens ?? 0) + (s.outputTokens ?? 0));
    put('GuardrailIntervened', s.guardrailIntervened === undefined ? undefined : s.guardrailIntervened ? 1 : 0);
    put('SchemaInvalid', s.schemaValid === undefined ? undefined : s.schemaValid ? 0 : 1);
    put('ResponseLength', s.responseLength);
    if (s.predictedClass !== undefined) put('Prediction', 1, s.predictedClass);
    if (s.guardrailIntervened !== undefined) this.bedrock.record(version, s.guardrailIntervened, at);
  }

  private guardrailCache?: { value: GuardrailVersions | undefined };

  /** The guardrail and versions this canary's BedrockGuardrailBlockRateVsStable alarm watches (none without that alarm). */
  private bedrockGuardrail(): GuardrailVersions | undefined {
    if (!this.guardrailCache) {
      const name = `${this.stackName}-${this.model.canaryName}-BedrockGuardrailBlockRateVsStable`;
      const found = resourcesOfType(this.template, 'AWS::CloudWatch::Alarm').find(
        ([, r]) => !this.belongsToOtherCanary(r) && this.resolver.resolve<unknown>(r.Properties?.AlarmName) === name,
      );
      this.guardrailCache = { value: guardrailVersionsOf(found && this.resolver.resolve<AlarmDefinition>(found[1].Properties ?? {})) };
    }
    return this.guardrailCache.value;
  }

  private readonly metricIdCache = new Map<string, MetricId[][]>();

  /** Invocations, Errors and Duration under each dimension set Lambda publishes (cached: same objects every time). */
  private lambdaMetricIds(functionName: string, resource: string, version: string): MetricId[][] {
    const key = `${functionName}|${resource}|${version}`;
    let ids = this.metricIdCache.get(key);
    if (!ids) {
      const sets: Record<string, string>[] = [
        { FunctionName: functionName },
        { FunctionName: functionName, Resource: resource },
        ...(version !== '$LATEST' ? [{ FunctionName: functionName, Resource: resource, ExecutedVersion: version }] : []),
      ];
      ids = sets.map((dimensions) =>
        ['Invocations', 'Errors', 'Duration'].map((metricName): MetricId => ({ namespace: 'AWS/Lambda', metricName, dimensions })),
      );
      this.metricIdCache.set(key, ids);
    }
    return ids;
  }

  /** Lambda's per-invocation metrics, under each dimension set Lambda publishes. */
  private recordRequest(functionName: string, resource: string, version: string, error: boolean, durationMs: number, at: number): void {
    for (const [invocations, errors, duration] of this.lambdaMetricIds(functionName, resource, version)) {
      this.metrics.put(invocations, at, 1);
      this.metrics.put(errors, at, error ? 1 : 0);
      this.metrics.put(duration, at, durationMs);
    }
    if (resource === `${this.model.functionName}:${this.model.aliasName}`) {
      const s = this.served.get(version) ?? { requests: 0, errors: 0 };
      s.requests++;
      if (error) s.errors++;
      this.served.set(version, s);
    }
  }
}

/** SDK v3's classification (@smithy/service-error-classification): throttling errors. */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

type SdkError = Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; $retryable?: { throttling?: boolean } };

function isThrottling(e: SdkError): boolean {
  return e.$metadata?.httpStatusCode === 429 || THROTTLING.has(e.name) || e.$retryable?.throttling === true;
}

/** What SDK v3's standard retry strategy retries: throttling, transient errors and 5xx. */
function sdkRetryable(e: SdkError): boolean {
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    isThrottling(e) ||
    e.$retryable !== undefined ||
    ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'].includes(e.name) ||
    (status >= 500 && status <= 599)
  );
}

/** The canary the world simulates: its release resource and what it routes. */
interface ModelTarget {
  readonly kind: 'lambda-alias' | 'sagemaker-endpoint';
  /** The model function ('' for a SageMaker canary). */
  readonly functionName: string;
  /** The alias ('' for a SageMaker canary). */
  readonly aliasName: string;
  readonly canaryName: string;
  readonly releaseLogicalId: string;
  readonly functionLogicalId?: string;
  readonly endpointName?: string;
  /** The AWS::SageMaker::Model whose ModelName is the release's Version. */
  readonly modelLogicalId?: string;
}

function isCustomResource(resource: CfnResource): boolean {
  return resource.Type.startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource';
}

function dimsOf(list: { Name: string; Value: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((d) => [d.Name, d.Value]));
}

function stringifyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyScalars);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyScalars(v)]));
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
