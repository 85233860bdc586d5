/**
 * A SageMaker real-time endpoint in the simulator: each second's requests go to the production
 * variants by CurrentWeight / sum of weights while the endpoint serves (InService, or Updating: the
 * old variants keep serving), and leave the endpoint invocation metrics; a deploy is CloudFormation
 * creating the model named by the version (the release resource's Version is its ModelName).
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/model-ab-testing.html
 */
import type { TargetConfig } from '../../lambda/targets/contract';
import { SAGEMAKER_ENDPOINT } from '../../lambda/targets/sagemaker-endpoint/contract';
import { STABLE_TAG } from '../../lambda/targets/sagemaker-endpoint/target';
import type { EndpointRecord } from '../aws/sagemaker/sagemaker';
import { EndpointInvocationMetrics } from '../aws/sagemaker/sagemaker-invocations';
import type { ModelTarget, ShareChange, SimTarget, SimTargetContext, SimTargetKind } from './contract';

interface EndpointModelTarget extends ModelTarget {
  /** The AWS::SageMaker::Model whose ModelName is the release's Version. */
  readonly modelLogicalId?: string;
}

class EndpointRouting implements SimTarget {
  private readonly invocations: EndpointInvocationMetrics;

  constructor(private readonly ctx: SimTargetContext<EndpointModelTarget>) {
    this.invocations = new EndpointInvocationMetrics(ctx.metrics);
  }

  private endpoint(): EndpointRecord | undefined {
    return this.ctx.sagemaker.endpoint(this.ctx.model.config.endpointName);
  }

  public serveSecond(now: number): void {
    const endpoint = this.endpoint();
    const serving = this.ctx.sagemaker.serving(endpoint);
    if (serving) {
      const shares = this.ctx.sagemaker.shares(endpoint);
      const stable = endpoint.tags.get(STABLE_TAG);
      this.ctx.observe((version) => shares[version] ?? 0, now, stable);
    }
    const n = this.ctx.arrivals(now);
    if (!serving || n === 0) return;
    for (let i = 0; i < n; i++) {
      const variant = this.ctx.sagemaker.route(endpoint);
      if (!variant) return;
      const outcome = this.ctx.serveRequest(variant, now);
      this.invocations.record(endpoint.name, variant, outcome, now);
    }
  }

  /** The share the endpoint was last asked for (SageMaker applies a weight update within about 30 s), as the alerts state it. */
  public canaryPercent(canary: string): number {
    const variants = this.endpoint()?.variants ?? [];
    const total = variants.reduce((a, v) => a + v.desiredWeight, 0);
    const weight = variants.filter((v) => v.name === canary).reduce((a, v) => a + v.desiredWeight, 0);
    return total > 0 ? Math.round((weight / total) * 1000) / 10 : 0;
  }

  /**
   * From the API calls that change the weights (the desired weights; SageMaker's completions left
   * out). The promote step's update is the promotion, at 100 % or leaving stable its control share
   * for the post-promotion watch (the watch's end then moves the last 5 %).
   */
  public shareChanges(canary: string): ShareChange[] {
    return this.ctx.sagemaker.history
      .filter((h) => h.endpointName === this.ctx.model.config.endpointName && !h.operation.endsWith(':done'))
      .map((h) => {
        const weights = h.desiredWeights ?? Object.fromEntries(h.variants.map((v) => [v.name, v.desiredWeight]));
        const total = Object.values(weights).reduce((a, b) => a + b, 0);
        const percent = total > 0 ? Math.round(((weights[canary] ?? 0) / total) * 1000) / 10 : 0;
        return { at: h.at, by: h.by, percent, promoted: h.by === 'promote' && percent > 50 };
      });
  }

  public deploy(version: string): void {
    const { modelLogicalId, canaryName } = this.ctx.model;
    if (!modelLogicalId) throw new Error(`${canaryName}: the release resource's Version is not the ModelName of an AWS::SageMaker::Model`);
    this.ctx.sagemaker.addModel(version);
    this.ctx.stack.modelNamesByLogicalId.set(modelLogicalId, version);
  }

  public serving(): boolean {
    return this.ctx.sagemaker.serving(this.endpoint());
  }
}

export const SAGEMAKER_ENDPOINT_SIM: SimTargetKind<EndpointModelTarget> = {
  contract: SAGEMAKER_ENDPOINT,
  modelTarget(release, stack) {
    if (!release.target.endpointName) return undefined;
    const getAtt = (release.properties.Version as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
    const modelId = Array.isArray(getAtt) ? String(getAtt[0]) : undefined;
    return {
      kind: SAGEMAKER_ENDPOINT.kind,
      canaryName: release.canaryName,
      releaseLogicalId: release.logicalId,
      config: stack.resolver.resolve<TargetConfig>(release.target),
      modelLogicalId: modelId && stack.template.Resources[modelId]?.Type === 'AWS::SageMaker::Model' ? modelId : undefined,
    };
  },
  bind(ctx) {
    return new EndpointRouting(ctx);
  },
};
