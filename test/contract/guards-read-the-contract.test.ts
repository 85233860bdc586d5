/**
 * The guard alarms must select the signals with exactly the dimension set the runtime helpers
 * write (CloudWatch matches a metric by its full dimension set: one dimension more or less and the
 * alarm gets no data, and missing data is not breaching).
 */
import contract from '../../runtime/emf-contract.json';
import { synthCanary } from '../lib/support';

interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] };
}

function signalMetricsOfAlarms(): MetricStat['Metric'][] {
  const { json } = synthCanary({ modelSignals: true, inputTokenPricePer1k: 0.001, outputTokenPricePer1k: 0.002, maxCostPerRequest: 1 });
  return Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .flatMap((r) => (r.Properties.Metrics ?? []) as { MetricStat?: MetricStat }[])
    .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []))
    .filter((m) => m.Namespace === contract.namespace.default);
}

// CloudWatch matches a metric by its whole dimension set: a guard that selects fewer dimensions than
// the helpers write never gets data.
test('every signal guard selects the request document dimensions of the contract', () => {
  const metrics = signalMetricsOfAlarms();
  expect(metrics.length).toBeGreaterThan(0);
  const names = Object.values(contract.metrics).filter((m) => m.document === 'request').map((m) => m.name);
  for (const m of metrics) {
    expect(names).toContain(m.MetricName);
    expect((m.Dimensions ?? []).map((d) => d.Name).sort()).toEqual([...contract.documents.request.dimensions].sort());
  }
});

test('the signal guards read only metric names of the contract', () => {
  const metrics = signalMetricsOfAlarms();
  expect(metrics.length).toBeGreaterThan(0);
  const names = new Set(Object.values(contract.metrics).map((m) => m.name));
  expect(metrics.filter((m) => !names.has(m.MetricName))).toEqual([]);
});
