/**
 * Records each SDK request a handler makes, as sent (service, operation, input), for the IAM
 * coverage test. What IAM authorizes for it comes from AWS's Service Authorization Reference
 * (iam-authorization.ts), not from here: the recorder holds no belief about resources.
 *
 * It wraps a SimWorld from outside (its simulators' public methods and its call log), so world.ts
 * does not have to know about IAM: the simulator is called with the request right before the call
 * is logged with its caller, both synchronously, so the two pair up one to one.
 */
import type { ServiceName } from '../aws/core/aws-errors';
import type { ApiCall, SimWorld } from './world';

export interface RecordedCall {
  /** Virtual epoch ms of the call. */
  readonly at: number;
  /** The handler whose role signs the request. */
  readonly caller: string;
  readonly service: ServiceName;
  readonly operation: string;
  /** The request as the handler sent it. */
  readonly input: Readonly<Record<string, unknown>>;
}

type Input = Record<string, unknown>;

export class CallRecorder {
  public readonly calls: RecordedCall[] = [];
  /** Calls the recorder could not attribute (no caller, or a fault answered before the service saw the request). */
  public readonly unattributed: ApiCall[] = [];
  private pending: { operation: string; input: Input } | undefined;
  /** Wrapped methods in progress: only the outermost one is the request (a simulator may call another). */
  private depth = 0;

  constructor(world: SimWorld) {
    // [simulator, method the SDK mock calls with the request, API operation]
    const sims: [object, string, string][] = [
      [world.lambda, 'getAlias', 'GetAlias'],
      [world.lambda, 'createAlias', 'CreateAlias'],
      [world.lambda, 'updateAlias', 'UpdateAlias'],
      [world.lambda, 'deleteAlias', 'DeleteAlias'],
      [world.lambda, 'getFunctionConfiguration', 'GetFunctionConfiguration'],
      [world, 'invokeModel', 'Invoke'],
      [world.cloudwatch, 'describeAlarms', 'DescribeAlarms'],
      [world.cloudwatch, 'getMetricData', 'GetMetricData'],
      [world.cloudwatch, 'putMetricData', 'PutMetricData'],
      [world.cloudwatch, 'putMetricAlarm', 'PutMetricAlarm'],
      [world.cloudwatch, 'setAlarmState', 'SetAlarmState'],
      [world.sns, 'publish', 'Publish'],
      [world.sfn, 'startExecution', 'StartExecution'],
      [world.sfn, 'listExecutions', 'ListExecutions'],
      [world.sfn, 'stopExecution', 'StopExecution'],
      [world.sfn, 'describeExecution', 'DescribeExecution'],
      [world.sagemaker, 'createEndpointConfig', 'CreateEndpointConfig'],
      [world.sagemaker, 'createEndpoint', 'CreateEndpoint'],
      [world.sagemaker, 'describeEndpoint', 'DescribeEndpoint'],
      [world.sagemaker, 'updateEndpoint', 'UpdateEndpoint'],
      [world.sagemaker, 'updateEndpointWeightsAndCapacities', 'UpdateEndpointWeightsAndCapacities'],
      [world.sagemaker, 'deleteEndpoint', 'DeleteEndpoint'],
      [world.sagemaker, 'addTags', 'AddTags'],
      [world.sagemaker, 'listTags', 'ListTags'],
      [world.sagemaker, 'deleteTags', 'DeleteTags'],
      [world, 'invokeEndpoint', 'InvokeEndpoint'],
      [world.ssm, 'putParameter', 'PutParameter'],
      [world.ssm, 'getParameter', 'GetParameter'],
      [world.ssm, 'getParametersByPath', 'GetParametersByPath'],
      [world.ssm, 'getParameterHistory', 'GetParameterHistory'],
      [world.sfn, 'describeStateMachine', 'DescribeStateMachine'],
      [world.sfn, 'getExecutionHistory', 'GetExecutionHistory'],
      [world.appconfig, 'createHostedConfigurationVersion', 'CreateHostedConfigurationVersion'],
      [world.appconfig, 'getHostedConfigurationVersion', 'GetHostedConfigurationVersion'],
      [world.appconfig, 'listHostedConfigurationVersions', 'ListHostedConfigurationVersions'],
      [world.appconfig, 'deleteHostedConfigurationVersion', 'DeleteHostedConfigurationVersion'],
      [world.appconfig, 'listDeployments', 'ListDeployments'],
      [world.appconfig, 'startDeployment', 'StartDeployment'],
      [world.appconfig, 'stopDeployment', 'StopDeployment'],
    ];
    // A simulator that lacks a method simply has no such call to record: a call that reaches the
    // log without a recorded request is counted in `unattributed`, which the coverage test checks.
    for (const [target, method, operation] of sims) {
      if (typeof (target as Record<string, unknown>)[method] === 'function') this.wrap(target, method, operation);
    }

    const log = world.apiCalls;
    const push = log.push.bind(log);
    log.push = (...items: ApiCall[]): number => {
      for (const call of items) {
        const pending = this.pending;
        this.pending = undefined;
        if (call.caller && pending && pending.operation === call.operation) {
          this.calls.push({ at: call.at, caller: call.caller, service: call.service, operation: call.operation, input: pending.input });
        } else {
          this.unattributed.push(call);
        }
      }
      return push(...items);
    };
  }

  private wrap(target: object, method: string, operation: string): void {
    const obj = target as Record<string, (...args: unknown[]) => unknown>;
    const original = obj[method];
    obj[method] = (...args: unknown[]) => {
      if (this.depth === 0) this.pending = { operation, input: structuredClone((args[0] ?? {}) as Input) };
      this.depth++;
      try {
        return original.apply(target, args);
      } finally {
        this.depth--;
      }
    };
  }
}
