/**
 * The workflow's side of the parameter router: reads and writes the routing parameter with
 * GetParameter / PutParameter.
 *
 * Limit: Parameter Store has no conditional write (PutParameter takes no expected version:
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html). Where the
 * Lambda target passes the RevisionId it read, this one re-reads the parameter and compares its
 * Version with the one the step read, then writes: a writer that slips in between those two calls
 * is overwritten. The window is one API call, not the step's bake.
 */
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsCall, TargetStateError } from '../../../lambda/shared/errors';
import { type OwnerRecord, UNRECORDED } from '../../../lambda/shared/ownership';
import type { InvokeResult, MetricSpec, Signal, TrafficSplit, TrafficTarget } from '../../../lambda/shared/traffic-target';
import type { Release } from '../../../lambda/shared/types';
import { type TargetConfig, targetMetricSpec } from '../../../lambda/targets/contract';
import { PARAMETER_ROUTER, type ParameterRouterTargetConfig, parseRouting, type Routing } from './contract';

const ssm = new SSMClient({});

interface Stored {
  readonly routing: Routing;
  /** The parameter's Version: every PutParameter adds one. */
  readonly version: number;
}

export class ParameterRouterTarget implements TrafficTarget {
  public readonly id: string;
  public readonly name: string;
  public readonly description: string;
  /**
   * The application reads the routing for every request (the simulator's does, each second): a
   * change applies within seconds. An application that caches it would name its cache's lifetime.
   */
  public readonly weightChangeSeconds = 5;

  constructor(private readonly config: ParameterRouterTargetConfig) {
    this.id = config.parameterName;
    this.name = config.parameterName;
    this.description = `routing parameter ${config.parameterName}`;
  }

  public async read(): Promise<TrafficSplit> {
    const stored = await this.get();
    if (!stored) throw new TargetStateError(`${this.description} does not exist`);
    return splitOf(stored);
  }

  /** The application routes to whatever version the parameter names: nothing to prepare. */
  public async prepare(): Promise<void> {}

  public async shift(release: Release, percent: number, expected: TrafficSplit): Promise<void> {
    await this.write({ stable: release.stableVersion, canary: release.canaryVersion, canaryPercent: percent }, expected);
  }

  /** The previous version keeps `controlPercent` as the canary's share of the routing (the judged guards' control). */
  public async promote(release: Release, expected: TrafficSplit, controlPercent = 0): Promise<void> {
    const control = controlPercent > 0 ? { canary: release.stableVersion } : {};
    await this.write({ stable: release.canaryVersion, ...control, canaryPercent: controlPercent }, expected);
  }

  public async rollback(release: Release, expected: TrafficSplit): Promise<void> {
    await this.write({ stable: release.stableVersion, canaryPercent: 0 }, expected);
  }

  /** The application alone picks a version per request: no request reaches one version on demand. */
  public async invokeCanary(): Promise<InvokeResult> {
    throw new TargetStateError(`${this.description}: a parameter router cannot send a request to the canary alone; leave out preTrafficChecks`);
  }

  public async ensureServing(version: string): Promise<{ created: boolean; split: TrafficSplit }> {
    const stored = await this.get();
    if (stored) return { created: false, split: splitOf(stored) };
    // Made by the library, owner not recorded yet (writeOwner follows), as a new Lambda alias is.
    const routing: Routing = { stable: version, canaryPercent: 0, owner: UNRECORDED };
    const out = await awsCall('PutParameter', () =>
      ssm.send(new PutParameterCommand({ Name: this.config.parameterName, Value: JSON.stringify(routing), Type: 'String', Overwrite: false })),
    );
    return { created: true, split: splitOf({ routing, version: out.Version ?? 1 }) };
  }

  /**
   * Stack deletion. The application reads the parameter on every request, so it is not deleted:
   * the stable version keeps serving everything, and no release resource owns it any more.
   */
  public async remove(): Promise<void> {
    const stored = await this.get();
    if (!stored) return;
    await this.put({ stable: stored.routing.stable, canaryPercent: 0, owner: UNRECORDED });
  }

  public async readOwner(): Promise<OwnerRecord | undefined> {
    const stored = await this.get();
    if (!stored) return undefined;
    const { owner, previousOwner } = stored.routing;
    return { ...(owner ? { owner } : {}), ...(previousOwner ? { previousOwner } : {}) };
  }

  /** Only the owner fields change: the routing is written back as read, if nobody changed it meanwhile. */
  public async writeOwner(record: OwnerRecord): Promise<void> {
    const stored = await this.get();
    if (!stored) throw new TargetStateError(`${this.description} does not exist`);
    const { owner: _owner, previousOwner: _previous, ...routing } = stored.routing;
    await this.write({ ...routing, ...record }, splitOf(stored), 'while its owner was being recorded: deploy again', true);
  }

  public metric(version: string, signal: Signal): MetricSpec {
    return targetMetricSpec(PARAMETER_ROUTER, this.config, version, signal);
  }

  private async get(): Promise<Stored | undefined> {
    try {
      const out = await awsCall('GetParameter', () => ssm.send(new GetParameterCommand({ Name: this.config.parameterName })));
      return { routing: parseRouting(out.Parameter?.Value ?? '', this.config.parameterName), version: out.Parameter?.Version ?? 0 };
    } catch (err) {
      if ((err as Error).name === 'ParameterNotFound') return undefined;
      throw err;
    }
  }

  /**
   * Writes `next` only if the parameter is still at the version `expected` was read at (see the
   * limit above); keeps the owner record unless `ownerFields` says `next` carries it.
   */
  private async write(next: Routing, expected: Pick<TrafficSplit, 'revision'>, whileDoing = 'while this step was updating it', ownerFields = false): Promise<void> {
    const current = await this.get();
    if (!current || String(current.version) !== expected.revision) throw new TargetStateError(`${this.description} changed ${whileDoing}`);
    const { owner, previousOwner } = current.routing;
    await this.put(ownerFields ? next : { ...next, owner, previousOwner });
  }

  private async put(routing: Routing): Promise<void> {
    await awsCall('PutParameter', () =>
      ssm.send(new PutParameterCommand({ Name: this.config.parameterName, Value: JSON.stringify(routing), Type: 'String', Overwrite: true })),
    );
  }
}

function splitOf({ routing, version }: Stored): TrafficSplit {
  return { stable: routing.stable, canary: routing.canary, canaryPercent: routing.canaryPercent, revision: String(version) };
}

/** The registry's factory (lambda/targets/index.ts). */
export const create = (config: TargetConfig): TrafficTarget => new ParameterRouterTarget(config as ParameterRouterTargetConfig);
