/**
 * Systems Manager Parameter Store, String parameters only: PutParameter, GetParameter,
 * GetParametersByPath and GetParameterHistory, with the limits AWS documents, and every successful
 * put announced on EventBridge as a "Parameter Store Change" event.
 *
 * API: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
 * Quotas: https://docs.aws.amazon.com/general/latest/gr/ssm.html
 * Events: https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-cwe.html
 */
import type {
  GetParameterCommandInput,
  GetParameterCommandOutput,
  GetParameterHistoryCommandInput,
  GetParameterHistoryCommandOutput,
  GetParametersByPathCommandInput,
  GetParametersByPathCommandOutput,
  Parameter,
  ParameterHistory,
  PutParameterCommandInput,
  PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import { awsError } from '../core/aws-errors';
import type { BusEvent } from '../eventbridge/eventbridge';
import { ACCOUNT, PARTITION, REGION } from '../core/account';

/** Standard tier: "4 KB" per value (quotas page; PutParameter's Value). Advanced: 8 KB. */
export const MAX_STANDARD_VALUE_CHARS = 4096;
export const MAX_ADVANCED_VALUE_CHARS = 8192;
/**
 * PutParameter's Name: "The maximum length for a parameter name that you create is 1011
 * characters. This includes the characters in the ARN that precede the name you specify"
 * (API_PutParameter.html). Enforced here on the ARN: prefix + name.
 */
export const MAX_NAME_CHARS = 1011;
/** "Parameter hierarchies are limited to a maximum depth of fifteen levels" (API_PutParameter.html; quotas page). */
export const MAX_HIERARCHY_LEVELS = 15;
/** Versions kept per parameter (quotas page: "Max number of parameter versions": 100). */
export const MAX_VERSIONS = 100;
/** GetParametersByPath's MaxResults: 1-10, default 10 (API_GetParametersByPath.html). */
export const MAX_PATH_RESULTS = 10;
/** GetParameterHistory's MaxResults: 1-50, default 50 (API_GetParameterHistory.html). */
export const MAX_HISTORY_RESULTS = 50;

export interface ParameterVersion {
  readonly name: string;
  readonly type: 'String';
  readonly value: string;
  readonly version: number;
  readonly description?: string;
  readonly tier: 'Standard' | 'Advanced';
  /** Virtual epoch ms. */
  readonly lastModified: number;
  /** The handler that made the call (undefined for calls from test or CLI code). */
  readonly by?: string;
}

export interface ParameterRecord {
  readonly name: string;
  /** Oldest first; the last one is the current value. */
  readonly versions: ParameterVersion[];
  /** The last version number given (versions dropped from history still count). */
  version: number;
}

/** Arn of the identity test/CLI calls are made with (also what STS GetCallerIdentity answers). */
export function operatorArn(): string {
  return process.env.SIM_CALLER_ARN ?? `arn:${PARTITION}:iam::${ACCOUNT}:user/operator`;
}

/** A parameter's ARN: the leading slash of a hierarchical name is not repeated after `parameter/`. */
export function parameterArn(name: string): string {
  return `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter/${name.replace(/^\//, '')}`;
}

const validation = (message: string) => awsError('ssm', 'ValidationException', 400, message);

/** Name rules of PutParameter (API_PutParameter.html, Name). */
export function validateParameterName(name: string): void {
  if (name.length === 0) throw validation('Parameter name must not be empty.');
  if (parameterArn(name).length > MAX_NAME_CHARS) {
    throw validation(`Parameter name ${name.slice(0, 40)}... is too long: with its ARN prefix it must be at most ${MAX_NAME_CHARS} characters.`);
  }
  // "Parameter names can include only the following symbols and letters: a-zA-Z0-9_.-" and '/' for hierarchies.
  if (!/^[a-zA-Z0-9_.\-/]+$/.test(name)) {
    throw validation(`Parameter name ${name}: it must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore), / (hierarchy).`);
  }
  // "A parameter name can't be prefixed with "aws" or "ssm" (case-insensitive)."
  const first = name.replace(/^\//, '').split('/')[0].toLowerCase();
  if (first.startsWith('aws') || first.startsWith('ssm')) {
    throw validation(`No access to reserved parameter name: ${name}.`);
  }
  if (name.includes('/')) {
    // Hierarchical names are fully qualified: they begin with '/', and no level is empty.
    if (!name.startsWith('/')) throw validation(`Parameter name: a hierarchical name must be fully qualified (begin with /): ${name}`);
    const levels = name.slice(1).split('/');
    if (levels.some((l) => l === '')) throw validation(`Parameter name: a hierarchy level must not be empty: ${name}`);
    if (levels.length > MAX_HIERARCHY_LEVELS) {
      // The API reference lists HierarchyLevelLimitExceededException for this case.
      throw awsError('ssm', 'HierarchyLevelLimitExceededException', 400, `A hierarchy can have a maximum of ${MAX_HIERARCHY_LEVELS} levels.`);
    }
  }
}

export class SsmSim {
  public readonly parameters = new Map<string, ParameterRecord>();
  /** Every "Parameter Store Change" event sent, oldest first. */
  public readonly changes: BusEvent[] = [];
  private eventCount = 0;

  constructor(
    private readonly now: () => number,
    /** EventBridge's default bus (the world passes EventBridgeSim.putEvent). */
    private readonly emit: (event: BusEvent) => void = () => undefined,
  ) {}

  public putParameter(input: PutParameterCommandInput, by?: string): PutParameterCommandOutput {
    const name = input.Name ?? '';
    validateParameterName(name);
    const type = input.Type ?? this.parameters.get(name)?.versions.at(-1)?.type ?? 'String';
    if (type !== 'String') throw new Error(`The simulator's Parameter Store holds String parameters only (got ${type})`);
    const tier = input.Tier === 'Advanced' ? 'Advanced' : 'Standard';
    const value = input.Value;
    if (value === undefined) throw validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must not be null");
    const max = tier === 'Advanced' ? MAX_ADVANCED_VALUE_CHARS : MAX_STANDARD_VALUE_CHARS;
    if (value.length > max) {
      throw validation(`${tier} tier parameters support a maximum parameter value of ${max} characters. Parameter value has ${value.length} characters.`);
    }
    const existing = this.parameters.get(name);
    if (existing && !input.Overwrite) {
      throw awsError('ssm', 'ParameterAlreadyExists', 400, 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    }
    const record: ParameterRecord = existing ?? { name, versions: [], version: 0 };
    record.version += 1;
    const description = input.Description ?? existing?.versions.at(-1)?.description;
    record.versions.push({ name, type: 'String', value, version: record.version, description, tier, lastModified: this.now(), by });
    // "When you create the 101st version, the oldest version is removed from history" (quotas page).
    if (record.versions.length > MAX_VERSIONS) record.versions.shift();
    this.parameters.set(name, record);
    this.announce(existing ? 'Update' : 'Create', name, description);
    return { $metadata: { httpStatusCode: 200 }, Version: record.version, Tier: tier };
  }

  public getParameter(input: GetParameterCommandInput): GetParameterCommandOutput {
    const { name, version } = this.selector(input.Name ?? '');
    const p = this.parameters.get(name);
    const v = p && (version === undefined ? p.versions.at(-1) : p.versions.find((x) => x.version === version));
    if (!p || !v) throw awsError('ssm', version === undefined ? 'ParameterNotFound' : 'ParameterVersionNotFound', 400, `Parameter ${input.Name} not found.`);
    return { $metadata: { httpStatusCode: 200 }, Parameter: toParameter(v, version === undefined ? undefined : input.Name) };
  }

  /**
   * GetParametersByPath: the parameters directly under Path (Recursive: every level below), sorted
   * by name, MaxResults (1-10) per page with NextToken.
   */
  public getParametersByPath(input: GetParametersByPathCommandInput): GetParametersByPathCommandOutput {
    const path = input.Path ?? '';
    if (!path.startsWith('/')) throw validation(`The parameter path ${path} doesn't begin with a slash (/).`);
    const max = pageSize(input.MaxResults, MAX_PATH_RESULTS);
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const all = [...this.parameters.values()]
      .filter((p) => {
        const full = p.name.startsWith('/') ? p.name : `/${p.name}`;
        if (!full.startsWith(prefix)) return false;
        return input.Recursive || !full.slice(prefix.length).includes('/');
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const offset = this.token(input.NextToken);
    const page = all.slice(offset, offset + max);
    return {
      $metadata: { httpStatusCode: 200 },
      Parameters: page.map((p) => toParameter(p.versions.at(-1)!)),
      NextToken: offset + max < all.length ? String(offset + max) : undefined,
    };
  }

  public getParameterHistory(input: GetParameterHistoryCommandInput): GetParameterHistoryCommandOutput {
    const p = this.parameters.get(input.Name ?? '');
    if (!p) throw awsError('ssm', 'ParameterNotFound', 400, `Parameter ${input.Name} not found.`);
    const max = pageSize(input.MaxResults, MAX_HISTORY_RESULTS);
    const offset = this.token(input.NextToken);
    const page = p.versions.slice(offset, offset + max);
    return {
      $metadata: { httpStatusCode: 200 },
      Parameters: page.map(
        (v): ParameterHistory => ({
          Name: v.name,
          Type: v.type,
          Value: v.value,
          Version: v.version,
          Description: v.description,
          Tier: v.tier,
          DataType: 'text',
          Labels: [],
          Policies: [],
          LastModifiedDate: new Date(v.lastModified),
          LastModifiedUser: v.by ?? operatorArn(),
        }),
      ),
      NextToken: offset + max < p.versions.length ? String(offset + max) : undefined,
    };
  }

  /** The current value of a parameter (for tests and the world), undefined when absent. */
  public value(name: string): string | undefined {
    return this.parameters.get(name)?.versions.at(-1)?.value;
  }

  /** `name`, `name:version` or the parameter's ARN (GetParameter's Name). */
  private selector(raw: string): { name: string; version?: number } {
    const m = /^(.*):(\d+)$/.exec(raw);
    let name = m ? m[1] : raw;
    const arnPrefix = `arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter/`;
    if (name.startsWith(arnPrefix)) {
      const rest = name.slice(arnPrefix.length);
      name = this.parameters.has(rest) ? rest : `/${rest}`;
    }
    return m ? { name, version: Number(m[2]) } : { name };
  }

  private token(token: string | undefined): number {
    if (token === undefined) return 0;
    const n = Number(token);
    if (!Number.isInteger(n) || n < 0) throw awsError('ssm', 'InvalidNextToken', 400, 'The specified token is not valid.');
    return n;
  }

  private announce(operation: 'Create' | 'Update', name: string, description: string | undefined): void {
    const event: BusEvent = {
      version: '0',
      // Its own id sequence: the seeded random stream stays what it was without these events.
      id: `ssm-change-${++this.eventCount}`,
      'detail-type': 'Parameter Store Change',
      source: 'aws.ssm',
      account: ACCOUNT,
      time: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: REGION,
      resources: [parameterArn(name)],
      detail: { operation, name, type: 'String', description: description ?? '' },
    };
    this.changes.push(event);
    this.emit(event);
  }
}

function pageSize(requested: number | undefined, max: number): number {
  if (requested === undefined) return max;
  if (!Number.isInteger(requested) || requested < 1 || requested > max) {
    throw validation(`1 validation error detected: Value '${requested}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  }
  return requested;
}

function toParameter(v: ParameterVersion, selector?: string): Parameter {
  return {
    Name: v.name,
    Type: v.type,
    Value: v.value,
    Version: v.version,
    Selector: selector ? selector.slice(selector.lastIndexOf(':')) : undefined,
    LastModifiedDate: new Date(v.lastModified),
    ARN: parameterArn(v.name),
    DataType: 'text',
  };
}
