/**
 * What CloudWatch Logs extracts from one embedded-metric-format log event
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * `_aws.Timestamp` (epoch ms) and `_aws.CloudWatchMetrics`, each directive a Namespace, Dimensions
 * (dimension sets: each is a metric of its own) and Metrics (Name, Unit, StorageResolution: "1 or
 * 60 ... If a value is not provided, then a default value of 60 is assumed"). Values are root
 * members, a Number or an Array of Numbers (up to 100); dimension values are root string members.
 * A document that breaks the structure yields no metrics (CloudWatch keeps the log event only).
 * Extracted values are not `direct`: readable at the minute's end plus the publication delay, or,
 * high resolution, at the second's end plus the high-resolution delay (metrics.ts).
 */
import type { MetricId, MetricStore } from './metrics';

const MAX_VALUES = 100;
const MAX_DIMENSIONS = 30;
const STANDARD = {};
const HIGH_RESOLUTION = { highResolution: true };

type Doc = Record<string, unknown>;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function valuesOf(v: unknown): number[] | undefined {
  if (isNumber(v)) return [v];
  if (Array.isArray(v) && v.length <= MAX_VALUES && v.every(isNumber)) return v;
  return undefined;
}

interface Extracted {
  readonly id: MetricId;
  readonly values: number[];
  readonly highResolution: boolean;
}

/** The metrics of one document (a JSON log line or its parsed object); undefined when it is not a valid EMF document. */
export function extractEmf(document: string | object): { timestamp: number; metrics: Extracted[] } | undefined {
  let doc: Doc;
  try {
    doc = (typeof document === 'string' ? JSON.parse(document) : document) as Doc;
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const meta = doc._aws as Doc | undefined;
  if (!meta || typeof meta !== 'object' || !isNumber(meta.Timestamp) || !Array.isArray(meta.CloudWatchMetrics)) return undefined;
  const metrics: Extracted[] = [];
  for (const directive of meta.CloudWatchMetrics as Doc[]) {
    const namespace = directive?.Namespace;
    const sets = directive?.Dimensions;
    const definitions = directive?.Metrics;
    if (typeof namespace !== 'string' || !Array.isArray(sets) || !Array.isArray(definitions)) return undefined;
    const dimensionSets: Record<string, string>[] = [];
    for (const set of sets as unknown[]) {
      if (!Array.isArray(set) || set.length > MAX_DIMENSIONS) return undefined;
      const dims: Record<string, string> = {};
      for (const key of set) {
        // "Dimension values MUST be strings" present on the root node.
        if (typeof key !== 'string' || typeof doc[key] !== 'string') return undefined;
        dims[key] = doc[key] as string;
      }
      dimensionSets.push(dims);
    }
    for (const def of definitions as Doc[]) {
      const name = def?.Name;
      const resolution = def?.StorageResolution ?? 60;
      if (typeof name !== 'string' || (resolution !== 1 && resolution !== 60)) return undefined;
      const values = valuesOf(doc[name]);
      if (!values) return undefined;
      for (const dimensions of dimensionSets) metrics.push({ id: { namespace, metricName: name, dimensions }, values, highResolution: resolution === 1 });
    }
  }
  return { timestamp: meta.Timestamp, metrics };
}

/** Extracts one document into the store, as CloudWatch Logs would; returns how many metrics it held (0 when invalid). */
export function putEmf(store: MetricStore, document: string | object): number {
  const extracted = extractEmf(document);
  if (!extracted) return 0;
  for (const m of extracted.metrics) {
    const options = m.highResolution ? HIGH_RESOLUTION : STANDARD;
    for (const v of m.values) store.put(m.id, extracted.timestamp, v, options);
  }
  return extracted.metrics.length;
}
