/**
 * The registry of target kinds' contracts (lambda/targets/contract.ts): one line a kind. The
 * workflow's implementations are registered apart (lambda/targets/index.ts), so that constructs
 * and the simulator can read a kind's metrics without loading its AWS SDK client.
 */
import type { TargetKindContract } from './contract';
import { APPCONFIG } from './appconfig/contract';
import { LAMBDA_ALIAS } from './lambda-alias/contract';
import { SAGEMAKER_ENDPOINT } from './sagemaker-endpoint/contract';

const CONTRACTS = new Map<string, TargetKindContract>();

/** Adds a kind (the built-in ones below; a test's kind from its own files). */
export function registerTargetContract(contract: TargetKindContract): void {
  CONTRACTS.set(contract.kind, contract);
}

registerTargetContract(LAMBDA_ALIAS);
registerTargetContract(SAGEMAKER_ENDPOINT);
registerTargetContract(APPCONFIG);

export function contractOf(kind: string): TargetKindContract {
  const contract = CONTRACTS.get(kind);
  if (!contract) throw new Error(`Unknown target kind "${kind}" (known: ${[...CONTRACTS.keys()].join(', ')})`);
  return contract;
}

/** Every kind's contract, built-in and registered. */
export function allTargetContracts(): TargetKindContract[] {
  return [...CONTRACTS.values()];
}

/**
 * Dimension names that hold a version: each kind's, and the runtime helper's `Version` (the
 * model signals and the judge's evidence).
 */
export function versionDimensions(): Set<string> {
  return new Set(['Version', ...allTargetContracts().map((c) => c.metrics.versionDimension)]);
}
