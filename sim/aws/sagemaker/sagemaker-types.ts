// The simulated SageMaker's records: endpoints, their variants and configurations, the history of
// changes, and how long each operation takes on the virtual clock.

export type EndpointStatus = 'Creating' | 'InService' | 'Updating' | 'Deleting' | 'Failed';

export interface VariantState {
  readonly name: string;
  readonly modelName: string;
  /** The weight traffic is routed by now. */
  readonly currentWeight: number;
  /** The weight an update in progress is moving to (= currentWeight when InService). */
  readonly desiredWeight: number;
  readonly instanceType?: string;
  readonly instanceCount: number;
}

export interface EndpointConfigRecord {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly variants: readonly { readonly name: string; readonly modelName: string; readonly weight: number; readonly instanceType?: string; readonly instanceCount: number }[];
}

export interface EndpointRecord {
  readonly name: string;
  readonly arn: string;
  status: EndpointStatus;
  configName: string;
  /** What serves now; while Updating through UpdateEndpoint, the old config's variants keep serving. */
  variants: VariantState[];
  readonly tags: Map<string, string>;
  readonly createdAt: number;
  lastModified: number;
  failureReason?: string;
  /** The update in progress and when it ends (virtual ms). */
  pending?: { readonly operation: EndpointOperation; readonly until: number; readonly timer: ReturnType<typeof setTimeout> };
}

export type EndpointOperation = 'CreateEndpoint' | 'UpdateEndpoint' | 'UpdateEndpointWeightsAndCapacities' | 'DeleteEndpoint';

export interface EndpointChange {
  /** Virtual epoch ms. */
  readonly at: number;
  readonly endpointName: string;
  /** An API call, or `<operation>:done` when SageMaker finishes it. */
  readonly operation: EndpointOperation | `${EndpointOperation}:done`;
  /** The function (handler name) that made the call, when known. */
  readonly by?: string;
  readonly status: EndpointStatus | 'Deleted';
  readonly variants: readonly VariantState[];
  /** For UpdateEndpointWeightsAndCapacities: the weights asked for, by variant. */
  readonly desiredWeights?: Readonly<Record<string, number>>;
  readonly configName?: string;
}

export interface SageMakerTimings {
  /** Virtual seconds CreateEndpoint stays Creating (default 300). */
  createEndpointSeconds: number;
  /** Virtual seconds UpdateEndpoint stays Updating while the new variants are provisioned (default 480). */
  updateEndpointSeconds: number;
  /** Virtual seconds UpdateEndpointWeightsAndCapacities stays Updating (default 30). */
  updateWeightsSeconds: number;
  /** Virtual seconds DeleteEndpoint stays Deleting (default 60). */
  deleteEndpointSeconds: number;
}

export const DEFAULT_SAGEMAKER_TIMINGS: SageMakerTimings = {
  createEndpointSeconds: 300,
  updateEndpointSeconds: 480,
  updateWeightsSeconds: 30,
  deleteEndpointSeconds: 60,
};
