/**
 * The simulator's target kinds (sim/targets/contract.ts): one line a kind. The order is the
 * default's: a world not told which canary to simulate takes the first canary of the first kind
 * here that the stack has.
 */
import type { ModelTarget, SimTargetKind } from './contract';
import { APPCONFIG_SIM } from './appconfig';
import { LAMBDA_ALIAS_SIM } from './lambda-alias';
import { SAGEMAKER_ENDPOINT_SIM } from './sagemaker-endpoint';

const KINDS = new Map<string, SimTargetKind>();

/** Adds a kind (the built-in ones below; a test's kind from its own files). */
export function registerSimTarget<M extends ModelTarget>(kind: SimTargetKind<M>): void {
  KINDS.set(kind.contract.kind, kind);
}

registerSimTarget(LAMBDA_ALIAS_SIM);
registerSimTarget(SAGEMAKER_ENDPOINT_SIM);
registerSimTarget(APPCONFIG_SIM);

export function simTargetOf(kind: string): SimTargetKind {
  const found = KINDS.get(kind);
  if (!found) throw new Error(`The simulator has no target kind "${kind}" (known: ${[...KINDS.keys()].join(', ')}): register it with registerSimTarget (sim/targets/index.ts)`);
  return found;
}

/** Every kind, in the order registered. */
export function simTargets(): SimTargetKind[] {
  return [...KINDS.values()];
}

export type { ModelTarget, ShareChange, SimTarget, SimTargetContext, SimTargetKind } from './contract';
