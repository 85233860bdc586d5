import type { DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import type { TrafficSplit } from '../../shared/traffic-target';

// The endpoint's production variants read as a traffic split (variant names are model names),
// and the names of the endpoint configurations the target creates.

export interface VariantWeight {
  readonly name: string;
  readonly weight: number;
}

/** Variants with the weight they have or are being given (DesiredWeight while Updating). */
export function variantsOf(endpoint: DescribeEndpointCommandOutput): VariantWeight[] {
  return (endpoint.ProductionVariants ?? []).map((v) => ({
    name: v.VariantName ?? '',
    weight: v.DesiredWeight ?? v.CurrentWeight ?? 0,
  }));
}

/** A variant's share = weight / sum of weights, in percent with 4 decimals (0 for a missing variant). */
export function percentOf(variants: VariantWeight[], name: string): number {
  const total = variants.reduce((s, v) => s + v.weight, 0);
  const weight = variants.find((v) => v.name === name)?.weight ?? 0;
  return total > 0 ? Math.round((weight / total) * 1_000_000) / 10_000 : 0;
}

export function splitOf(endpoint: DescribeEndpointCommandOutput, stableTag: string | undefined): TrafficSplit {
  const variants = variantsOf(endpoint);
  const stable =
    variants.find((v) => v.name === stableTag) ?? [...variants].sort((a, b) => b.weight - a.weight)[0];
  const canary = variants.find((v) => v !== stable);
  const canaryPercent = canary ? percentOf(variants, canary.name) : 0;
  return {
    stable: stable?.name ?? '',
    // A variant kept at weight 0 after a promotion or rollback is not a canary.
    canary: canary && canaryPercent > 0 ? canary.name : undefined,
    canaryPercent,
    revision: endpoint.LastModifiedTime ? new Date(endpoint.LastModifiedTime).toISOString() : undefined,
  };
}

/**
 * Endpoint config names: at most 63 characters, unique per release. The first 50 characters of the
 * endpoint name are the prefix the IAM grant allows (lib/private/sagemaker-endpoint-binding.ts).
 */
export function endpointConfigName(endpoint: string, model: string): string {
  let hash = 0;
  for (const c of `${endpoint}/${model}`) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `${endpoint.slice(0, 50)}-${hash.toString(36)}`.slice(0, 63);
}
