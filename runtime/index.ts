/**
 * `cdk-model-canary/runtime`: per-request model signals, written by the model's own code.
 *
 * The guards of a model canary compare the canary version with the stable version on signals that
 * only the model code can see: tokens, guardrail interventions, output schema failures, response
 * length and the distribution of predicted classes. {@link ModelSignals} writes them as CloudWatch
 * embedded metric format (EMF) documents, one JSON line per document on stdout, through
 * Powertools for AWS Lambda (TypeScript) Metrics. Each document carries the dimensions `Canary`
 * (the construct's `canaryName`), `Stack` (the canary's stack, so two stacks' canaries of one name
 * do not mix) and `Version` (the version that served the request), which are what the guard
 * alarms select on. The canary construct sets `MODEL_CANARY_NAME` and `MODEL_CANARY_STACK` on the
 * model function, so `new ModelSignals()` needs no names in the code.
 *
 * Where the data goes:
 * - Lambda: stdout goes to the function's CloudWatch Logs log group, and CloudWatch Logs extracts
 *   the EMF documents into metrics. This is the path AWS documents for EMF.
 * - SageMaker real-time endpoint: the container's stdout goes to the endpoint's log group
 *   (`/aws/sagemaker/Endpoints/<endpoint>`). AWS documents EMF extraction for Lambda, ECS and the
 *   CloudWatch agent; whether CloudWatch Logs extracts EMF written to a SageMaker endpoint's log
 *   group has not been checked by this library. Check it on your account (look for the metrics
 *   in the namespace after a few requests) before relying on guards fed by it.
 *
 * Nothing is buffered: every {@link ModelSignals.record} call writes its documents before it
 * returns, so there is nothing to flush at the end of a Lambda invocation or when a long-running
 * container stops, and no handler wrapper or middleware is needed.
 *
 * Like Powertools' metrics, it never stops the model from loading: without a canary or stack name (a
 * unit test importing the handler with no environment) it warns once and records nothing.
 * `MODEL_CANARY_SIGNALS_DISABLED=true` turns the output off, and so do Powertools' switches:
 * `POWERTOOLS_METRICS_DISABLED=true`, or `POWERTOOLS_DEV=true` without `POWERTOOLS_METRICS_DISABLED=false`.
 * Input is still checked when nothing is written, so a unit test catches a bad signal.
 *
 * {@link ModelRouter} (runtime/router.ts) is the config canary's router: it reads the routing
 * document from AWS AppConfig, keeps each user on one variant, and records each request with
 * {@link ModelSignals} under the variant's version.
 *
 * This entry point imports nothing from aws-cdk-lib or the construct library.
 */
export * from './signal-names';
export * from './model-signals';
export * from './routing';
export * from './router';
