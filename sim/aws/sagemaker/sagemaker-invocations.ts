/**
 * A model container must answer InvokeEndpoint within 60 seconds.
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
 */
export const MODEL_RESPONSE_LIMIT_MS = 60_000;

/**
 * The AWS/SageMaker endpoint invocation metrics one request adds under {EndpointName, VariantName}:
 * 1 or 0 per request for the counts, ModelLatency in microseconds. A 5XX is a response the model
 * sent; a model that does not answer in time is an InvocationModelErrors (which counts every
 * request without a 2XX answer: 4XX, 5XX, socket errors, malformed responses, timeouts), not a 5XX.
 * The simulated models send no 4XX. ModelLatency of a timed-out request is taken as the limit
 * (not stated in the docs).
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation
 */
export function invocationMetrics(outcome: { readonly error: boolean; readonly durationMs: number }): Record<string, number> {
  const timedOut = outcome.durationMs > MODEL_RESPONSE_LIMIT_MS;
  return {
    Invocations: 1,
    Invocation4XXErrors: 0,
    Invocation5XXErrors: outcome.error && !timedOut ? 1 : 0,
    InvocationModelErrors: outcome.error || timedOut ? 1 : 0,
    ModelLatency: Math.round(Math.min(outcome.durationMs, MODEL_RESPONSE_LIMIT_MS) * 1000),
  };
}
