/**
 * The model's traffic and the metrics it leaves: each second's requests through the canary's
 * routing (its kind's sim/targets/<kind>.ts), the runtime helper's model signals (EMF) and Bedrock
 * Guardrails' own metrics; and the model invocations the pre-traffic checks make (Lambda Invoke of
 * a version, SageMaker InvokeEndpoint of a variant).
 */
import type { InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { InvokeEndpointCommandInput, InvokeEndpointCommandOutput } from '@aws-sdk/client-sagemaker-runtime';
import { awsError } from '../aws/core/aws-errors';
import { type BedrockGuardrailsSim, type GuardrailVersions, guardrailVersionsOf } from '../aws/bedrock/bedrock';
import type { JudgePlan } from '../../lambda/shared/judge-plan';
import type { LambdaSim } from '../aws/lambda/lambda';
import { LambdaInvocationMetrics } from '../aws/lambda/lambda-metrics';
import type { MetricId, MetricStore, PutOptions } from '../aws/cloudwatch/metrics';
import contract from '../../runtime/emf-contract.json';
import type { Random } from '../aws/core/random';
import type { EndpointRecord, SageMakerSim } from '../aws/sagemaker/sagemaker';
import { EndpointInvocationMetrics } from '../aws/sagemaker/sagemaker-invocations';
import type { SsmSim } from '../aws/ssm/ssm';
import type { AppConfigSim } from '../aws/appconfig/appconfig';
import { isProviderWaiter } from '../aws/cloudformation/provider-framework';
import { type SimTarget, type SimTargetContext, simTargetOf } from '../targets';
import type { StackResources } from './stack-resources';
import { ACCOUNT } from '../aws/core/account';
import { type CfnTemplate, resourcesOfType } from '../aws/cloudformation/template';
import { defaultResponse, type RequestSignals, type TrafficModel } from './traffic';
import type { SimWorldOptions } from './world-types';

/** The signals the helper writes at 1 second when its high resolution is on (emf-contract.json `highResolution`). */
const HIGH_RESOLUTION_SIGNALS = new Set(contract.highResolution.metrics.map((k) => contract.metrics[k as keyof typeof contract.metrics].name));

export interface ModelTrafficDeps {
  readonly options: SimWorldOptions;
  readonly template: CfnTemplate;
  readonly stackName: string;
  readonly resources: StackResources;
  readonly metrics: MetricStore;
  readonly lambda: LambdaSim;
  readonly sagemaker: SageMakerSim;
  readonly ssm: SsmSim;
  readonly appconfig: AppConfigSim;
  readonly random: Random;
  readonly traffic: TrafficModel;
  readonly bedrock: BedrockGuardrailsSim;
  /** Requests served through the canary's routing, per version. */
  readonly served: Map<string, { requests: number; errors: number }>;
  readonly now: () => number;
}

export class ModelTraffic {
  private routing: SimTarget;
  private readonly lambdaInvocations: LambdaInvocationMetrics;
  private readonly endpointInvocations: EndpointInvocationMetrics;
  /** Model-signal metric ids, the same objects every time (MetricStore caches by object), and how each is stored. */
  private readonly signalIds = new Map<string, { id: MetricId; options: PutOptions }>();

  constructor(private d: ModelTrafficDeps) {
    this.lambdaInvocations = new LambdaInvocationMetrics(d.metrics);
    this.endpointInvocations = new EndpointInvocationMetrics(d.metrics);
    this.routing = this.bind();
  }

  /** The stack after an update (sim/world/stack-update.ts): its template and resources. */
  public rebind(template: CfnTemplate, resources: StackResources): void {
    this.d = { ...this.d, template, resources };
    this.guardrailCache = undefined;
    this.routing = this.bind(this.routing);
  }

  /** The routing of the simulated canary. */
  public get target(): SimTarget {
    return this.routing;
  }

  public generateTraffic(now: number): void {
    this.routing.serveSecond(now);
  }

  /** The canary's kind, bound to this world (its model and stack read at call time: a stack update changes them). */
  private bind(previous?: SimTarget): SimTarget {
    const traffic = this.d.traffic;
    const deps = () => this.d;
    const ctx: SimTargetContext = {
      get model() {
        return deps().resources.model;
      },
      get stack() {
        return deps().resources;
      },
      metrics: this.d.metrics,
      lambda: this.d.lambda,
      sagemaker: this.d.sagemaker,
      ssm: this.d.ssm,
      appconfig: this.d.appconfig,
      random: this.d.random,
      arrivals: (now) => traffic.arrivals(now),
      observe: (share, now, stable) => traffic.observe(share, now, stable),
      serveRequest: (version, now) => {
        const outcome = traffic.serve(version, now);
        this.countServed(version, outcome.error);
        if (outcome.signals) this.recordSignals(version, outcome.signals, now);
        return outcome;
      },
      userTraffic: this.d.options.scenario?.userTraffic,
      highResolutionCounts: this.helperHighResolution(),
    };
    return simTargetOf(this.d.resources.model.kind).bind(ctx, previous);
  }

  private countServed(version: string, error: boolean): void {
    const s = this.d.served.get(version) ?? { requests: 0, errors: 0 };
    s.requests++;
    if (error) s.errors++;
    this.d.served.set(version, s);
  }

  /** The EMF documents the runtime helper writes for one request, as the metrics CloudWatch Logs extracts. */
  private recordSignals(version: string, s: RequestSignals, at: number): void {
    const namespace = this.d.options.scenario?.signalsNamespace ?? 'ModelCanary';
    const canary = this.d.options.scenario?.signalsCanaryName ?? this.d.resources.model.canaryName;
    const put = (metricName: string, value: number | undefined, cls?: string) => {
      if (value === undefined) return;
      const key = `signal|${version}|${metricName}|${cls ?? ''}`;
      let signal = this.signalIds.get(key);
      if (!signal) {
        // As the runtime helper writes them: Canary, Stack (the canary's stack), Version (+ Class).
        const dimensions: Record<string, string> = { Canary: canary, Stack: this.d.stackName, Version: version, ...(cls !== undefined ? { Class: cls } : {}) };
        signal = { id: { namespace, metricName, dimensions }, options: this.helperHighResolution() && HIGH_RESOLUTION_SIGNALS.has(metricName) ? { highResolution: true } : {} };
        this.signalIds.set(key, signal);
      }
      this.d.metrics.put(signal.id, at, value, signal.options);
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

  private highResolution?: boolean;

  /**
   * Whether the model's helper writes its counts at 1 second: the canary turned it on where it sets
   * the helper's environment (a config canary's target config, or the model function's variable).
   */
  private helperHighResolution(): boolean {
    if (this.highResolution === undefined) {
      const model = this.d.resources.model;
      const env = model.functionName === undefined ? undefined
        : Object.values(resourcesOfType(this.d.template, 'AWS::Lambda::Function')).map(([, r]) => (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables)
          .find((v) => v?.[contract.environment.canaryName] === model.canaryName);
      this.highResolution = model.config.highResolution === 'true' || env?.[contract.highResolution.env] === 'true';
    }
    return this.highResolution;
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
    this.endpointInvocations.record(endpoint.name, variant, outcome, now);
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
    this.lambdaInvocations.record(fn.name, resource, version, outcome.error, outcome.durationMs, now);
    // Through the canary's alias (a qualifier that names it): served as its routing serves.
    if (fn.name === this.d.resources.model.functionName && qualifier === this.d.resources.model.config.aliasName) this.countServed(version, outcome.error);
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
