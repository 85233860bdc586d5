import type {
  AliasConfiguration,
  CreateAliasCommandInput,
  DeleteAliasCommandInput,
  FunctionConfiguration,
  GetAliasCommandInput,
  GetFunctionConfigurationCommandInput,
  UpdateAliasCommandInput,
} from '@aws-sdk/client-lambda';
import { awsError } from '../core/aws-errors';
import type { Random } from '../core/random';
import { ACCOUNT, PARTITION, REGION } from '../core/account';

export interface AliasState {
  readonly functionVersion: string;
  /** version → weight (0..1); at most one entry. */
  readonly weights: Readonly<Record<string, number>>;
  readonly revisionId: string;
  readonly description?: string;
}

export interface AliasChange {
  /** Virtual epoch ms. */
  readonly at: number;
  readonly functionName: string;
  readonly alias: string;
  readonly operation: 'CreateAlias' | 'UpdateAlias' | 'DeleteAlias';
  /** The function (handler name) that made the call, when known. */
  readonly by?: string;
  readonly before?: AliasState;
  readonly after?: AliasState;
}

/** An alias as one change left it, with the additional version's share in percent. */
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

export interface FunctionRecord {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly timeoutSeconds: number;
  /** lambda/handlers/<name>.ts, for the library's own functions. */
  readonly handlerName?: string;
  /** A function of the library's 0.1 layout: its handler runs code of that release (SimWorldOptions.legacyHandlers). */
  readonly legacy?: boolean;
  readonly versions: Map<string, PublishedVersion>;
  readonly aliases: Map<string, AliasState>;
}

/** A published version and the configuration weighted routing compares. */
export interface PublishedVersion {
  readonly publishedAt: number;
  /** Execution role ARN (default: the function's `<name>-role`). */
  readonly role: string;
  readonly deadLetterTargetArn?: string;
  readonly environment?: Record<string, string>;
}

export interface VersionConfig {
  readonly role?: string;
  readonly deadLetterTargetArn?: string;
  /** The function's environment variables when the version was published (a version keeps them). */
  readonly environment?: Record<string, string>;
}

const ALIAS_NAME = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;

export function functionArn(name: string): string {
  return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

/**
 * Lambda's control plane for functions, versions and weighted aliases, with the validation Lambda
 * documents: an alias routes to its FunctionVersion plus at most one additional version with a
 * weight in [0, 1]; both must be published versions; every change gets a new RevisionId, and an
 * update that names a stale RevisionId fails with PreconditionFailedException.
 */
export class LambdaSim {
  public readonly functions = new Map<string, FunctionRecord>();
  public readonly aliasHistory: AliasChange[] = [];

  constructor(
    private readonly random: Random,
    private readonly now: () => number,
  ) {}

  /** Every change of one alias, oldest first. */
  public aliasSnapshots(functionName: string, aliasName: string): AliasSnapshot[] {
    return this.aliasHistory
      .filter((c) => c.functionName === functionName && c.alias === aliasName)
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

  /** Deletes a function (a stack update removed it): invoking it then fails as a missing function. */
  public deleteFunction(name: string): void {
    this.functions.delete(name);
  }

  public addFunction(fn: Omit<FunctionRecord, 'arn' | 'versions' | 'aliases'>): FunctionRecord {
    const record: FunctionRecord = { ...fn, arn: functionArn(fn.name), versions: new Map(), aliases: new Map() };
    this.functions.set(fn.name, record);
    return record;
  }

  /** Publishes `version` with the function's configuration of the moment (`config`: its role and DLQ). */
  public publishVersion(functionName: string, version: string, config: VersionConfig = {}): void {
    const fn = this.fn(functionName);
    if (!/^\d+$/.test(version)) throw new Error(`A published version is a number, got ${version}`);
    if (!fn.versions.has(version)) {
      fn.versions.set(version, {
        publishedAt: this.now(),
        role: config.role ?? `arn:aws:iam::${ACCOUNT}:role/${fn.name}-role`,
        ...(config.deadLetterTargetArn ? { deadLetterTargetArn: config.deadLetterTargetArn } : {}),
        ...(config.environment ? { environment: config.environment } : {}),
      });
    }
  }

  public findByArn(arn: string): FunctionRecord | undefined {
    return this.resolveName(arn).fn;
  }

  /** Accepts a name, a function ARN, a partial ARN, or any of them with ":qualifier". */
  public resolveName(functionName: string): { fn?: FunctionRecord; qualifier?: string } {
    let name = functionName;
    let qualifier: string | undefined;
    const arn = /^arn:[^:]+:lambda:[^:]+:\d+:function:([^:]+)(?::(.+))?$/.exec(functionName);
    if (arn) {
      name = arn[1];
      qualifier = arn[2];
    } else if (/^\d{12}:function:/.test(functionName)) {
      const [, , n, q] = functionName.split(':');
      name = n;
      qualifier = q;
    } else if (functionName.includes(':')) {
      [name, qualifier] = functionName.split(':');
    }
    return { fn: this.functions.get(name), qualifier };
  }

  public fn(functionName: string | undefined): FunctionRecord {
    const { fn } = this.resolveName(functionName ?? '');
    if (!fn) {
      throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${functionArn(functionName ?? '')}`);
    }
    return fn;
  }

  public alias(functionName: string, aliasName: string): AliasState | undefined {
    return this.functions.get(functionName)?.aliases.get(aliasName);
  }

  // --- API ---

  /** The configuration of one version (Qualifier) or of $LATEST; only what the library reads. */
  public getFunctionConfiguration(input: GetFunctionConfigurationCommandInput): FunctionConfiguration {
    const fn = this.fn(input.FunctionName);
    const arnQualifier = this.resolveName(input.FunctionName ?? '').qualifier;
    const qualifier = input.Qualifier ?? arnQualifier ?? '$LATEST';
    const version = fn.versions.get(qualifier) ?? (qualifier === '$LATEST' ? undefined : fn.versions.get(fn.aliases.get(qualifier)?.functionVersion ?? ''));
    if (!version && qualifier !== '$LATEST') {
      throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${fn.arn}:${qualifier}`);
    }
    const latest = [...fn.versions.values()].pop();
    const shown = version ?? latest;
    return {
      FunctionName: fn.name,
      FunctionArn: `${fn.arn}:${qualifier}`,
      Version: fn.versions.has(qualifier) ? qualifier : '$LATEST',
      Role: shown?.role ?? `arn:aws:iam::${ACCOUNT}:role/${fn.name}-role`,
      ...(shown?.deadLetterTargetArn ? { DeadLetterConfig: { TargetArn: shown.deadLetterTargetArn } } : {}),
      // A published version's configuration, environment included, is immutable
      // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html).
      ...(shown?.environment ? { Environment: { Variables: { ...shown.environment } } } : {}),
    };
  }

  public getAlias(input: GetAliasCommandInput): AliasConfiguration {
    const fn = this.fn(input.FunctionName);
    const alias = fn.aliases.get(input.Name ?? '');
    if (!alias) throw this.aliasNotFound(fn, input.Name);
    return this.aliasConfig(fn, input.Name!, alias);
  }

  public createAlias(input: CreateAliasCommandInput, by?: string): AliasConfiguration {
    const fn = this.fn(input.FunctionName);
    const name = input.Name ?? '';
    if (!ALIAS_NAME.test(name)) {
      throw awsError('lambda', 'ValidationException', 400, `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint`);
    }
    if (fn.aliases.has(name)) {
      throw awsError('lambda', 'ResourceConflictException', 409, `Alias already exists: ${fn.arn}:${name}`);
    }
    const version = input.FunctionVersion ?? '';
    this.requireVersion(fn, version);
    const weights = this.validWeights(fn, version, input.RoutingConfig?.AdditionalVersionWeights);
    const state: AliasState = { functionVersion: version, weights, revisionId: this.random.uuid(), description: input.Description };
    fn.aliases.set(name, state);
    this.aliasHistory.push({ at: this.now(), functionName: fn.name, alias: name, operation: 'CreateAlias', by, after: state });
    return this.aliasConfig(fn, name, state);
  }

  public updateAlias(input: UpdateAliasCommandInput, by?: string): AliasConfiguration {
    const fn = this.fn(input.FunctionName);
    const name = input.Name ?? '';
    const before = fn.aliases.get(name);
    if (!before) throw this.aliasNotFound(fn, name);
    if (input.RevisionId !== undefined && input.RevisionId !== before.revisionId) {
      throw awsError(
        'lambda',
        'PreconditionFailedException',
        412,
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      );
    }
    const version = input.FunctionVersion ?? before.functionVersion;
    this.requireVersion(fn, version);
    const weights =
      input.RoutingConfig === undefined
        ? this.validWeights(fn, version, before.weights)
        : this.validWeights(fn, version, input.RoutingConfig.AdditionalVersionWeights);
    const after: AliasState = {
      functionVersion: version,
      weights,
      revisionId: this.random.uuid(),
      description: input.Description ?? before.description,
    };
    fn.aliases.set(name, after);
    this.aliasHistory.push({ at: this.now(), functionName: fn.name, alias: name, operation: 'UpdateAlias', by, before, after });
    return this.aliasConfig(fn, name, after);
  }

  public deleteAlias(input: DeleteAliasCommandInput, by?: string): Record<string, never> {
    const fn = this.fn(input.FunctionName);
    const name = input.Name ?? '';
    const before = fn.aliases.get(name);
    // DeleteAlias of a missing alias succeeds (Lambda answers 204 either way).
    if (before) {
      fn.aliases.delete(name);
      this.aliasHistory.push({ at: this.now(), functionName: fn.name, alias: name, operation: 'DeleteAlias', by, before });
    }
    return {};
  }

  /** Which version serves one request through an alias: the weighted draw Lambda makes per invocation. */
  public route(alias: AliasState): string {
    const entries = Object.entries(alias.weights);
    if (entries.length === 0) return alias.functionVersion;
    const [extra, weight] = entries[0];
    return this.random.next() < weight ? extra : alias.functionVersion;
  }

  private requireVersion(fn: FunctionRecord, version: string): void {
    if (version === '$LATEST') return;
    if (!fn.versions.has(version)) {
      throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${fn.arn}:${version}`);
    }
  }

  private validWeights(fn: FunctionRecord, primary: string, weights: Record<string, number> | undefined): Record<string, number> {
    const entries = Object.entries(weights ?? {});
    if (entries.length === 0) return {};
    const invalid = (message: string) => awsError('lambda', 'InvalidParameterValueException', 400, message);
    if (entries.length > 1) throw invalid('Only one additional version can be configured in the routing config');
    const [version, weight] = entries[0];
    if (primary === '$LATEST' || version === '$LATEST') {
      throw invalid('$LATEST is not supported for an alias pointing to more than 1 version');
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 1) {
      throw invalid(`Invalid weight ${weight} for version ${version}: weights must be between 0.0 and 1.0`);
    }
    if (version === primary) throw invalid(`The additional version ${version} must differ from the alias's FunctionVersion`);
    if (!fn.versions.has(version)) throw invalid(`Version ${version} of function ${fn.name} does not exist`);
    // Both versions of a weighted alias need the same execution role and the same DLQ setting:
    // https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
    // (the error's code and text are not documented; InvalidParameterValueException is assumed.)
    const a = fn.versions.get(primary);
    const b = fn.versions.get(version)!;
    if (a && a.role !== b.role) {
      throw invalid(`Versions ${primary} and ${version} of function ${fn.name} have different execution roles: an alias can route between them only when they are the same`);
    }
    if (a && a.deadLetterTargetArn !== b.deadLetterTargetArn) {
      throw invalid(`Versions ${primary} and ${version} of function ${fn.name} have different dead-letter queue configurations: an alias can route between them only when they are the same`);
    }
    return { [version]: weight };
  }

  private aliasNotFound(fn: FunctionRecord, name: string | undefined): Error {
    return awsError('lambda', 'ResourceNotFoundException', 404, `Alias not found: ${fn.arn}:${name ?? ''}`);
  }

  private aliasConfig(fn: FunctionRecord, name: string, alias: AliasState): AliasConfiguration {
    return {
      AliasArn: `${fn.arn}:${name}`,
      Name: name,
      FunctionVersion: alias.functionVersion,
      Description: alias.description,
      RevisionId: alias.revisionId,
      ...(Object.keys(alias.weights).length > 0 ? { RoutingConfig: { AdditionalVersionWeights: { ...alias.weights } } } : {}),
    };
  }
}

/** What Lambda reports for an error thrown by a Node.js handler (errorType is the error's name). */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];
}

export function lambdaErrorPayload(err: unknown): LambdaErrorPayload {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) {
    const e = err as Error;
    return {
      errorType: e.name || 'Error',
      errorMessage: e.message ?? '',
      trace: (e.stack ?? '').split('\n').slice(0, 10),
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}
