/** ModelSignals: the per-request model signals as EMF (see runtime/index.ts for the whole story). */
import { MetricResolution, Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  CANARY_DIMENSION,
  CANARY_NAME_ENV,
  CANARY_STACK_ENV,
  CLASS_DIMENSION,
  HIGH_RESOLUTION_ENV,
  SIGNAL_NAMESPACE,
  SIGNALS,
  SIGNALS_DISABLED_ENV,
  STACK_DIMENSION,
  VERSION_DIMENSION,
} from './signal-names';
import { warnOnce } from './warn-once';


/** Environment variable naming the version that serves requests; wins over the Lambda one. */
export const VERSION_ENV = 'MODEL_CANARY_VERSION';
/**
 * Set by the Lambda runtime to the version being invoked (`$LATEST` when unpublished).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const LAMBDA_VERSION_ENV = 'AWS_LAMBDA_FUNCTION_VERSION';
/**
 * The version used when none is given or set (a model's local unit tests): Lambda's own name for
 * unpublished code. No guard selects on it, so such signals never count for a release.
 */
export const DEFAULT_VERSION = '$LATEST';

/** Longest accepted `predictedClass`, after trimming. */
export const MAX_CLASS_LENGTH = 255;
/** CloudWatch's limit on a dimension value, applied to `canaryName` and `version`. */
const MAX_DIMENSION_VALUE_LENGTH = 1024;

export interface ModelSignalsOptions {
  /**
   * The canary's name: must equal the `canaryName` of the construct. Written as the `Canary`
   * dimension; a different value means the guards never see these signals.
   * @default - env `MODEL_CANARY_NAME` (the canary construct sets it on the model function), else
   *   nothing is recorded (one warning), as in a model's local unit tests
   */
  readonly canaryName?: string;

  /**
   * The name of the stack that holds the canary. Written as the `Stack` dimension.
   * @default - env `MODEL_CANARY_STACK` (the canary construct sets it on the model function), else
   *   nothing is recorded (one warning)
   */
  readonly stackName?: string;

  /**
   * CloudWatch namespace. Must equal the namespace the construct's guards read.
   * @default SIGNAL_NAMESPACE ('ModelCanary')
   */
  readonly namespace?: string;

  /**
   * The version serving the requests, written as the `Version` dimension.
   * - Lambda: leave unset; `AWS_LAMBDA_FUNCTION_VERSION` (set by the runtime) is used.
   * - SageMaker: the production variant name, which cdk-model-canary sets equal to the model
   *   name; pass it here or set `MODEL_CANARY_VERSION` in the container's environment.
   * @default - env `MODEL_CANARY_VERSION`, else env `AWS_LAMBDA_FUNCTION_VERSION`, else `$LATEST`
   *   (with a process warning), as in a model's local unit tests
   */
  readonly version?: string;

  /**
   * Write Requests and Errors at 1-second resolution (`StorageResolution` 1), so
   * `Guard.fastErrorRate` can read 10-second periods. Costs nothing more to write (EMF is billed
   * as log ingestion, PutMetricData per request); the guard's high-resolution alarm is billed
   * higher than a standard one. Record `error` on every request, or the guard has no errors to count.
   * @default - env `MODEL_CANARY_HIGH_RESOLUTION` (the canary construct sets it when a guard needs it), else false
   */
  readonly highResolution?: boolean;
}

/** What one request produced. Fields left out are not emitted (no zero is made up for them). */
export interface ModelRequestSignals {
  /** Prompt tokens: a non-negative integer. */
  readonly inputTokens?: number;
  /** Completion tokens: a non-negative integer. */
  readonly outputTokens?: number;
  /** Whether a guardrail intervened (blocked or masked input or output). */
  readonly guardrailIntervened?: boolean;
  /** Whether the response passed the output schema; `false` emits SchemaInvalid = 1. */
  readonly schemaValid?: boolean;
  /**
   * Response length in characters: a non-negative integer, or the response text itself (its
   * length is counted in Unicode code points, so an emoji counts once).
   */
  readonly responseLength?: number | string;
  /**
   * The predicted class (classifiers, routers). Trimmed; 1 to 255 characters. Every distinct
   * value becomes a CloudWatch custom metric of its own, billed as such: use a closed set of labels.
   */
  readonly predictedClass?: string;
  /** Whether the request failed: Errors = 1 when true, 0 when false. `ModelRouter.run` gives it. */
  readonly error?: boolean;
  /** How long the request took, in milliseconds (a non-negative number). `ModelRouter.run` measures it. */
  readonly latencyMs?: number;
}

/**
 * Writes the model signals of each request as CloudWatch EMF, tagged with the canary and version.
 *
 * Create one instance at start-up (module scope in Lambda) and call {@link record} once per request:
 *
 * ```ts
 * import { ModelSignals } from 'cdk-model-canary/runtime';
 *
 * // Canary and stack come from MODEL_CANARY_NAME / MODEL_CANARY_STACK, which the canary sets.
 * const signals = new ModelSignals();
 *
 * export const handler = async (event: { text: string }) => {
 *   const result = await classify(event.text);
 *   signals.record({ inputTokens: result.usage.input, outputTokens: result.usage.output,
 *     schemaValid: result.valid, responseLength: result.text, predictedClass: result.label });
 *   return result;
 * };
 * ```
 */
export class ModelSignals {
  /** The `Canary` dimension value; undefined when neither given nor set (nothing is recorded then). */
  public readonly canaryName: string | undefined;
  /** The `Stack` dimension value; undefined when neither given nor set (nothing is recorded then). */
  public readonly stackName: string | undefined;
  /** The `Version` dimension value. */
  public readonly version: string;
  /** The CloudWatch namespace. */
  public readonly namespace: string;
  /** Whether Requests and Errors are written at 1-second resolution. */
  public readonly highResolution: boolean;
  /**
   * Whether {@link record} writes anything: false without a canary or stack name, or when
   * `MODEL_CANARY_SIGNALS_DISABLED` or Powertools' switches turn the output off.
   */
  public readonly enabled: boolean;

  private readonly metrics: Metrics | undefined;

  /**
   * Never throws for what the environment lacks: a missing canary or stack name is one warning and
   * no output, as Powertools falls back on a missing namespace or service.
   * @throws Error when an option given is blank or too long, or a variable set is too long.
   */
  constructor(options: ModelSignalsOptions = {}) {
    this.canaryName = resolveName('canaryName', options?.canaryName, CANARY_NAME_ENV);
    this.stackName = resolveName('stackName', options?.stackName, CANARY_STACK_ENV);
    this.namespace = nonEmpty('namespace', options?.namespace ?? SIGNAL_NAMESPACE, 255);
    if (options?.highResolution !== undefined && typeof options.highResolution !== 'boolean') {
      throw new Error(`ModelSignals: highResolution must be true or false, got ${describe(options.highResolution)}`);
    }
    this.highResolution = options?.highResolution ?? envFlag(HIGH_RESOLUTION_ENV) ?? false;
    const named = this.canaryName !== undefined && this.stackName !== undefined;
    const switchedOff = outputSwitchedOff();
    if (!switchedOff && !named) warnNoNames(this.canaryName, this.stackName);
    const wanted = named && !switchedOff;
    this.version = resolveVersion(options?.version, wanted);
    this.metrics = wanted
      ? newMetrics(this.namespace, { [CANARY_DIMENSION]: this.canaryName!, [STACK_DIMENSION]: this.stackName!, [VERSION_DIMENSION]: this.version })
      : undefined;
    this.enabled = this.metrics !== undefined;
  }

  /**
   * Checks signals as {@link record} does, without writing anything: the router checks what is
   * recorded inside a `run` at once, and writes it when the request ends.
   * @throws the errors of {@link record}
   */
  public static check(request: ModelRequestSignals): ValidRequest {
    return validate(request);
  }

  /**
   * Emits the signals of one request: one EMF document with dimensions {Canary, Stack, Version} holding
   * Requests = 1 and every signal given (InputTokens, OutputTokens, TotalTokens = the sum of the
   * token counts given, GuardrailIntervened 0/1, SchemaInvalid 0/1, ResponseLength, Errors 0/1,
   * Latency), and, when
   * `predictedClass` is given, a second document with dimensions {Canary, Stack, Version, Class} holding
   * Prediction = 1. All units are Count but Latency's (Milliseconds). The request is validated in full before anything is
   * written, so an invalid request writes nothing; with the output off ({@link enabled} false) it
   * is validated all the same and nothing is written.
   *
   * @throws Error naming the field, for a negative, fractional or non-finite number, a non-boolean
   *   flag, or an empty or too long class name.
   */
  public record(request: ModelRequestSignals = {}): void {
    const r = ModelSignals.check(request);
    const m = this.metrics;
    if (!m) return;
    // The counts the 10-second guard reads; EMF's default (standard) resolution otherwise.
    const counts = this.highResolution ? MetricResolution.High : MetricResolution.Standard;
    m.addMetric(SIGNALS.requests, MetricUnit.Count, 1, counts);
    if (r.inputTokens !== undefined) m.addMetric(SIGNALS.inputTokens, MetricUnit.Count, r.inputTokens);
    if (r.outputTokens !== undefined) m.addMetric(SIGNALS.outputTokens, MetricUnit.Count, r.outputTokens);
    if (r.inputTokens !== undefined || r.outputTokens !== undefined) {
      m.addMetric(SIGNALS.totalTokens, MetricUnit.Count, (r.inputTokens ?? 0) + (r.outputTokens ?? 0));
    }
    if (r.guardrailIntervened !== undefined) {
      m.addMetric(SIGNALS.guardrailIntervened, MetricUnit.Count, r.guardrailIntervened ? 1 : 0);
    }
    if (r.schemaValid !== undefined) m.addMetric(SIGNALS.schemaInvalid, MetricUnit.Count, r.schemaValid ? 0 : 1);
    if (r.responseLength !== undefined) m.addMetric(SIGNALS.responseLength, MetricUnit.Count, r.responseLength);
    if (r.error !== undefined) m.addMetric(SIGNALS.errors, MetricUnit.Count, r.error ? 1 : 0, counts);
    if (r.latencyMs !== undefined) m.addMetric(SIGNALS.latency, MetricUnit.Milliseconds, r.latencyMs);
    m.publishStoredMetrics();

    if (r.predictedClass !== undefined) {
      // Request dimensions are cleared by publishStoredMetrics, so Class stays on this document.
      m.addDimension(CLASS_DIMENSION, r.predictedClass);
      m.addMetric(SIGNALS.prediction, MetricUnit.Count, 1);
      m.publishStoredMetrics();
    }
  }
}

/** The signals as {@link ModelSignals.record} writes them (a text response as its length, a class trimmed). */
export interface ValidRequest {
  inputTokens?: number;
  outputTokens?: number;
  guardrailIntervened?: boolean;
  schemaValid?: boolean;
  responseLength?: number;
  predictedClass?: string;
  error?: boolean;
  latencyMs?: number;
}

function validate(request: ModelRequestSignals): ValidRequest {
  if (request === null || typeof request !== 'object') {
    throw new TypeError(`ModelSignals.record: expected an object of signals, got ${describe(request)}`);
  }
  const responseLength = request.responseLength;
  return {
    inputTokens: count('inputTokens', request.inputTokens),
    outputTokens: count('outputTokens', request.outputTokens),
    guardrailIntervened: flag('guardrailIntervened', request.guardrailIntervened),
    schemaValid: flag('schemaValid', request.schemaValid),
    responseLength: typeof responseLength === 'string' ? codePoints(responseLength) : count('responseLength', responseLength),
    predictedClass: className(request.predictedClass),
    error: flag('error', request.error),
    latencyMs: milliseconds('latencyMs', request.latencyMs),
  };
}

function count(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`ModelSignals.record: ${field} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

function milliseconds(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`ModelSignals.record: ${field} must be a non-negative number of milliseconds, got ${describe(value)}`);
  }
  return value;
}

function flag(field: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    throw new TypeError(`ModelSignals.record: ${field} must be true or false, got ${describe(value)}`);
  }
  return value;
}

function className(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new TypeError(`ModelSignals.record: predictedClass must be a string, got ${describe(value)}`);
  }
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_CLASS_LENGTH) {
    throw new RangeError(
      `ModelSignals.record: predictedClass must be 1 to ${MAX_CLASS_LENGTH} characters after trimming, got ${trimmed.length}`,
    );
  }
  return trimmed;
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** An explicit option wins; else the variable the canary construct sets; else undefined (see warnNoNames). */
function resolveName(option: string, explicit: string | undefined, envName: string): string | undefined {
  if (explicit !== undefined) return dimensionValue(option, explicit);
  const value = process.env[envName];
  if (value !== undefined && value.trim() !== '') return dimensionValue(envName, value);
  return undefined;
}


function warnNoNames(canaryName: string | undefined, stackName: string | undefined): void {
  const missing = [
    ...(canaryName === undefined ? [`${CANARY_NAME_ENV} (or the \`canaryName\` option)`] : []),
    ...(stackName === undefined ? [`${CANARY_STACK_ENV} (or the \`stackName\` option)`] : []),
  ];
  warnOnce(
    'MODEL_CANARY_NO_NAME',
    `ModelSignals: no ${missing.join(' and no ')}, so no signals are recorded. The canary construct sets both on the` +
      ` model function it releases; in a SageMaker container set them yourself. In unit tests this is expected:` +
      ` set ${SIGNALS_DISABLED_ENV}=true to silence this warning.`,
  );
}

/** Powertools' boolean words (its extended parsing), so the switches read alike. */
const TRUTHY = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const FALSY = new Set(['0', 'n', 'no', 'f', 'false', 'off']);

function envFlag(name: string): boolean | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim().toLowerCase();
  if (TRUTHY.has(value)) return true;
  if (FALSY.has(value)) return false;
  warnOnce(`MODEL_CANARY_BAD_SWITCH_${name}`, `ModelSignals: ${name}=${JSON.stringify(raw)} is not true or false; it is ignored.`);
  return undefined;
}

/** MODEL_CANARY_SIGNALS_DISABLED, or Powertools' rule: POWERTOOLS_METRICS_DISABLED, else POWERTOOLS_DEV. */
function outputSwitchedOff(): boolean {
  if (envFlag(SIGNALS_DISABLED_ENV)) return true;
  const metricsDisabled = envFlag('POWERTOOLS_METRICS_DISABLED');
  return metricsDisabled ?? envFlag('POWERTOOLS_DEV') ?? false;
}

/** Powertools' Metrics with exactly our dimensions; undefined (one warning) if it refuses its environment. */
function newMetrics(namespace: string, dimensions: Record<string, string>): Metrics | undefined {
  let metrics: Metrics;
  try {
    metrics = new Metrics({ namespace });
  } catch (err) {
    warnOnce('MODEL_CANARY_POWERTOOLS', `ModelSignals: Powertools Metrics refused its environment (${(err as Error).message}), so no signals are recorded.`);
    return undefined;
  }
  // Powertools adds a `service` dimension to every metric by default. CloudWatch identifies a
  // metric by its exact dimension set, and the guards select on {Canary, Stack, Version} only.
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions(dimensions);
  return metrics;
}

function resolveVersion(explicit: string | undefined, enabled: boolean): string {
  if (explicit !== undefined) return dimensionValue('version', explicit);
  for (const name of [VERSION_ENV, LAMBDA_VERSION_ENV]) {
    const value = process.env[name];
    if (value !== undefined && value.trim() !== '') return dimensionValue(name, value);
  }
  // Not on Lambda and not configured (a container missing its variable): say so on stderr once,
  // since on a SageMaker endpoint the guards would then see no canary signals.
  if (enabled) {
    warnOnce(
      'MODEL_CANARY_DEFAULT_VERSION',
      `ModelSignals: neither ${VERSION_ENV} nor ${LAMBDA_VERSION_ENV} is set, so signals are recorded as version` +
        ` "${DEFAULT_VERSION}", which no guard selects on. On a SageMaker endpoint set ${VERSION_ENV} to the` +
        ` production variant name (cdk-model-canary names each variant after its model), or pass the \`version\` option.`,
    );
  }
  return DEFAULT_VERSION;
}

function dimensionValue(field: string, value: unknown): string {
  return nonEmpty(field, value, MAX_DIMENSION_VALUE_LENGTH);
}

function nonEmpty(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new Error(`ModelSignals: ${field} must be a non-blank string of at most ${max} characters, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  return typeof value;
}

// Last, after ModelSignals is defined: router.ts imports it from this module, a cycle that is safe
// because router.ts uses ModelSignals only inside functions, never while loading.
