import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { awsCall } from './errors';
import type { MetricSpec, Signal, TrafficTarget } from './target';

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
 * Sums requests and errors of both versions from `since` to `now` (epoch seconds), in 1-minute
 * periods: the resolution Lambda and SageMaker publish at. The minute that holds `since` is
 * included, so a step also counts the canary traffic of its first partial minute.
 */
export async function countRequests(
  target: TrafficTarget,
  versions: { canary: string; stable: string },
  since: number,
  now: number,
): Promise<Counts> {
  const arms = ['canary', 'stable'] as const;
  const signals: Signal[] = ['requests', 'errors'];
  const queries: MetricDataQuery[] = arms.flatMap((arm) =>
    signals.map((signal) => query(`${arm}_${signal}`, target.metric(versions[arm], signal))),
  );
  const start = Math.floor(since / PERIOD) * PERIOD;
  const end = Math.max(start + PERIOD, Math.ceil(now / PERIOD) * PERIOD);
  const sums: Record<string, number> = {};
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
      const id = r.Id ?? '';
      sums[id] = (sums[id] ?? 0) + (r.Values ?? []).reduce((a, b) => a + b, 0);
    }
    token = out.NextToken;
  } while (token);
  const arm = (name: string): ArmCounts => ({
    requests: sums[`${name}_requests`] ?? 0,
    errors: sums[`${name}_errors`] ?? 0,
  });
  return { canary: arm('canary'), stable: arm('stable') };
}

function query(id: string, spec: MetricSpec): MetricDataQuery {
  return {
    Id: id,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: spec.namespace,
        MetricName: spec.metricName,
        Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: PERIOD,
      Stat: 'Sum',
    },
  };
}
