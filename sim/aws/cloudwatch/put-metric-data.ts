/**
 * PutMetricData into the metric store, with the limits of the API reference
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html):
 * "no more than 1000 different metrics" a request, "up to 30 dimensions per metric", values "in the
 * range of -2^360 to 2^360" and no NaN or infinities, time stamps "as much as two weeks before the
 * current date, and as much as 2 hours after", Values/Counts "up to 150 values per metric", a
 * namespace not starting with "AWS/" (reserved for AWS services). Each break is an
 * InvalidParameterValue (400); the exact wording is AWS's own and not documented, so ours names the
 * field and the limit.
 */
import type { PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { awsError } from '../core/aws-errors';
import type { MetricId, MetricStore } from './metrics';

const MAX_METRICS = 1000;
const MAX_DIMENSIONS = 30;
const MAX_VALUES = 150;
const MAX_ABS = 2 ** 360;
const TWO_WEEKS_MS = 14 * 86_400_000;
const TWO_HOURS_MS = 2 * 3_600_000;
/**
 * Readable once stored: PutMetricData writes to CloudWatch itself, with no service's per-minute
 * publication in between. AWS documents no ingestion delay for recent time stamps (only that data
 * "between 3 and 24 hours ago can take as much as 2 hours"); this is the simulator's choice.
 */
const DIRECT = { direct: true };
/**
 * StorageResolution 1: "CloudWatch stores the metric with sub-minute resolution down to one second"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html); 60 or none is standard.
 */
const DIRECT_HIGH_RESOLUTION = { direct: true, highResolution: true };

function invalid(message: string): Error {
  return awsError('cloudwatch', 'InvalidParameterValue', 400, message);
}

function checkValue(where: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > MAX_ABS) {
    throw invalid(`${where}: ${String(v)} is not a supported value (a finite number from -2^360 to 2^360)`);
  }
  return v;
}

/** Validates the whole request first (CloudWatch stores nothing of a rejected request), then stores it. */
export function putMetricData(store: MetricStore, input: PutMetricDataCommandInput, now: number): void {
  const namespace = input.Namespace ?? '';
  if (namespace.length < 1 || namespace.length > 255) throw invalid('Namespace must be 1 to 255 characters');
  if (namespace.startsWith('AWS/')) throw invalid(`Namespace ${namespace}: namespaces beginning with "AWS/" are reserved for AWS services`);
  const data = input.MetricData ?? [];
  if (data.length === 0) throw invalid('MetricData is required');
  if (data.length > MAX_METRICS) throw invalid(`MetricData: ${data.length} metrics; a request may have at most ${MAX_METRICS}`);
  const writes: (() => void)[] = [];
  data.forEach((d, i) => {
    const where = `MetricData.member.${i + 1}`;
    const name = d.MetricName ?? '';
    if (name.length < 1 || name.length > 255) throw invalid(`${where}.MetricName must be 1 to 255 characters`);
    const dims = d.Dimensions ?? [];
    if (dims.length > MAX_DIMENSIONS) throw invalid(`${where}.Dimensions: at most ${MAX_DIMENSIONS} dimensions per metric`);
    const id: MetricId = { namespace, metricName: name, dimensions: Object.fromEntries(dims.map((x) => [x.Name ?? '', x.Value ?? ''])) };
    const at = d.Timestamp ? new Date(d.Timestamp).getTime() : now;
    if (!Number.isFinite(at) || at < now - TWO_WEEKS_MS || at > now + TWO_HOURS_MS) {
      throw invalid(`${where}.Timestamp must be at most two weeks before and 2 hours after the current time`);
    }
    if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) {
      throw invalid(`${where}.StorageResolution must be 1 or 60`);
    }
    const how = d.StorageResolution === 1 ? DIRECT_HIGH_RESOLUTION : DIRECT;
    const given = [d.Value !== undefined, d.Values !== undefined, d.StatisticValues !== undefined].filter(Boolean).length;
    if (given !== 1) throw invalid(`${where}: give exactly one of Value, Values (with Counts) or StatisticValues`);
    if (d.Value !== undefined) {
      const v = checkValue(`${where}.Value`, d.Value);
      writes.push(() => store.put(id, at, v, how));
    } else if (d.Values !== undefined) {
      const values = d.Values.map((v, k) => checkValue(`${where}.Values.member.${k + 1}`, v));
      if (values.length > MAX_VALUES) throw invalid(`${where}.Values: at most ${MAX_VALUES} values per metric`);
      const counts = d.Counts ?? values.map(() => 1);
      if (counts.length !== values.length) throw invalid(`${where}.Counts must have as many members as Values`);
      counts.forEach((c, k) => {
        if (!Number.isInteger(c) || c < 0) throw invalid(`${where}.Counts.member.${k + 1}: ${c} is not a count`);
      });
      // "Counts: the number of times each value occurred during the period": raw values, each repeated.
      writes.push(() => values.forEach((v, k) => Array.from({ length: counts[k] }, () => store.put(id, at, v, how))));
    } else {
      const s = d.StatisticValues!;
      const set = {
        sampleCount: checkValue(`${where}.StatisticValues.SampleCount`, s.SampleCount),
        sum: checkValue(`${where}.StatisticValues.Sum`, s.Sum),
        minimum: checkValue(`${where}.StatisticValues.Minimum`, s.Minimum),
        maximum: checkValue(`${where}.StatisticValues.Maximum`, s.Maximum),
      };
      if (set.sampleCount <= 0 || set.minimum > set.maximum) throw invalid(`${where}.StatisticValues: SampleCount above 0 and Minimum at most Maximum`);
      writes.push(() => store.putStatisticSet(id, at, set, how));
    }
  });
  for (const w of writes) w();
}
