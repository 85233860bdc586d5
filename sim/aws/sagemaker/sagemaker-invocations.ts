import type { MetricId, MetricStore } from '../cloudwatch/metrics';

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

/** Records {@link invocationMetrics} of each request under {EndpointName, VariantName}. */
export class EndpointInvocationMetrics {
  /** The metric ids of each endpoint|variant: the same objects every time (MetricStore caches by object). */
  private readonly ids = new Map<string, MetricId[]>();

  constructor(private readonly metrics: MetricStore) {}

  public record(endpointName: string, variant: string, outcome: { readonly error: boolean; readonly durationMs: number }, at: number): void {
    const values = invocationMetrics(outcome);
    const key = `${endpointName}|${variant}`;
    let ids = this.ids.get(key);
    if (!ids) {
      const dimensions = { EndpointName: endpointName, VariantName: variant };
      ids = Object.keys(values).map((metricName): MetricId => ({ namespace: 'AWS/SageMaker', metricName, dimensions }));
      this.ids.set(key, ids);
    }
    for (const id of ids) this.metrics.put(id, at, values[id.metricName]);
  }
}
