import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * A metric of yours that exists once per model version (a thumbs-down count, an LLM-judge score),
 * for the guards that compare the canary with stable. The guard calls `metricFor` with a
 * placeholder the check step replaces by each version it reads, so the metric must be a single
 * CloudWatch metric (not math) whose dimensions carry the version.
 */
export interface IVersionedMetric {
  /** The metric of one version: `version` goes into the dimension that tells versions apart. */
  metricFor(version: string): cloudwatch.IMetric;
}

/** Properties of {@link VersionedMetric.fromDimension}. */
export interface VersionedMetricProps {
  /** The metric's namespace (the one your EMF or PutMetricData writes to). */
  readonly metricNamespace: string;
  /** The metric's name. */
  readonly metricName: string;
  /**
   * The dimension whose value is the model version (for the runtime helper's documents: `Version`;
   * Lambda: `ExecutedVersion`; SageMaker: `VariantName`).
   */
  readonly versionDimension: string;
  /**
   * The other dimensions, exactly as the metric is written (CloudWatch matches the whole set).
   * @default - none
   */
  readonly dimensionsMap?: { [name: string]: string };
}

/** Ready-made {@link IVersionedMetric}s. */
export class VersionedMetric {
  /** A metric whose version is one dimension among fixed others. */
  public static fromDimension(props: VersionedMetricProps): IVersionedMetric {
    const problems = [
      ...(typeof props?.metricNamespace === 'string' && props.metricNamespace.length > 0 ? [] : ['metricNamespace is missing']),
      ...(typeof props?.metricName === 'string' && props.metricName.length > 0 ? [] : ['metricName is missing']),
      ...(typeof props?.versionDimension === 'string' && props.versionDimension.length > 0 ? [] : ['versionDimension is missing']),
      ...(props?.dimensionsMap && props.versionDimension in props.dimensionsMap ? [`dimensionsMap names ${props.versionDimension}, the version dimension: leave it out of dimensionsMap`] : []),
    ];
    if (problems.length > 0) throw new Error(`VersionedMetric.fromDimension: ${problems.join('; ')}: give the namespace, metric name and the dimension that holds the version`);
    return {
      metricFor: (version: string) =>
        new cloudwatch.Metric({
          namespace: props.metricNamespace,
          metricName: props.metricName,
          dimensionsMap: { ...(props.dimensionsMap ?? {}), [props.versionDimension]: version },
        }),
    };
  }

  private constructor() {}
}
