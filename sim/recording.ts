/**
 * Records which handler called which AWS action on which resource ARN, for the IAM coverage test.
 * Wraps a SimWorld from outside (its simulators' public methods and its call log), so world.ts does
 * not have to know about IAM: the simulator is called with the request right before the call is
 * logged with its caller, both synchronously, so the two pair up one to one.
 */
import { alarmArn } from './cloudwatch';
import { ACCOUNT, PARTITION, REGION } from './template';
import type { ApiCall, SimWorld } from './world';

export interface AuthorizedCall {
  /** Virtual epoch ms of the call. */
  readonly at: number;
  /** The handler whose role signs the request. */
  readonly caller: string;
  /** IAM action, `service:Operation`. */
  readonly action: string;
  /** The resource ARNs IAM evaluates for this request (each must be allowed). */
  readonly resources: string[];
}

/** IAM action per simulated operation (the SDK command name is not always the action: Invoke → InvokeFunction). */
const ACTIONS: Record<string, string> = {
  GetAlias: 'lambda:GetAlias',
  CreateAlias: 'lambda:CreateAlias',
  UpdateAlias: 'lambda:UpdateAlias',
  DeleteAlias: 'lambda:DeleteAlias',
  Invoke: 'lambda:InvokeFunction',
  DescribeAlarms: 'cloudwatch:DescribeAlarms',
  GetMetricData: 'cloudwatch:GetMetricData',
  PutMetricAlarm: 'cloudwatch:PutMetricAlarm',
  SetAlarmState: 'cloudwatch:SetAlarmState',
  Publish: 'sns:Publish',
  StartExecution: 'states:StartExecution',
  StopExecution: 'states:StopExecution',
  ListExecutions: 'states:ListExecutions',
  DescribeExecution: 'states:DescribeExecution',
};

type Input = Record<string, unknown>;

export class CallRecorder {
  public readonly calls: AuthorizedCall[] = [];
  /** Calls the recorder could not attribute (no caller, or a fault answered before the service saw the request). */
  public readonly unattributed: ApiCall[] = [];
  private pending: string[] | undefined;

  constructor(world: SimWorld) {
    const lambdaArn = (name: unknown): string => {
      const fn = world.lambda.resolveName(String(name ?? '')).fn;
      return fn ? fn.arn : `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${String(name)}`;
    };
    // Alias actions: the function ARN and the alias-qualified ARN. Which one Lambda evaluates is not
    // spelled out per action, so both must be allowed.
    const alias = (i: Input) => [lambdaArn(i.FunctionName), `${lambdaArn(i.FunctionName)}:${String(i.Name)}`];
    this.wrap(world.lambda, 'getAlias', alias);
    this.wrap(world.lambda, 'createAlias', alias);
    this.wrap(world.lambda, 'updateAlias', alias);
    this.wrap(world.lambda, 'deleteAlias', alias);
    this.wrap(world as unknown as Record<string, unknown>, 'invokeModel', (i: Input) => {
      const { fn, qualifier } = world.lambda.resolveName(String(i.FunctionName ?? ''));
      const q = (i.Qualifier as string | undefined) ?? qualifier;
      return [`${fn?.arn ?? lambdaArn(i.FunctionName)}${q ? `:${q}` : ''}`];
    });
    this.wrap(world.cloudwatch, 'describeAlarms', (i: Input) => {
      const names = (i.AlarmNames as string[] | undefined) ?? [];
      return names.length > 0 ? names.map((n) => alarmArn(n)) : ['*'];
    });
    this.wrap(world.cloudwatch, 'getMetricData', () => ['*']);
    this.wrap(world.sns, 'publish', (i: Input) => [String(i.TopicArn)]);
    this.wrap(world.sfn, 'startExecution', (i: Input) => [String(i.stateMachineArn)]);
    this.wrap(world.sfn, 'listExecutions', (i: Input) => [String(i.stateMachineArn)]);
    this.wrap(world.sfn, 'stopExecution', (i: Input) => [String(i.executionArn)]);
    this.wrap(world.sfn, 'describeExecution', (i: Input) => [String(i.executionArn)]);

    const log = world.apiCalls;
    const push = log.push.bind(log);
    log.push = (...items: ApiCall[]): number => {
      for (const call of items) {
        const resources = this.pending;
        this.pending = undefined;
        const action = ACTIONS[call.operation];
        if (call.caller && action && resources) this.calls.push({ at: call.at, caller: call.caller, action, resources });
        else this.unattributed.push(call);
      }
      return push(...items);
    };
  }

  private wrap(target: object, method: string, resources: (input: Input) => string[]): void {
    const obj = target as Record<string, (...args: unknown[]) => unknown>;
    const original = obj[method];
    if (typeof original !== 'function') throw new Error(`CallRecorder: the simulator has no method ${method}`);
    obj[method] = (...args: unknown[]) => {
      this.pending = resources((args[0] ?? {}) as Input);
      return original.apply(target, args);
    };
  }
}
