/**
 * The model's traffic and the metrics it leaves: requests through the alias (or to the endpoint's
 * variants by weight) every virtual second, Lambda's per-invocation metrics under each dimension set
 * Lambda publishes, SageMaker's endpoint invocation metrics, the runtime helper's model signals
 * (EMF) and Bedrock Guardrails' own metrics; and the model invocations the pre-traffic checks make.
 */
import type { InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { InvokeEndpointCommandInput, InvokeEndpointCommandOutput } from '@aws-sdk/client-sagemaker-runtime';
import { awsError } from '../aws/core/aws-errors';
import { type BedrockGuardrailsSim, type GuardrailVersions, guardrailVersionsOf } from '../aws/bedrock/bedrock';
import type { JudgePlan } from '../../lambda/shared/judge-plan';
import type { AliasState, LambdaSim } from '../aws/lambda/lambda';
import type { MetricId, MetricStore } from '../aws/cloudwatch/metrics';
import { type EndpointRecord, invocationMetrics, type SageMakerSim } from '../aws/sagemaker/sagemaker';
import { isProviderWaiter } from '../aws/cloudformation/provider-framework';
import { STABLE_TAG } from '../../lambda/targets/sagemaker-endpoint/target';
import type { StackResources } from './stack-resources';
import { ACCOUNT } from '../aws/core/account';
import { type CfnTemplate, resourcesOfType } from '../aws/cloudformation/template';
import { defaultResponse, type RequestSignals, type TrafficModel } from './traffic';
import type { SimWorldOptions } from './world-types';

export interface ModelTrafficDeps {
  readonly options: SimWorldOptions;
  readonly template: CfnTemplate;
  readonly stackName: string;
  readonly resources: StackResources;
  readonly metrics: MetricStore;
  readonly lambda: LambdaSim;
  readonly sagemaker: SageMakerSim;
  readonly traffic: TrafficModel;
  readonly bedrock: BedrockGuardrailsSim;
  /** Requests served through the model's alias (or endpoint), per version. */
  readonly served: Map<string, { requests: number; errors: number }>;
  readonly now: () => number;
}

export class ModelTraffic {
  constructor(private d: ModelTrafficDeps) {}

  /** The stack after an update (sim/world/stack-update.ts): its template and resources. */
  public rebind(template: CfnTemplate, resources: StackResources): void {
    this.d = { ...this.d, template, resources };
    this.guardrailCache = undefined;
  }

  private alias(): AliasState | undefined {
    return this.d.lambda.alias(this.d.resources.model.functionName, this.d.resources.model.aliasName);
  }

  private endpoint(): EndpointRecord | undefined {
    const name = this.d.resources.model.endpointName;
    return name ? this.d.sagemaker.endpoint(name) : undefined;
  }

  public generateTraffic(now: number): void {
    if (this.d.resources.model.kind === 'sagemaker-endpoint') {
      this.generateEndpointTraffic(now);
      return;
    }
    const alias = this.alias();
    this.d.traffic.observeAlias(alias, now);
    const n = this.d.traffic.arrivals(now);
    if (!alias || n === 0) return;
    const resource = `${this.d.resources.model.functionName}:${this.d.resources.model.aliasName}`;
    for (let i = 0; i < n; i++) {
      const version = this.d.lambda.route(alias);
      const outcome = this.d.traffic.serve(version, now);
      this.recordRequest(this.d.resources.model.functionName, resource, version, outcome.error, outcome.durationMs, now);
      if (outcome.signals) this.recordSignals(version, outcome.signals, now);
    }
  }

  /** Requests to the SageMaker endpoint, split over the variants by CurrentWeight / sum of weights. */
  private generateEndpointTraffic(now: number): void {
    const endpoint = this.endpoint();
    const serving = this.d.sagemaker.serving(endpoint);
    if (serving) this.d.traffic.observeShares(this.d.sagemaker.shares(endpoint), now, endpoint?.tags.get(STABLE_TAG));
    const n = this.d.traffic.arrivals(now);
    if (!serving || n === 0) return;
    for (let i = 0; i < n; i++) {
      const variant = this.d.sagemaker.route(endpoint);
      if (!variant) return;
      const outcome = this.d.traffic.serve(variant, now);
      this.recordEndpointRequest(endpoint.name, variant, outcome.error, outcome.durationMs, now);
      const s = this.d.served.get(variant) ?? { requests: 0, errors: 0 };
      s.requests++;
      if (outcome.error) s.errors++;
      this.d.served.set(variant, s);
      if (outcome.signals) this.recordSignals(variant, outcome.signals, now);
    }
  }

  /** SageMaker's per-request endpoint metrics under {EndpointName, VariantName}, as sim/aws/sagemaker/sagemaker-invocations.ts counts them. */
  private recordEndpointRequest(endpointName: string, variant: string, error: boolean, durationMs: number, at: number): void {
    const values = invocationMetrics({ error, durationMs });
    const key = `sagemaker|${endpointName}|${variant}`;
    let ids = this.metricIdCache.get(key);
    if (!ids) {
      const dimensions = { EndpointName: endpointName, VariantName: variant };
      ids = [Object.keys(values).map((metricName): MetricId => ({ namespace: 'AWS/SageMaker', metricName, dimensions }))];
      this.metricIdCache.set(key, ids);
    }
    for (const id of ids[0]) this.d.metrics.put(id, at, values[id.metricName]);
  }

  /** The EMF documents the runtime helper writes for one request, as the metrics CloudWatch Logs extracts. */
  private recordSignals(version: string, s: RequestSignals, at: number): void {
    const namespace = this.d.options.scenario?.signalsNamespace ?? 'ModelCanary';
    const canary = this.d.options.scenario?.signalsCanaryName ?? this.d.resources.model.canaryName;
    const put = (metricName: string, value: number | undefined, cls?: string) => {
      if (value === undefined) return;
      const key = `signal|${version}|${metricName}|${cls ?? ''}`;
      let id = this.metricIdCache.get(key)?.[0]?.[0];
      if (!id) {
        // As the runtime helper writes them: Canary, Stack (the canary's stack), Version (+ Class).
        const dimensions: Record<string, string> = { Canary: canary, Stack: this.d.stackName, Version: version, ...(cls !== undefined ? { Class: cls } : {}) };
        id = { namespace, metricName, dimensions };
        this.metricIdCache.set(key, [[id]]);
      }
      this.d.metrics.put(id, at, value);
    };
    put('Requests', 1);
    put('InputTokens', s.inputTokens);
    put('OutputTokens', s.outputTokens);
    if (s.inputTokens !== undefined || s.outputTokens !== undefined) put('TotalTokens', (s.inputTokens ?? 0) + (s.outputTokens ?? 0));
    put('GuardrailIntervened', s.guardrailIntervened === undefined ? undefined : s.guardrailIntervened ? 1 : 0);
    put('SchemaInvalid', s.schemaValid === undefined ? undefined : s.schemaValid ? 0 : 1);
    put('ResponseLength', s.responseLength);
    if (s.predictedClass !== undefined) put('Prediction', 1, s.predictedClass);
    if (s.guardrailIntervened !== undefined) this.d.bedrock.record(version, s.guardrailIntervened, at);
  }

  private guardrailCache?: { value: GuardrailVersions | undefined };

  /** The guardrail and versions this canary's BedrockGuardrailBlockRateVsStable guard judges (none without that guard). */
  public bedrockGuardrail(): GuardrailVersions | undefined {
    if (!this.guardrailCache) {
      const canaryName = this.d.resources.model.canaryName;
      let judge: JudgePlan | undefined;
      for (const [, r] of resourcesOfType(this.d.template, 'AWS::StepFunctions::StateMachine')) {
        if (this.d.resources.belongsToOtherCanary(r) || isProviderWaiter(r)) continue;
        const definition = JSON.parse(String(this.d.resources.resolver.resolve<Record<string, unknown>>(r.Properties ?? {}).DefinitionString)) as unknown;
        judge = findJudgePlan(definition, canaryName) ?? judge;
      }
      this.guardrailCache = { value: guardrailVersionsOf(judge) };
    }
    return this.guardrailCache.value;
  }

  private readonly metricIdCache = new Map<string, MetricId[][]>();

  /** Invocations, Errors and Duration under each dimension set Lambda publishes (cached: same objects every time). */
  private lambdaMetricIds(functionName: string, resource: string, version: string): MetricId[][] {
    const key = `${functionName}|${resource}|${version}`;
    let ids = this.metricIdCache.get(key);
    if (!ids) {
      const sets: Record<string, string>[] = [
        { FunctionName: functionName },
        { FunctionName: functionName, Resource: resource },
        ...(version !== '$LATEST' ? [{ FunctionName: functionName, Resource: resource, ExecutedVersion: version }] : []),
      ];
      ids = sets.map((dimensions) =>
        ['Invocations', 'Errors', 'Duration'].map((metricName): MetricId => ({ namespace: 'AWS/Lambda', metricName, dimensions })),
      );
      this.metricIdCache.set(key, ids);
    }
    return ids;
  }

  /** Lambda's per-invocation metrics, under each dimension set Lambda publishes. */
  private recordRequest(functionName: string, resource: string, version: string, error: boolean, durationMs: number, at: number): void {
    for (const [invocations, errors, duration] of this.lambdaMetricIds(functionName, resource, version)) {
      this.d.metrics.put(invocations, at, 1);
      this.d.metrics.put(errors, at, error ? 1 : 0);
      this.d.metrics.put(duration, at, durationMs);
    }
    if (resource === `${this.d.resources.model.functionName}:${this.d.resources.model.aliasName}`) {
      const s = this.d.served.get(version) ?? { requests: 0, errors: 0 };
      s.requests++;
      if (error) s.errors++;
      this.d.served.set(version, s);
    }
  }

  /** InvokeEndpoint (pre-traffic checks): one request to a variant (TargetVariant) or by weight; ModelError when the model fails. */
  public invokeEndpoint(input: InvokeEndpointCommandInput): InvokeEndpointCommandOutput {
    const endpoint = this.d.sagemaker.endpoint(input.EndpointName ?? '');
    const notFound = () => awsError('sagemaker-runtime', 'ValidationError', 400, `Endpoint ${input.EndpointName} of account ${ACCOUNT} not found.`);
    if (!endpoint) throw notFound();
    if (!this.d.sagemaker.serving(endpoint)) {
      const { name, status } = endpoint as EndpointRecord;
      throw awsError('sagemaker-runtime', 'ValidationError', 400, `Endpoint ${name} of account ${ACCOUNT} is not in service (${status}).`);
    }
    let variant: string | undefined;
    if (input.TargetVariant !== undefined) {
      variant = endpoint.variants.find((v) => v.name === input.TargetVariant)?.name;
      if (!variant) {
        throw awsError('sagemaker-runtime', 'ValidationError', 400, `Variant ${input.TargetVariant} not found for endpoint ${endpoint.name}.`);
      }
    } else {
      variant = this.d.sagemaker.route(endpoint);
      if (!variant) throw awsError('sagemaker-runtime', 'ValidationError', 400, `Endpoint ${endpoint.name} has no variant with a weight above 0.`);
    }
    const now = this.d.now();
    const outcome = this.d.traffic.serve(variant, now);
    this.recordEndpointRequest(endpoint.name, variant, outcome.error, outcome.durationMs, now);
    if (outcome.signals) this.recordSignals(variant, outcome.signals, now);
    if (outcome.error) {
      throw Object.assign(
        awsError('sagemaker-runtime', 'ModelError', 424, `Received server error (500) from primary with message "simulated failure of variant ${variant}".`),
        { OriginalStatusCode: 500 },
      );
    }
    const raw = input.Body;
    const text = raw === undefined ? '' : typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array);
    let event: unknown;
    try {
      event = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      event = text;
    }
    const body = (this.d.traffic.behaviour(variant, now).respond ?? defaultResponse)(event, variant);
    return {
      $metadata: { httpStatusCode: 200 },
      ContentType: 'application/json',
      InvokedProductionVariant: variant,
      Body: new TextEncoder().encode(JSON.stringify(body)) as InvokeEndpointCommandOutput['Body'],
    };
  }

  /** Invoke of the model function (pre-traffic checks): a version, an alias, or $LATEST. */
  public invokeModel(input: InvokeCommandInput): InvokeCommandOutput {
    const { fn, qualifier: arnQualifier } = this.d.lambda.resolveName(input.FunctionName ?? '');
    if (!fn) throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${input.FunctionName}`);
    if (fn.handlerName) throw new Error(`The simulator invokes ${fn.name} (a ${fn.handlerName} step) only from the workflow`);
    const qualifier = input.Qualifier ?? arnQualifier;
    let version: string;
    let resource: string;
    if (qualifier === undefined || qualifier === '$LATEST') {
      version = '$LATEST';
      resource = fn.name;
    } else if (/^\d+$/.test(qualifier)) {
      if (!fn.versions.has(qualifier)) throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${fn.arn}:${qualifier}`);
      version = qualifier;
      resource = `${fn.name}:${qualifier}`;
    } else {
      const alias = fn.aliases.get(qualifier);
      if (!alias) throw awsError('lambda', 'ResourceNotFoundException', 404, `Function not found: ${fn.arn}:${qualifier}`);
      version = this.d.lambda.route(alias);
      resource = `${fn.name}:${qualifier}`;
    }
    const now = this.d.now();
    const outcome = this.d.traffic.serve(version, now);
    this.recordRequest(fn.name, resource, version, outcome.error, outcome.durationMs, now);
    const raw = input.Payload;
    const text = raw === undefined ? '' : typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array);
    const event = text ? (JSON.parse(text) as unknown) : undefined;
    const body = outcome.error
      ? { errorType: 'ModelError', errorMessage: `simulated failure of version ${version}`, trace: [] }
      : (this.d.traffic.behaviour(version, now).respond ?? defaultResponse)(event, version);
    return {
      $metadata: { httpStatusCode: 200 },
      StatusCode: 200,
      ExecutedVersion: version,
      ...(outcome.error ? { FunctionError: 'Unhandled' } : {}),
      Payload: new TextEncoder().encode(JSON.stringify(body)) as InvokeCommandOutput['Payload'],
    };
  }
}

/** The rollout plan's judge of one canary, wherever the definition carries it (the plan's Pass state). */
function findJudgePlan(v: unknown, canaryName: string | undefined): JudgePlan | undefined {
  if (Array.isArray(v)) {
    for (const x of v) {
      const found = findJudgePlan(x, canaryName);
      if (found) return found;
    }
  } else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const judge = o.judge as JudgePlan | undefined;
    if (judge && Array.isArray(judge.guards) && (canaryName === undefined || judge.canaryName === canaryName)) return judge;
    for (const x of Object.values(o)) {
      const found = findJudgePlan(x, canaryName);
      if (found) return found;
    }
  }
  return undefined;
}
