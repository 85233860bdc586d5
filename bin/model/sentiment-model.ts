import { ModelSignals } from '../../runtime';

/**
 * The example's model: a toy sentiment classifier standing in for a real one. It records the
 * model signals the canary guards (tokens, guardrail, schema, length, class) for every request.
 * The canary and stack names come from MODEL_CANARY_NAME and MODEL_CANARY_STACK, which the canary
 * construct sets on this function; the version from Lambda's AWS_LAMBDA_FUNCTION_VERSION.
 */
export const signals = new ModelSignals();

interface Request {
  readonly text?: string;
}

export async function handler(event: Request) {
  const text = String(event?.text ?? '');
  const positive = /good|great|love|excellent/i.test(text);
  const response = {
    modelVersion: process.env.MODEL_VERSION,
    prediction: positive ? 'positive' : 'negative',
    confidence: positive ? 0.91 : 0.64,
  };
  const body = JSON.stringify(response);
  signals.record({
    inputTokens: Math.ceil(text.length / 4),
    outputTokens: Math.ceil(body.length / 4),
    guardrailIntervened: false,
    schemaValid: typeof response.prediction === 'string' && response.confidence >= 0 && response.confidence <= 1,
    responseLength: body,
    predictedClass: response.prediction,
  });
  return response;
}
