import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { awsCall } from './errors';
import type { MetricSpec, Signal, TrafficTarget } from './traffic-target';

const cloudwatch = new CloudWatchClient({});

export interface ArmCounts {
  readonly requests: number;
  readonly errors: number;
}

export interface Counts {
  readonly canary: ArmCounts;
  readonly stable: ArmCounts;
}

const PERIOD = 60;

/**
 * Sums each metric (statistic Sum) from `since` to `now` (epoch seconds), in 1-minute periods: the
 * resolution Lambda and SageMaker publish at. The minute that holds `since` is included, so a step
 * also counts the traffic of its first partial minute.
 */
export async function sumMetrics(metrics: Record<string, MetricSpec>, since: number, now: number): Promise<Record<string, number>> {
  // The names are the query ids: lower-case first letter, then letters, digits and underscores.
  const ids = Object.keys(metrics);
  const queries: MetricDataQuery[] = ids.map((name) => ({
    Id: name,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: metrics[name].namespace,
        MetricName: metrics[name].metricName,
        Dimensions: Object.entries(metrics[name].dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: PERIOD,
      Stat: 'Sum',
    },
  }));
  const start = Math.floor(since / PERIOD) * PERIOD;
  const end = Math.max(start + PERIOD, Math.ceil(now / PERIOD) * PERIOD);
  const sums: Record<string, number> = Object.fromEntries(ids.map((name) => [name, 0]));
  let token: string | undefined;
  do {
    const out = await awsCall('GetMetricData', () =>
      cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(start * 1000),
          EndTime: new Date(end * 1000),
          NextToken: token,
        }),
      ),
    );
    for (const r of out.MetricDataResults ?? []) {
      if (r.Id && r.Id in sums) sums[r.Id] += (r.Values ?? []).reduce((a, b) => a + b, 0);
    }
    token = out.NextToken;
  } while (token);
  return sums;
}

/** Query names and metrics of both versions' requests and errors. */
export function requestMetrics(target: TrafficTarget, versions: { canary: string; stable: string }): Record<string, MetricSpec> {
  const arms = ['canary', 'stable'] as const;
  const signals: Signal[] = ['requests', 'errors'];
  return Object.fromEntries(arms.flatMap((arm) => signals.map((signal) => [`${arm}_${signal}`, target.metric(versions[arm], signal)])));
}

/** Reads requests and errors per version out of `sumMetrics` results. */
export function requestCounts(sums: Record<string, number>): Counts {
  const arm = (name: string): ArmCounts => ({ requests: sums[`${name}_requests`] ?? 0, errors: sums[`${name}_errors`] ?? 0 });
  return { canary: arm('canary'), stable: arm('stable') };
}

/** Requests and errors of both versions since `since`. */
export async function countRequests(
  target: TrafficTarget,
  versions: { canary: string; stable: string },
  since: number,
  now: number,
): Promise<Counts> {
  return requestCounts(await sumMetrics(requestMetrics(target, versions), since, now));
}
