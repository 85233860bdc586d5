/**
 * The model signals the runtime helper emits and the guards watch: one schema, shared by both.
 * Plain constants, so the runtime entry point pulls in nothing from aws-cdk-lib.
 */

/** Default CloudWatch namespace of the per-request model signals. */
export const SIGNAL_NAMESPACE = 'ModelCanary';

/** Dimensions of every signal: which canary, and which version served the request. */
export const CANARY_DIMENSION = 'Canary';
export const VERSION_DIMENSION = 'Version';
/**
 * Which stack the canary belongs to: two stacks of one account may hold canaries of the same name,
 * and their signals must not mix. The value is the stack name.
 */
export const STACK_DIMENSION = 'Stack';
/** Extra dimension of the per-class prediction counts. */
export const CLASS_DIMENSION = 'Class';

/** Metric names, each emitted once per request (CloudWatch aggregates them per minute). */
export const SIGNALS = {
  /** 1 per request: the denominator of every rate. */
  requests: 'Requests',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  /** inputTokens + outputTokens. */
  totalTokens: 'TotalTokens',
  /** 1 when a guardrail intervened (blocked or masked), else 0. */
  guardrailIntervened: 'GuardrailIntervened',
  /** 1 when the response failed the output schema, else 0. */
  schemaInvalid: 'SchemaInvalid',
  /** Response length in characters. */
  responseLength: 'ResponseLength',
  /** 1 when the request failed, else 0 (the router's run() gives it). */
  errors: 'Errors',
  /** Request latency in milliseconds (the router's run() measures it). */
  latency: 'Latency',
  /** 1 per request, with the Class dimension. */
  prediction: 'Prediction',
} as const;

/**
 * Environment variables the canary construct sets on the model function (and documents for a
 * SageMaker container), so the runtime helper needs no hard-coded names.
 */
export const CANARY_NAME_ENV = 'MODEL_CANARY_NAME';
export const CANARY_STACK_ENV = 'MODEL_CANARY_STACK';
/**
 * How the Python helper delivers signals (the TypeScript helper writes EMF only). SageMaker
 * containers use PutMetricData: AWS documents no EMF extraction from an endpoint's logs.
 */
export const DELIVERY_ENV = 'MODEL_CANARY_DELIVERY';
/**
 * `true` (or 1, yes, on) turns both helpers' output off: a model's unit tests, a local run. Powertools'
 * own switches do the same: `POWERTOOLS_METRICS_DISABLED=true`, and `POWERTOOLS_DEV=true` unless
 * `POWERTOOLS_METRICS_DISABLED=false`.
 */
export const SIGNALS_DISABLED_ENV = 'MODEL_CANARY_SIGNALS_DISABLED';
export const PUT_METRIC_DATA_DELIVERY = 'put_metric_data';
/** When true, Requests and Errors are written at 1-second resolution (runtime/emf-contract.json `highResolution`). */
export const HIGH_RESOLUTION_ENV = 'MODEL_CANARY_HIGH_RESOLUTION';

/**
 * Where a config canary's router reads its routing document (AppConfig names or ids); the
 * `ConfigModelCanary` construct lists them in `routerEnvironment`.
 */
export const APPCONFIG_APPLICATION_ENV = 'MODEL_CANARY_APPCONFIG_APPLICATION';
export const APPCONFIG_ENVIRONMENT_ENV = 'MODEL_CANARY_APPCONFIG_ENVIRONMENT';
export const APPCONFIG_PROFILE_ENV = 'MODEL_CANARY_APPCONFIG_PROFILE';
