import type { TargetConfig, TargetKindContract } from '../contract';

export const SAGEMAKER_ENDPOINT_KIND = 'sagemaker-endpoint';

export interface SageMakerEndpointTargetConfig extends TargetConfig {
  readonly kind: typeof SAGEMAKER_ENDPOINT_KIND;
  readonly endpointName: string;
  /** Instance type and count of every variant the library creates. */
  readonly instanceType: string;
  /** A number, as CloudFormation passes every custom-resource property as a string. */
  readonly instanceCount: string;
}

/** The error the endpoint target throws while SageMaker is still Updating. */
export const ENDPOINT_BUSY = 'EndpointBusy';

/**
 * A SageMaker real-time endpoint whose production variants are the versions. The invocation
 * metrics (namespace AWS/SageMaker, dimensions EndpointName + VariantName, 1-minute) with the
 * statistics AWS documents for each: an alarm on a statistic a metric does not support gets no
 * data. ModelLatency is in microseconds.
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-endpoint-invocation
 */
export const SAGEMAKER_ENDPOINT: TargetKindContract = {
  kind: SAGEMAKER_ENDPOINT_KIND,
  metrics: {
    namespace: 'AWS/SageMaker',
    names: { requests: 'Invocations', errors: 'Invocation5XXErrors', latency: 'ModelLatency' },
    statistics: {
      Invocations: ['Sum', 'SampleCount'],
      Invocation4XXErrors: ['Average', 'Sum'],
      Invocation5XXErrors: ['Average', 'Sum'],
      /** Requests without a 2XX answer: 4XX and 5XX, socket errors, malformed responses, timeouts. */
      InvocationModelErrors: ['Average', 'Sum'],
      ModelLatency: ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount', 'percentile'],
    },
    latencyUnitsPerMillisecond: 1000,
    versionDimension: 'VariantName',
    dimensions: (config, version) => ({ EndpointName: config.endpointName, VariantName: version }),
  },
  // Updating takes minutes, not seconds: wait for it, do not fail. Adding the canary variant
  // (UpdateEndpoint, a new fleet) takes up to tens of minutes.
  busyRetry: { error: ENDPOINT_BUSY, stepIntervalSeconds: 15, stepMaxAttempts: 40, prepareIntervalSeconds: 30, prepareMaxAttempts: 120 },
};
