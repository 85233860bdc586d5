/**
 * The metrics Lambda publishes for every invocation: Invocations, Errors and Duration under each
 * dimension set (FunctionName; FunctionName + Resource, the alias or version invoked;
 * FunctionName + Resource + ExecutedVersion for a published version).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */
import type { MetricId, MetricStore } from '../cloudwatch/metrics';

export class LambdaInvocationMetrics {
  /** The metric ids of each function|resource|version: the same objects every time (MetricStore caches by object). */
  private readonly ids = new Map<string, MetricId[][]>();

  constructor(private readonly metrics: MetricStore) {}

  /** One invocation of `functionName` through `resource` ("<function>:<alias or version>", or the function for $LATEST). */
  public record(functionName: string, resource: string, version: string, error: boolean, durationMs: number, at: number): void {
    for (const [invocations, errors, duration] of this.metricIds(functionName, resource, version)) {
      this.metrics.put(invocations, at, 1);
      this.metrics.put(errors, at, error ? 1 : 0);
      this.metrics.put(duration, at, durationMs);
    }
  }

  private metricIds(functionName: string, resource: string, version: string): MetricId[][] {
    const key = `${functionName}|${resource}|${version}`;
    let ids = this.ids.get(key);
    if (!ids) {
      const sets: Record<string, string>[] = [
        { FunctionName: functionName },
        { FunctionName: functionName, Resource: resource },
        ...(version !== '$LATEST' ? [{ FunctionName: functionName, Resource: resource, ExecutedVersion: version }] : []),
      ];
      ids = sets.map((dimensions) =>
        ['Invocations', 'Errors', 'Duration'].map((metricName): MetricId => ({ namespace: 'AWS/Lambda', metricName, dimensions })),
      );
      this.ids.set(key, ids);
    }
    return ids;
  }
}
