/**
 * The model signals the runtime helper emits and the guards watch: one schema, shared by both.
 * Plain constants, so the runtime entry point pulls in nothing from aws-cdk-lib.
 */

/** Default CloudWatch namespace of the per-request model signals. */
export const SIGNAL_NAMESPACE = 'ModelCanary';

/** Dimensions of every signal: which canary, and which version served the request. */
export const CANARY_DIMENSION = 'Canary';
export const VERSION_DIMENSION = 'Version';
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
  /** 1 per request, with the Class dimension. */
  prediction: 'Prediction',
} as const;
