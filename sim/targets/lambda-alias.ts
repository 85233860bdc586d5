/**
 * A weighted Lambda alias in the simulator: each second's requests go through the alias (its
 * FunctionVersion, or the one additional version by its weight) and leave Lambda's per-invocation
 * metrics; a deploy publishes the model function's new version.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
 */
import type { TargetConfig } from '../../lambda/targets/contract';
import { LAMBDA_ALIAS } from '../../lambda/targets/lambda-alias/contract';
import { resourcesOfType } from '../aws/cloudformation/template';
import type { AliasState } from '../aws/lambda/lambda';
import { LambdaInvocationMetrics } from '../aws/lambda/lambda-metrics';
import type { ModelTarget, ShareChange, SimTarget, SimTargetContext, SimTargetKind, StackView } from './contract';

class LambdaAliasRouting implements SimTarget {
  private readonly invocations: LambdaInvocationMetrics;

  constructor(private readonly ctx: SimTargetContext) {
    this.invocations = new LambdaInvocationMetrics(ctx.metrics);
  }

  private get functionName(): string {
    return this.ctx.model.config.functionName;
  }

  private get aliasName(): string {
    return this.ctx.model.config.aliasName;
  }

  private alias(): AliasState | undefined {
    return this.ctx.lambda.alias(this.functionName, this.aliasName);
  }

  public serveSecond(now: number): void {
    const alias = this.alias();
    if (alias) this.ctx.observe(shareOf(alias), now, alias.functionVersion);
    const n = this.ctx.arrivals(now);
    if (!alias || n === 0) return;
    const resource = `${this.functionName}:${this.aliasName}`;
    for (let i = 0; i < n; i++) {
      const version = this.ctx.lambda.route(alias);
      const outcome = this.ctx.serveRequest(version, now);
      this.invocations.record(this.functionName, resource, version, outcome.error, outcome.durationMs, now);
    }
  }

  public canaryPercent(canary: string): number {
    const alias = this.alias();
    if (!alias) return 0;
    // The promoted canary is the alias's version: everything but the previous version's control share.
    if (alias.functionVersion === canary) return Math.round((1 - Object.values(alias.weights).reduce((a, w) => a + w, 0)) * 1000) / 10;
    return Math.round((alias.weights[canary] ?? 0) * 1000) / 10;
  }

  public shareChanges(canary: string): ShareChange[] {
    return this.ctx.lambda.aliasSnapshots(this.functionName, this.aliasName).map((h) => ({
      at: h.at,
      by: h.by,
      percent: h.functionVersion === canary ? 100 - (h.extraPercent ?? 0) : h.extraVersion === canary ? h.extraPercent : 0,
      promoted: h.functionVersion === canary,
    }));
  }

  /** CloudFormation publishes the model function's new version (its AWS::Lambda::Version resources). */
  public deploy(version: string): void {
    const stack = this.ctx.stack;
    for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::Lambda::Version')) {
      const fn = stack.functionFor(resource.Properties?.FunctionName);
      if (fn.name !== this.functionName) continue;
      this.ctx.lambda.publishVersion(fn.name, version, { environment: environmentOf(stack, fn.name) });
      stack.versionsByLogicalId.set(logicalId, version);
    }
  }
}

/** Each version's share of the alias's traffic, in percent: the additional version by its weight, FunctionVersion the rest. */
function shareOf(alias: AliasState): (version: string) => number {
  return (version) => {
    const extra = alias.weights[version];
    if (extra !== undefined) return extra * 100;
    if (version === alias.functionVersion) {
      const others = Object.values(alias.weights).reduce((a, b) => a + b, 0);
      return (1 - others) * 100;
    }
    return 0;
  };
}

export const LAMBDA_ALIAS_SIM: SimTargetKind = {
  contract: LAMBDA_ALIAS,
  modelTarget(release, stack): ModelTarget | undefined {
    if (!release.target.functionName || !release.target.aliasName) return undefined;
    const config = stack.resolver.resolve<TargetConfig>(release.target);
    return { kind: LAMBDA_ALIAS.kind, canaryName: release.canaryName, releaseLogicalId: release.logicalId, config, functionName: config.functionName };
  },
  bind: (ctx) => new LambdaAliasRouting(ctx),
};

/** The model function's environment variables as the template gives them (values the simulator cannot resolve are left out). */
function environmentOf(stack: StackView, functionName: string): Record<string, string> | undefined {
  for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::Lambda::Function')) {
    const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    if (!variables) continue;
    let ours = false;
    try {
      ours = stack.functionFor({ Ref: logicalId }).name === functionName;
    } catch {
      ours = false;
    }
    if (!ours) continue;
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) {
      try {
        const resolved = stack.resolver.resolve(value);
        if (typeof resolved === 'string') out[name] = resolved;
      } catch {
        // An attribute the simulator does not model: the version simply lacks it.
      }
    }
    return out;
  }
  return undefined;
}
