/**
 * The handlers' AWS SDK clients, simulated: aws-sdk-client-mock routes each command to its
 * simulator through one call layer that, per attempt, takes `apiLatencyMs` of virtual time, meets
 * fault injection first, records the call, and retries like SDK v3's standard mode (the mock
 * replaces `send()` and with it the SDK's own retry middleware).
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
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
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
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
import { GetParameterCommand, GetParameterHistoryCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, type GetCallerIdentityCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { createSandbox } from 'sinon';
import { type FaultKind, faultError, type ServiceName } from '../aws/core/aws-errors';
import type { VirtualClock } from '../aws/core/clock';
import type { CloudWatchSim } from '../aws/cloudwatch/cloudwatch';
import type { AlarmDefinition } from '../aws/cloudwatch/alarm-types';
import type { AlarmState } from '../aws/cloudwatch/alarm-evaluation';
import type { FaultInjector } from '../aws/core/faults';
import type { LambdaSim } from '../aws/lambda/lambda';
import type { Random } from '../aws/core/random';
import type { SageMakerSim } from '../aws/sagemaker/sagemaker';
import type { SnsSim } from '../aws/sns/sns';
import { operatorArn, type SsmSim } from '../aws/ssm/ssm';
import type { AppConfigSim } from '../aws/appconfig/appconfig';
import { wireAppConfigMocks } from './sdk-mocks-appconfig';
import type { StepFunctionsSim } from '../aws/stepfunctions/stepfunctions';
import { ACCOUNT, PARTITION } from '../aws/core/account';
import type { ApiCall, SimWorldOptions } from './world-types';

/** What the SDK mocks route to. The world's own operations are called through `world` at call time, so a wrapper (sim/world/recording.ts) sees them. */
export interface MockTargets {
  readonly calls: SdkCalls;
  readonly lambda: LambdaSim;
  readonly cloudwatch: CloudWatchSim;
  readonly sns: SnsSim;
  readonly sfn: StepFunctionsSim;
  readonly sagemaker: SageMakerSim;
  readonly ssm: SsmSim;
  readonly appconfig: AppConfigSim;
  readonly world: {
    invokeModel(input: InvokeCommandInput): InvokeCommandOutput;
    invokeEndpoint(input: InvokeEndpointCommandInput): InvokeEndpointCommandOutput;
    describeAlarms(input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput;
  };
}

/**
 * Replaces every SDK client the handlers create with aws-sdk-client-mock, routing each command to
 * its simulator; a command the simulator does not implement throws. Returns what restores them.
 *
 * The stubs live in a sandbox of their own: in sinon's default sandbox a restored stub stays listed
 * for good, with its call history and the stack of its creation, and through them the whole world.
 */
export function wireMocks(t: MockTargets): { restore(): void } {
    const sandbox = createSandbox();
    const lambda = mockClient(LambdaClient, { sandbox });
    const cw = mockClient(CloudWatchClient, { sandbox });
    const sns = mockClient(SNSClient, { sandbox });
    const sfn = mockClient(SFNClient, { sandbox });
    const sagemaker = mockClient(SageMakerClient, { sandbox });
    const runtime = mockClient(SageMakerRuntimeClient, { sandbox });
    const ssm = mockClient(SSMClient, { sandbox });
    const sts = mockClient(STSClient, { sandbox });
    const unsupported = (service: string) => () => {
      throw new Error(`The simulator does not implement this ${service} command`);
    };
    lambda.onAnyCommand().callsFake(unsupported('Lambda'));
    cw.onAnyCommand().callsFake(unsupported('CloudWatch'));
    sns.onAnyCommand().callsFake(unsupported('SNS'));
    sfn.onAnyCommand().callsFake(unsupported('Step Functions'));
    sagemaker.onAnyCommand().callsFake(unsupported('SageMaker'));
    runtime.onAnyCommand().callsFake(unsupported('SageMaker Runtime'));
    ssm.onAnyCommand().callsFake(unsupported('SSM'));
    sts.onAnyCommand().callsFake(unsupported('STS'));
    wireAppConfigMocks(sandbox, t.calls, t.appconfig);

    lambda.on(GetAliasCommand).callsFake((i) => t.calls.call('lambda', 'GetAlias', () => t.lambda.getAlias(i)));
    lambda.on(GetFunctionConfigurationCommand).callsFake((i) => t.calls.call('lambda', 'GetFunctionConfiguration', () => t.lambda.getFunctionConfiguration(i)));
    lambda.on(CreateAliasCommand).callsFake((i) => t.calls.call('lambda', 'CreateAlias', (by) => t.lambda.createAlias(i, by)));
    lambda.on(UpdateAliasCommand).callsFake((i) => t.calls.call('lambda', 'UpdateAlias', (by) => t.lambda.updateAlias(i, by)));
    lambda.on(DeleteAliasCommand).callsFake((i) => t.calls.call('lambda', 'DeleteAlias', (by) => t.lambda.deleteAlias(i, by)));
    lambda.on(InvokeCommand).callsFake((i) => t.calls.call('lambda', 'Invoke', () => t.world.invokeModel(i)));
    cw.on(DescribeAlarmsCommand).callsFake((i) => t.calls.call('cloudwatch', 'DescribeAlarms', () => t.world.describeAlarms(i)));
    cw.on(GetMetricDataCommand).callsFake((i) => t.calls.call('cloudwatch', 'GetMetricData', () => t.cloudwatch.getMetricData(i)));
    cw.on(PutMetricDataCommand).callsFake((i) => t.calls.call('cloudwatch', 'PutMetricData', () => t.cloudwatch.putMetricData(i)));
    cw.on(PutMetricAlarmCommand).callsFake((i) =>
      t.calls.call('cloudwatch', 'PutMetricAlarm', () => {
        t.cloudwatch.putMetricAlarm(i as unknown as AlarmDefinition);
        return { $metadata: { httpStatusCode: 200 } };
      }),
    );
    cw.on(SetAlarmStateCommand).callsFake((i) =>
      t.calls.call('cloudwatch', 'SetAlarmState', () => {
        t.cloudwatch.setAlarmState(i.AlarmName ?? '', i.StateValue as AlarmState, i.StateReason ?? '', i.StateReasonData);
        return { $metadata: { httpStatusCode: 200 } };
      }),
    );
    sns.on(PublishCommand).callsFake((i) => t.calls.call('sns', 'Publish', (by) => t.sns.publish(i, by)));
    sfn.on(StartExecutionCommand).callsFake((i) => t.calls.call('sfn', 'StartExecution', () => t.sfn.startExecution(i)));
    sfn.on(StopExecutionCommand).callsFake((i) => t.calls.call('sfn', 'StopExecution', () => t.sfn.stopExecution(i)));
    sfn.on(ListExecutionsCommand).callsFake((i) => t.calls.call('sfn', 'ListExecutions', () => t.sfn.listExecutions(i)));
    sfn.on(DescribeExecutionCommand).callsFake((i) => t.calls.call('sfn', 'DescribeExecution', () => t.sfn.describeExecution(i)));
    sfn.on(DescribeStateMachineCommand).callsFake((i) => t.calls.call('sfn', 'DescribeStateMachine', () => t.sfn.describeStateMachine(i)));
    sfn.on(GetExecutionHistoryCommand).callsFake((i) => t.calls.call('sfn', 'GetExecutionHistory', () => t.sfn.getExecutionHistory(i)));
    ssm.on(PutParameterCommand).callsFake((i) => t.calls.call('ssm', 'PutParameter', (by) => t.ssm.putParameter(i, by)));
    ssm.on(GetParameterCommand).callsFake((i) => t.calls.call('ssm', 'GetParameter', () => t.ssm.getParameter(i)));
    ssm.on(GetParametersByPathCommand).callsFake((i) => t.calls.call('ssm', 'GetParametersByPath', () => t.ssm.getParametersByPath(i)));
    ssm.on(GetParameterHistoryCommand).callsFake((i) => t.calls.call('ssm', 'GetParameterHistory', () => t.ssm.getParameterHistory(i)));
    sts.on(GetCallerIdentityCommand).callsFake(() => t.calls.call('sts', 'GetCallerIdentity', (by) => callerIdentity(by)));
    const sm = t.sagemaker;
    sagemaker.on(CreateEndpointConfigCommand).callsFake((i) => t.calls.call('sagemaker', 'CreateEndpointConfig', () => sm.createEndpointConfig(i)));
    sagemaker.on(CreateEndpointCommand).callsFake((i) => t.calls.call('sagemaker', 'CreateEndpoint', (by) => sm.createEndpoint(i, by)));
    sagemaker.on(DescribeEndpointCommand).callsFake((i) => t.calls.call('sagemaker', 'DescribeEndpoint', () => sm.describeEndpoint(i)));
    sagemaker.on(UpdateEndpointCommand).callsFake((i) => t.calls.call('sagemaker', 'UpdateEndpoint', (by) => sm.updateEndpoint(i, by)));
    sagemaker
      .on(UpdateEndpointWeightsAndCapacitiesCommand)
      .callsFake((i) => t.calls.call('sagemaker', 'UpdateEndpointWeightsAndCapacities', (by) => sm.updateEndpointWeightsAndCapacities(i, by)));
    sagemaker.on(DeleteEndpointCommand).callsFake((i) => t.calls.call('sagemaker', 'DeleteEndpoint', (by) => sm.deleteEndpoint(i, by)));
    sagemaker.on(AddTagsCommand).callsFake((i) => t.calls.call('sagemaker', 'AddTags', () => sm.addTags(i)));
    sagemaker.on(ListTagsCommand).callsFake((i) => t.calls.call('sagemaker', 'ListTags', () => sm.listTags(i)));
    sagemaker.on(DeleteTagsCommand).callsFake((i) => t.calls.call('sagemaker', 'DeleteTags', () => sm.deleteTags(i)));
    runtime.on(InvokeEndpointCommand).callsFake((i) => t.calls.call('sagemaker-runtime', 'InvokeEndpoint', () => t.world.invokeEndpoint(i)));
    return sandbox;
}

/**
 * GetCallerIdentity (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html):
 * a handler answers as its execution role's session; test/CLI code as SIM_CALLER_ARN, by default
 * the IAM user `operator`.
 */
function callerIdentity(by: string | undefined): GetCallerIdentityCommandOutput {
  if (by) {
    return {
      $metadata: { httpStatusCode: 200 },
      Account: ACCOUNT,
      Arn: `arn:${PARTITION}:sts::${ACCOUNT}:assumed-role/${by}-role/${by}`,
      UserId: `AROASIMULATEDROLE0001:${by}`,
    };
  }
  return { $metadata: { httpStatusCode: 200 }, Account: ACCOUNT, Arn: operatorArn(), UserId: 'AIDASIMULATEDOPERATOR' };
}

export interface CallLayerDeps {
  readonly options: SimWorldOptions;
  readonly clock: VirtualClock;
  readonly random: Random;
  readonly faults: FaultInjector;
  readonly apiCalls: ApiCall[];
  /** The handler running now (its name signs the calls it makes). */
  readonly caller: AsyncLocalStorage<{ fn: string }>;
}

export class SdkCalls {
  constructor(private readonly d: CallLayerDeps) {}

  /**
   * One API call from a handler, with the SDK client's retries: each attempt takes `apiLatencyMs`,
   * meets fault injection first, then the simulated service, and is recorded either way.
   */
  public async call<T>(service: ServiceName, operation: string, run: (caller?: string) => T): Promise<T> {
    const caller = this.d.caller.getStore()?.fn;
    const maxAttempts = Math.max(1, this.d.options.sdkMaxAttempts ?? 3);
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
        await this.d.clock.sleep(Math.floor(this.d.random.next() * Math.min(20_000, base * 2 ** (attempt - 1))));
      }
    }
  }

  private async attempt<T>(service: ServiceName, operation: string, run: (caller?: string) => T, caller: string | undefined, attempt: number): Promise<T> {
    const latency = this.d.options.apiLatencyMs ?? 20;
    if (latency > 0) await this.d.clock.sleep(latency);
    const fault: FaultKind | undefined = this.d.faults.take(operation, caller, this.d.clock.now());
    if (fault !== undefined) {
      if (fault === 'timeout') await this.d.clock.sleep(this.d.options.timeoutFaultMs ?? 3000);
      const err = faultError(service, operation, fault);
      this.d.apiCalls.push({ at: this.d.clock.now(), service, operation, caller, attempt, error: err.name });
      throw err;
    }
    try {
      const out = run(caller);
      this.d.apiCalls.push({ at: this.d.clock.now(), service, operation, caller, attempt });
      return structuredClone(out);
    } catch (err) {
      this.d.apiCalls.push({ at: this.d.clock.now(), service, operation, caller, attempt, error: (err as Error).name });
      throw err;
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

