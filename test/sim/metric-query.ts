import type { CloudWatchSim, MetricId } from '../../sim';

export const dimList = (d: Readonly<Record<string, string>>) => Object.entries(d).map(([Name, Value]) => ({ Name, Value }));

/** GetMetricData of one metric's statistic over [start, end), as the tests read the simulated CloudWatch. */
export function queryMetric(cw: CloudWatchSim, id: MetricId, stat: string, period: number, start: number, end: number) {
  return cw.getMetricData({
    StartTime: new Date(start),
    EndTime: new Date(end),
    ScanBy: 'TimestampAscending',
    MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: id.namespace, MetricName: id.metricName, Dimensions: dimList(id.dimensions) }, Period: period, Stat: stat } }],
  }).MetricDataResults![0];
}
