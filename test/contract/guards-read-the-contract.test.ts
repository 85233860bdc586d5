/**
 * The guard alarms must select the signals with exactly the dimension set the runtime helpers
 * write (CloudWatch matches a metric by its full dimension set: one dimension more or less and the
 * alarm gets no data, and missing data is not breaching).
 */
import contract from '../../runtime/emf-contract.json';
import { Guard } from '../../lib';
import { definitionOf, synthCanary } from '../lib/support';

interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] };
}

const PRICES = { inputTokenPricePer1k: 0.001, outputTokenPricePer1k: 0.002 };
const EVERY_SIGNAL_GUARD = [
  Guard.tokensPerRequestRatio(),
  Guard.tokensPerRequestVsStable(),
  Guard.guardrailBlocks(),
  Guard.guardrailBlockRateVsStable(),
  Guard.schemaFailureRate(),
  Guard.responseLengthVsStable(),
  Guard.costPerRequest({ ...PRICES, maxCost: 1 }),
  Guard.costPerRequestVsStable(PRICES),
  Guard.predictionShift({ classes: ['a', 'b'] }),
];

/** The signal metrics of the alarm guards and of the judged guards' plan, as { Namespace, MetricName, Dimensions }. */
function signalMetricsOfAlarms(): MetricStat['Metric'][] {
  const { json } = synthCanary({ guards: EVERY_SIGNAL_GUARD });
  const ofAlarms = Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .flatMap((r) => (r.Properties.Metrics ?? []) as { MetricStat?: MetricStat }[])
    .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
  type Judged = { namespace: string; metricName: string; dimensions: Record<string, string> };
  const judged = (definitionOf(json).States.Plan.Result.judge.guards as { events?: Judged; trials?: Judged; values?: Judged; classes?: { metric: Judged }[] }[])
    .flatMap((g) => [g.events, g.trials, g.values, ...(g.classes ?? []).map((k) => k.metric)])
    .filter((m): m is Judged => m !== undefined)
    .map((m) => ({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })) }));
  return [...ofAlarms, ...judged].filter((m) => m.Namespace === contract.namespace.default);
}

// CloudWatch matches a metric by its whole dimension set: a guard that selects fewer dimensions than
// the helpers write never gets data.
test('every signal guard selects the dimensions of its metric\'s document in the contract', () => {
  const metrics = signalMetricsOfAlarms();
  expect(metrics.length).toBeGreaterThan(0);
  const documents = contract.documents as Record<string, { dimensions: string[] }>;
  const byName = new Map(Object.values(contract.metrics as Record<string, { name: string; document: string }>).map((m) => [m.name, m.document]));
  // The prediction counts are read too (PredictionShift), with their Class dimension.
  expect(metrics.some((m) => byName.get(m.MetricName) === 'prediction')).toBe(true);
  for (const m of metrics) {
    const document = byName.get(m.MetricName);
    expect(document).toBeDefined();
    expect((m.Dimensions ?? []).map((d) => d.Name).sort()).toEqual([...documents[document!].dimensions].sort());
  }
});

test('the signal guards read only metric names of the contract', () => {
  const metrics = signalMetricsOfAlarms();
  expect(metrics.length).toBeGreaterThan(0);
  const names = new Set(Object.values(contract.metrics).map((m) => m.name));
  expect(metrics.filter((m) => !names.has(m.MetricName))).toEqual([]);
});
