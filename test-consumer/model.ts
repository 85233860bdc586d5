// A user's model function (CommonJS), recording signals with the runtime helper. The canary sets
// MODEL_CANARY_NAME and MODEL_CANARY_STACK on the function; Lambda sets the version.
import { ModelSignals } from 'cdk-model-canary/runtime';

const signals = new ModelSignals();

export async function handler(event: { text: string }): Promise<{ label: string }> {
  signals.record({ responseLength: event.text, predictedClass: 'positive' });
  return { label: 'positive' };
}
