import { installGlobals } from './globals';
import { carryOver, updateStack } from './stack-update';
import { assertNoCircularDependency } from '../aws/cloudformation/template-dependencies';
import '../aws/core/polyfills';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DescribeAlarmsCommandInput, DescribeAlarmsCommandOutput } from '@aws-sdk/client-cloudwatch';
import type { InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { InvokeEndpointCommandInput, InvokeEndpointCommandOutput } from '@aws-sdk/client-sagemaker-runtime';
import type { AlarmState } from '../aws/cloudwatch/alarm-evaluation';
import { BedrockGuardrailsSim } from '../aws/bedrock/bedrock';
import { VirtualClock } from '../aws/core/clock';
import { CloudWatchSim } from '../aws/cloudwatch/cloudwatch';
import type { AlarmRecord } from '../aws/cloudwatch/alarm-types';
import { CompositeAlarmSim } from '../aws/cloudwatch/composite-alarms';
import { Deployer } from './deploy';
import { EventBridgeSim } from '../aws/eventbridge/eventbridge';
import { FaultInjector } from '../aws/core/faults';
import { HandlerInvoker } from './handler-invoker';
import { assertRegistryComplete } from './handlers';
import { type AliasState, type FunctionRecord, LambdaSim } from '../aws/lambda/lambda';
import { DEFAULT_HIGH_RESOLUTION_DELAY_MS, MetricStore } from '../aws/cloudwatch/metrics';
import { ModelTraffic } from './model-traffic';
import { Random } from '../aws/core/random';
import { type EndpointChange, type EndpointRecord, SageMakerSim } from '../aws/sagemaker/sagemaker';
import { SdkCalls, wireMocks } from './sdk-mocks';
import { ServiceGlue } from './service-glue';
import { type PublishedMessage, SnsSim } from '../aws/sns/sns';
import { SsmSim } from '../aws/ssm/ssm';
import { AppConfigSim } from '../aws/appconfig/appconfig';
import { type CustomResourceRecord, StackResources } from './stack-resources';
import { StepFunctionsSim } from '../aws/stepfunctions/stepfunctions';
import type { ExecutionRecord } from '../aws/stepfunctions/execution-types';
import { REGION } from '../aws/core/account';
import { type CfnTemplate, type IntrinsicResolver, type SynthesizedStack, synthesizeExampleStack } from '../aws/cloudformation/template';
import type { SimTarget } from '../targets';
import { TrafficModel } from './traffic';
import {
  type Alert,
  type AliasSnapshot,
  type ApiCall,
  DEFAULT_START,
  type DeployResult,
  type Invocation,
  type LogLine,
  MINUTE,
  type ModelTarget,
  type RunResult,
  type SimWorldOptions,
} from './world-types';

export { DeployError } from './world-types';
export type { Alert, AliasSnapshot, ApiCall, DeployResult, Invocation, LogLine, RunResult, SimWorldOptions } from './world-types';

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
  /** Systems Manager Parameter Store (String parameters). */
  public readonly ssm: SsmSim;
  /** AWS AppConfig (a config canary's routing). */
  public readonly appconfig: AppConfigSim;
  public readonly sfn: StepFunctionsSim;
  public readonly traffic: TrafficModel;
  public readonly bedrock: BedrockGuardrailsSim;
  /** The stack's template (the new one after updateStack). */
  public template: CfnTemplate;
  public readonly stackName: string;
  public readonly startMs: number;
  public readonly apiCalls: ApiCall[] = [];
  public readonly invocations: Invocation[] = [];
  public readonly logs: LogLine[] = [];
  /** Requests served through the canary's routing, per version. */
  public readonly served = new Map<string, { requests: number; errors: number }>();

  private readonly options: SimWorldOptions;
  private readonly caller = new AsyncLocalStorage<{ fn: string }>();
  private readonly mocks: { restore(): void }[] = [];
  private readonly restoreGlobals: (() => void)[] = [];
  private resources: StackResources;
  private readonly calls: SdkCalls;
  private readonly invoker: HandlerInvoker;
  private readonly modelTraffic: ModelTraffic;
  private deployer: Deployer;
  private readonly glue: ServiceGlue;
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
    assertNoCircularDependency(stack.template);
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
      this.restoreGlobals.push(...installGlobals({ random: this.random, printLogs: this.options.printLogs, log: (text) => this.logs.push({ at: this.clock.now(), caller: this.caller.getStore()?.fn, text }) }));
      this.metrics = new MetricStore((options.metricPublishDelaySeconds ?? 0) * 1000, (options.highResolutionPublishDelaySeconds ?? DEFAULT_HIGH_RESOLUTION_DELAY_MS / 1000) * 1000);
      this.lambda = new LambdaSim(this.random, now);
      this.sagemaker = new SageMakerSim(this.random, now, options.sageMaker);
      this.cloudwatch = new CloudWatchSim(this.metrics, now, (a, t, p) => this.glue.onAlarmTransition(a, t, p), {
        evaluationRangeExtra: options.evaluationRangeExtra,
      });
      this.compositeAlarms = new CompositeAlarmSim(now, (name) => this.cloudwatch.alarms.get(name)?.state, (a, p) => this.glue.onCompositeTransition(a, p));
      this.sns = new SnsSim(this.random, now);
      this.events = new EventBridgeSim(now, (d) => this.invoker.deliver(d));
      this.ssm = new SsmSim(now, (e) => this.events.putEvent(e));
      // Monitors read the world's CloudWatch (metric and composite alarms) through the glue, created below.
      this.appconfig = new AppConfigSim(now, (arn) => this.glue.monitoredAlarm(arn));
      this.sfn = new StepFunctionsSim(now, (arn, input, state) => this.invoker.runTask(arn, input, state), (e) => this.glue.onExecutionStatus(e));
      this.traffic = new TrafficModel(options.scenario ?? { requestsPerSecond: 0 }, this.random, this.startMs);
      this.resources = new StackResources(this.template, this.stackName, this.lambda, this.sns, this.ssm, this.appconfig);
      this.bedrock = new BedrockGuardrailsSim(this.metrics, () => this.modelTraffic.bedrockGuardrail(), options.scenario?.guardrailVersions);
      this.resources.createResources();
      this.resources.findModelTarget(options.canaryName);
      const { clock, random, faults, lambda, apiCalls, invocations, caller } = this;
      this.calls = new SdkCalls({ options, clock, random, faults, apiCalls, caller });
      this.invoker = new HandlerInvoker({ options, clock, random, faults, lambda, invocations, caller });
      this.modelTraffic = new ModelTraffic({ ...this.services(), options, resources: this.resources, ssm: this.ssm, appconfig: this.appconfig, random, served: this.served, now });
      this.deployer = new Deployer({ ...this.services(), options, resources: this.resources, clock, random, invoker: this.invoker, target: () => this.target });
      this.glue = new ServiceGlue({ ...this.services(), options, clock, random, appconfig: this.appconfig, modelTraffic: this.modelTraffic, disposed: () => this.disposed });
      // Through `this` at call time: sim/world/recording.ts wraps invokeModel and invokeEndpoint on the instance.
      const world = { invokeModel: (i: InvokeCommandInput) => this.invokeModel(i), invokeEndpoint: (i: InvokeEndpointCommandInput) => this.invokeEndpoint(i), describeAlarms: (i: DescribeAlarmsCommandInput) => this.describeAlarms(i) };
      this.mocks.push(wireMocks({ ...this.services(), calls: this.calls, sns: this.sns, ssm: this.ssm, appconfig: this.appconfig, world }));
      this.glue.startBackgroundProcesses();
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
    return this.lambda.alias(this.modelFunctionName, this.aliasName);
  }

  public get modelFunctionName(): string {
    return this.model.functionName ?? '';
  }

  /** The Lambda canary's alias name ('' for another kind). */
  public get aliasName(): string {
    return this.model.config.aliasName ?? '';
  }

  /** What the simulated canary routes: its kind (sim/targets/index.ts). */
  public get targetKind(): string {
    return this.model.kind;
  }

  /** The simulated canary's Target, resolved (the workflow's `plan.target`). */
  public get targetConfig(): ModelTarget['config'] {
    return this.model.config;
  }

  /** The simulated canary's routing: its share now and after each change, how its traffic goes. */
  public get target(): SimTarget {
    return this.modelTraffic.target;
  }

  /** The SageMaker canary's endpoint name ('' for another kind). */
  public get endpointName(): string {
    return this.model.config.endpointName ?? '';
  }

  /** The SageMaker canary's endpoint as it is now (undefined for another kind or before the first deploy). */
  public endpoint(): EndpointRecord | undefined {
    return this.sagemaker.endpoint(this.endpointName);
  }

  /** Every change of the SageMaker canary's endpoint, oldest first. */
  public endpointHistory(): EndpointChange[] {
    return this.sagemaker.history.filter((c) => c.endpointName === this.endpointName);
  }

  /**
   * One CloudFormation deploy of the stack with the model function at `version` (for a SageMaker
   * canary: the model named `version`, which CloudFormation creates): publishes the
   * version, updates the state machine, sends Create/Update to the release custom resource (the
   * real release handler; it may start a rollout), then, after `cfnDependentsDelaySeconds` of
   * virtual time, updates the resources that depend on the release (the guard alarms).
   */
  public deploy(version: string): Promise<DeployResult> {
    return this.deployer.deploy(version);
  }

  /**
   * A stack update to another template of the same stack (a new release of the library), deploying
   * `version`: added resources created, kept ones updated, removed ones deleted in the cleanup
   * phase, custom resources answered by the functions of their own ServiceToken.
   */
  public updateStack(next: SynthesizedStack, version: string): Promise<DeployResult> {
    const { lambda, sfn, events, cloudwatch, sns } = this;
    return updateStack(
      {
        lambda, sfn, events, cloudwatch, sns,
        build: (template, previous) => {
          const resources = new StackResources(template, this.stackName, this.lambda, this.sns, this.ssm, this.appconfig);
          carryOver(previous, resources, this.template, template);
          resources.createResources();
          resources.findModelTarget(this.options.canaryName);
          return { template, resources, deployer: new Deployer({ ...this.services(), template, options: this.options, resources, clock: this.clock, random: this.random, invoker: this.invoker, target: () => this.target }) };
        },
        adopt: (state) => {
          this.template = state.template;
          this.resources = state.resources;
          this.deployer = state.deployer;
          this.modelTraffic.rebind(state.template, state.resources);
        },
        deploy: (state) => state.deployer.deploy(version),
        advance: (ms) => this.clock.advance(ms),
        cleanupDelayMs: (this.options.cfnDependentsDelaySeconds ?? 10) * 1000,
      },
      { template: this.template, resources: this.resources, deployer: this.deployer },
      next.template,
    );
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
    while (this.now() < deadline && (execution.status === 'RUNNING' || this.invoker.pendingAsync > 0)) {
      await this.clock.advance(1000);
    }
    const settle = Math.min(deadline - this.now(), (opts.settleSeconds ?? 10) * 1000);
    if (settle > 0) await this.clock.advance(settle);
    // Still running at the deadline: its end would never come (nothing advances the clock now).
    if (execution.status !== 'RUNNING') await execution.done.then(() => undefined, () => undefined);
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
    return this.lambda.aliasSnapshots(this.modelFunctionName, this.aliasName);
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

  // ---------------------------------------------------------------- internals

  /** The simulators every part of the world shares. */
  private services() {
    const { template, stackName, metrics, lambda, sagemaker, cloudwatch, compositeAlarms, events, sfn, traffic, bedrock } = this;
    return { template, stackName, metrics, lambda, sagemaker, cloudwatch, compositeAlarms, events, sfn, traffic, bedrock };
  }

  // The names below are the world's own operations the SDK mocks call through `this` (sim/world/recording.ts
  // wraps invokeModel and invokeEndpoint) and the state test/workflow/iam-coverage.test.ts reads.

  /** The canary the world simulates. */
  private get model(): ModelTarget {
    return this.resources.model;
  }

  protected get resolver(): IntrinsicResolver {
    return this.resources.resolver;
  }

  protected get customResources(): Map<string, CustomResourceRecord> {
    return this.resources.customResources;
  }

  protected invokeHandler(fn: FunctionRecord, event: unknown, async: boolean, attempt = 1): Promise<Invocation> {
    return this.invoker.invokeHandler(fn, event, async, attempt);
  }

  private invokeModel(input: InvokeCommandInput): InvokeCommandOutput {
    return this.modelTraffic.invokeModel(input);
  }

  private invokeEndpoint(input: InvokeEndpointCommandInput): InvokeEndpointCommandOutput {
    return this.modelTraffic.invokeEndpoint(input);
  }

  private describeAlarms(input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput {
    return this.glue.describeAlarms(input);
  }
}
