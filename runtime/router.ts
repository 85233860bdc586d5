/**
 * `ModelRouter`: the application side of a config canary. It reads the routing document the
 * workflow deploys to AWS AppConfig, gives each user the stable or the canary config (sticky, by
 * runtime/routing.ts's rule) and records each request's outcome and latency for the version that
 * served it, so the guards can compare the two.
 */
import { performance } from 'node:perf_hooks';
// A cycle (index.ts re-exports this file last): ModelSignals is used only inside functions.
import { ModelSignals, type ModelRequestSignals, type ModelSignalsOptions } from './model-signals';
import { APPCONFIG_APPLICATION_ENV, APPCONFIG_ENVIRONMENT_ENV, APPCONFIG_PROFILE_ENV } from './signal-names';
import { warnOnce } from './warn-once';
import { choose, parseRouting, type Choice, type RoutingDocument } from './routing';

export const APPCONFIG_AGENT_URL_ENV = 'MODEL_CANARY_APPCONFIG_AGENT_URL';
/** The AppConfig Agent's default address (Lambda extension and container sidecar alike). */
export const DEFAULT_AGENT_URL = 'http://localhost:2772';
/** The version of {@link ModelRouterOptions.defaultConfig}: the Version dimension of what it serves. */
export const DEFAULT_CONFIG_VERSION = 'default';

export interface ModelRouterOptions {
  /** AppConfig application, name or id. @default - env `MODEL_CANARY_APPCONFIG_APPLICATION` */
  readonly application?: string;
  /** AppConfig environment, name or id. @default - env `MODEL_CANARY_APPCONFIG_ENVIRONMENT` */
  readonly environment?: string;
  /** AppConfig configuration profile, name or id. @default - env `MODEL_CANARY_APPCONFIG_PROFILE` */
  readonly profile?: string;
  /**
   * The AppConfig Agent (Lambda extension or sidecar).
   * @default - env `MODEL_CANARY_APPCONFIG_AGENT_URL`, else http://localhost:2772
   */
  readonly agentUrl?: string;
  /**
   * Where the document is read: `agent` (the AppConfig Agent over HTTP) or `sdk` (AppConfigData's
   * StartConfigurationSession and GetLatestConfiguration; install `@aws-sdk/client-appconfigdata`,
   * loaded only on this path).
   * @default 'agent'
   */
  readonly source?: 'agent' | 'sdk';
  /** A routing document given directly (tests, local runs): nothing is read from AppConfig. */
  readonly document?: RoutingDocument;
  /**
   * How long a document read is used before `choose` reads it again, in seconds. A rollout step
   * reaches this process at most this much later; a failed read is retried after it too. With
   * `sdk`, AppConfig's NextPollIntervalInSeconds is waited for when longer.
   * @default 30
   */
  readonly refreshSeconds?: number;
  /**
   * What to serve, as version `default`, while no document has been read: a new process whose
   * store is unreachable. Without it such a process's `choose` throws.
   * @default - none
   */
  readonly defaultConfig?: unknown;
  /** Where requests are recorded: ModelSignals options, or a ModelSignals whose names are used. @default - ModelSignals from the environment */
  readonly signals?: ModelSignalsOptions | ModelSignals;
}

/** A read of the store: a document, or `undefined` when it has not changed since the last read. */
type Reader = () => Promise<RoutingDocument | undefined>;

/**
 * Picks the stable or canary config per user and records each request for the version served.
 *
 * ```ts
 * const router = new ModelRouter({ defaultConfig: { modelId: 'anthropic.claude-3-haiku' } });
 * const answer = await router.run(userId, (choice) => invoke(choice.config, prompt));
 * ```
 */
export class ModelRouter {
  private readonly given?: RoutingDocument;
  private readonly defaultConfig: unknown;
  private readonly refreshMs: number;
  private readonly read?: Reader;
  private readonly missing: string[];
  private readonly signalsOptions: ModelSignalsOptions;
  private readonly signalsByVersion = new Map<string, ModelSignals>();
  /** Signals recorded inside a `run`, written with its outcome when it ends (one request, one document). */
  private readonly pending = new WeakMap<Choice, ModelRequestSignals>();
  private doc?: RoutingDocument;
  private readAt = -Infinity;
  private waitMs = 0;
  private reading?: Promise<void>;
  private failing = false;

  /** Never throws for what the environment lacks (one warning); only for invalid options. */
  constructor(options: ModelRouterOptions = {}) {
    const env = (name: string) => (process.env[name]?.trim() ? process.env[name]!.trim() : undefined);
    const refreshSeconds = options.refreshSeconds ?? 30;
    if (!(refreshSeconds >= 0 && Number.isFinite(refreshSeconds))) {
      throw new Error(`ModelRouter: refreshSeconds must be a non-negative number, got ${refreshSeconds}`);
    }
    const source = options.source ?? 'agent';
    if (source !== 'agent' && source !== 'sdk') throw new Error(`ModelRouter: source must be 'agent' or 'sdk', got ${String(source)}`);
    this.refreshMs = refreshSeconds * 1000;
    this.defaultConfig = options.defaultConfig;
    this.given = options.document && parseRouting(JSON.stringify(options.document), 'ModelRouter: the document option');
    const signals = options.signals;
    this.signalsOptions = signals instanceof ModelSignals
      ? { canaryName: signals.canaryName, stackName: signals.stackName, namespace: signals.namespace, highResolution: signals.highResolution }
      : { ...signals };
    if (signals instanceof ModelSignals) this.signalsByVersion.set(signals.version, signals);

    const where = {
      application: options.application ?? env(APPCONFIG_APPLICATION_ENV),
      environment: options.environment ?? env(APPCONFIG_ENVIRONMENT_ENV),
      profile: options.profile ?? env(APPCONFIG_PROFILE_ENV),
    };
    const envNames = { application: APPCONFIG_APPLICATION_ENV, environment: APPCONFIG_ENVIRONMENT_ENV, profile: APPCONFIG_PROFILE_ENV };
    this.missing = this.given ? [] : (Object.keys(where) as (keyof typeof where)[]).filter((k) => !where[k]).map((k) => `${envNames[k]} (or the \`${k}\` option)`);
    if (this.given || this.missing.length > 0) {
      if (!this.given) warnOnce('MODEL_CANARY_ROUTER_NO_STORE', `ModelRouter: no ${this.missing.join(', no ')}, so no routing document is read; ${this.fallbackText()}.`);
      return;
    }
    const { application, environment, profile } = where as Record<keyof typeof where, string>;
    this.read = source === 'sdk'
      ? sdkReader(application, environment, profile, (ms) => { this.waitMs = ms; })
      : agentReader(options.agentUrl ?? env(APPCONFIG_AGENT_URL_ENV) ?? DEFAULT_AGENT_URL, application, environment, profile);
  }

  /**
   * The config for a user: sticky (the same user gets the same variant in every process) and the
   * share of the canary the document gives. Without a user id, requests are split at random.
   * Reads the document again when the last read is older than `refreshSeconds`; a failed read
   * keeps the last good document (one warning per streak of failures).
   * @throws Error only when there is neither a document nor a `defaultConfig`.
   */
  public async choose(userId?: string): Promise<Choice> {
    const doc = this.given ?? (await this.current());
    if (doc) return choose(doc, userId);
    if (this.defaultConfig !== undefined) return { variant: 'stable', version: DEFAULT_CONFIG_VERSION, config: this.defaultConfig };
    throw new Error(`ModelRouter: no routing document to choose from and no defaultConfig. ${this.missing.length > 0
      ? `Set ${this.missing.join(', ')}, or pass \`document\``
      : 'The store could not be read (see the warning); pass `defaultConfig` to serve something meanwhile'}.`);
  }

  /**
   * Chooses for the user, calls `fn` with the choice and records one request for the choice's
   * version: Errors 1 when `fn` threw (its error is rethrown) or marked the request failed with
   * `record(choice, { error: true })` (a handled failure: a fallback answer, a 5XX returned), else 0,
   * and its Latency. Other signals given to {@link record} during `fn` go into the same record.
   */
  public async run<T>(userId: string | undefined, fn: (choice: Choice) => Promise<T> | T): Promise<T> {
    const choice = { ...(await this.choose(userId)) };
    this.pending.set(choice, {});
    const start = performance.now();
    let error = true;
    try {
      const result = await fn(choice);
      error = false;
      return result;
    } finally {
      const latencyMs = performance.now() - start;
      const signals = this.pending.get(choice)!;
      this.pending.delete(choice);
      // A throw is a failure whatever record() said; a handled failure is one when record() says so.
      this.signalsFor(choice.version).record({ ...signals, error: error || signals.error === true, latencyMs });
    }
  }

  /**
   * Records the AI signals (tokens, guardrail, schema, response, class) of a request served with
   * `choice`, for its version. Inside {@link run} they are checked now and written with the
   * request's outcome; otherwise written now, as one request.
   */
  public record(choice: Choice, signals: ModelRequestSignals): void {
    ModelSignals.check(signals);
    const pending = this.pending.get(choice);
    if (pending) this.pending.set(choice, { ...pending, ...signals });
    else this.signalsFor(choice.version).record(signals);
  }

  private signalsFor(version: string): ModelSignals {
    let signals = this.signalsByVersion.get(version);
    if (!signals) {
      signals = new ModelSignals({ ...this.signalsOptions, version });
      this.signalsByVersion.set(version, signals);
    }
    return signals;
  }

  /** The last good document, read again first when stale; one read at a time. */
  private async current(): Promise<RoutingDocument | undefined> {
    if (!this.read) return undefined;
    if (performance.now() - this.readAt >= Math.max(this.refreshMs, this.waitMs)) {
      this.reading ??= this.refresh().finally(() => { this.reading = undefined; });
      await this.reading;
    }
    return this.doc;
  }

  private async refresh(): Promise<void> {
    try {
      const doc = await this.read!();
      if (doc) this.doc = doc;
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        process.emitWarning(`ModelRouter: reading the routing document failed (${(err as Error).message}); ${this.doc ? 'the last good document is kept' : this.fallbackText()}.`,
          { type: 'ModelCanaryWarning', code: 'MODEL_CANARY_ROUTER_READ_FAILED' });
      }
      this.failing = true;
    } finally {
      // A failure waits as long as a success, so a store that is down is not read on every request.
      this.readAt = performance.now();
    }
  }

  private fallbackText(): string {
    return this.defaultConfig !== undefined ? `defaultConfig is served as version "${DEFAULT_CONFIG_VERSION}"` : 'choose() throws until one is read (pass defaultConfig to serve something)';
  }
}

/** A timeout on each read, so a hung store delays a request by at most this much. */
const READ_TIMEOUT_MS = 3000;

function agentReader(agentUrl: string, application: string, environment: string, profile: string): Reader {
  const e = encodeURIComponent;
  // https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-agent-how-to-use.html
  const url = `${agentUrl.replace(/\/+$/, '')}/applications/${e(application)}/environments/${e(environment)}/configurations/${e(profile)}`;
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
    const text = await res.text();
    if (!res.ok) throw new Error(`the AppConfig Agent answered ${res.status} for ${url}: ${text.slice(0, 120)}`);
    return parseRouting(text, `the AppConfig Agent's configuration at ${url}`);
  };
}

const APPCONFIGDATA_MODULE: string = '@aws-sdk/client-appconfigdata';

function sdkReader(application: string, environment: string, profile: string, setWait: (ms: number) => void): Reader {
  type Sdk = typeof import('@aws-sdk/client-appconfigdata');
  let client: InstanceType<Sdk['AppConfigDataClient']> | undefined;
  let sdk: Sdk | undefined;
  let token: string | undefined;
  return async () => {
    // Loaded here only, so the agent path (and a process without the SDK) never needs it; a name in a
    // variable, so bundlers (esbuild) leave it out of a Lambda bundle: Lambda's Node.js runtimes ship it.
    sdk ??= (await import(APPCONFIGDATA_MODULE)) as Sdk;
    client ??= new sdk.AppConfigDataClient({});
    const opts = { abortSignal: AbortSignal.timeout(READ_TIMEOUT_MS) };
    try {
      token ??= (await client.send(new sdk.StartConfigurationSessionCommand({
        ApplicationIdentifier: application, EnvironmentIdentifier: environment, ConfigurationProfileIdentifier: profile,
      }), opts)).InitialConfigurationToken;
      const out = await client.send(new sdk.GetLatestConfigurationCommand({ ConfigurationToken: token }), opts);
      token = out.NextPollConfigurationToken;
      setWait((out.NextPollIntervalInSeconds ?? 0) * 1000);
      // Empty: unchanged since the last call of this session.
      if (!out.Configuration || out.Configuration.length === 0) return undefined;
      return parseRouting(Buffer.from(out.Configuration).toString('utf8'), `AppConfig's configuration ${application}/${environment}/${profile}`);
    } catch (err) {
      token = undefined; // an expired or used token: start a new session next time
      throw err;
    }
  };
}
