/**
 * The workflow's side of each target kind: one line a kind, loaded when a step first drives that
 * kind, so a handler loads only the AWS SDK client of the target it drives.
 */
import type { TargetFactory, TrafficTarget } from '../shared/traffic-target';
import type { TargetConfig } from './contract';
import { contractOf } from './kinds';
import { APPCONFIG_KIND } from './appconfig/contract';
import { LAMBDA_ALIAS_KIND } from './lambda-alias/contract';
import { SAGEMAKER_ENDPOINT_KIND } from './sagemaker-endpoint/contract';

const LOADERS = new Map<string, () => Promise<TargetFactory>>();
/** Each kind's implementation, loaded once (a warm function awaits a settled promise; a failed load is not kept). */
const LOADED = new Map<string, Promise<TargetFactory>>();

/** Adds a kind's implementation (a test's kind registers its own). */
export function registerTargetImplementation(kind: string, load: () => Promise<TargetFactory>): void {
  LOADERS.set(kind, load);
  LOADED.delete(kind);
}

registerTargetImplementation(LAMBDA_ALIAS_KIND, async () => (await import('./lambda-alias/target.js')).create);
registerTargetImplementation(SAGEMAKER_ENDPOINT_KIND, async () => (await import('./sagemaker-endpoint/target.js')).create);
registerTargetImplementation(APPCONFIG_KIND, async () => (await import('./appconfig/target.js')).create);

/** A kind's implementation, loaded (its SDK client with it), not yet given a target. */
export async function targetFactory(kind: string): Promise<TargetFactory> {
  contractOf(kind);
  const load = LOADERS.get(kind);
  if (!load) throw new Error(`Target kind "${kind}" has no workflow implementation registered`);
  let factory = LOADED.get(kind);
  if (!factory) {
    factory = load();
    LOADED.set(kind, factory);
    factory.catch(() => LOADED.delete(kind));
  }
  return factory;
}

/** The target a plan or a release resource names. */
export async function targetFor(config: TargetConfig): Promise<TrafficTarget> {
  return (await targetFactory(config.kind))(config);
}
