// The same model as an ES module: `import` resolves the package's ESM entry.
import { ModelSignals, type ModelRequestSignals } from 'cdk-model-canary/runtime';

const signals: ModelSignals = new ModelSignals();

export async function handler(event: { text: string }): Promise<{ label: string }> {
  const request: ModelRequestSignals = { responseLength: event.text, predictedClass: 'negative' };
  signals.record(request);
  return { label: 'negative' };
}
