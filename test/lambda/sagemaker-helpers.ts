/**
 * Fixtures for the SageMaker endpoint target: an endpoint with production variants named after
 * their models, the stable-variant tag, SageMaker's error shapes, and a way to run code that polls
 * with setTimeout under jest's fake timers.
 */
import 'aws-sdk-client-mock-jest';
import type { DescribeEndpointCommandOutput, EndpointStatus, ListTagsCommandOutput } from '@aws-sdk/client-sagemaker';
import { STABLE_TAG } from '../../lambda/targets/sagemaker-endpoint/target';
import type { Release } from '../../lambda/shared/types';
import type { SageMakerEndpointTargetConfig } from '../../lambda/targets/sagemaker-endpoint/contract';

export const ENDPOINT = 'summarizer';
export const ENDPOINT_ARN = `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${ENDPOINT}`;
/** Models as CloudFormation names them; each model is also its variant's name. */
export const MODEL_A = 'SummarizerModel-Aaaaaaaaaaaa';
export const MODEL_B = 'SummarizerModel-Bbbbbbbbbbbb';
export const MODEL_C = 'SummarizerModel-Cccccccccccc';

export const SM_TARGET: SageMakerEndpointTargetConfig = {
  kind: 'sagemaker-endpoint',
  endpointName: ENDPOINT,
  instanceType: 'ml.m5.large',
  instanceCount: '2',
};

/** Stable model A, canary model B. */
export const SM_RELEASE: Release = { stableVersion: MODEL_A, canaryVersion: MODEL_B };

export const LAST_MODIFIED = new Date('2025-01-01T00:00:00.000Z');

/**
 * A DescribeEndpoint response. `variants` maps variant name to weight (DesiredWeight and
 * CurrentWeight both, unless `current` gives the weights SageMaker still applies).
 */
export function endpoint(
  status: EndpointStatus,
  variants: Record<string, number>,
  opts: { current?: Record<string, number>; failureReason?: string } = {},
): DescribeEndpointCommandOutput {
  return {
    $metadata: {},
    EndpointName: ENDPOINT,
    EndpointArn: ENDPOINT_ARN,
    EndpointConfigName: `${ENDPOINT}-config`,
    EndpointStatus: status,
    FailureReason: opts.failureReason,
    CreationTime: new Date('2024-12-01T00:00:00.000Z'),
    LastModifiedTime: LAST_MODIFIED,
    ProductionVariants: Object.entries(variants).map(([VariantName, weight]) => ({
      VariantName,
      DesiredWeight: weight,
      CurrentWeight: opts.current?.[VariantName] ?? weight,
      CurrentInstanceCount: 2,
      DesiredInstanceCount: 2,
    })),
  };
}

/** A ListTags response naming `stable` as the stable variant (no tag when undefined), plus `extra` tags. */
export function tags(stable?: string, extra: Record<string, string> = {}): ListTagsCommandOutput {
  return {
    $metadata: {},
    Tags: [
      { Key: 'team', Value: 'ml' },
      ...(stable === undefined ? [] : [{ Key: STABLE_TAG, Value: stable }]),
      ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
    ],
  };
}

/** SageMaker reports most client errors as a ValidationException with a message. */
export function validationError(message: string): Error {
  return Object.assign(new Error(message), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

export const notFound = () => validationError(`Could not find endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint/${ENDPOINT}".`);
export const inProgress = () => validationError(`Cannot update in-progress endpoint "${ENDPOINT_ARN}".`);
export const alreadyExists = (config: string) =>
  validationError(`Cannot create already existing endpoint configuration "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${config}".`);
export const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });

export type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * Runs `fn` under jest's fake timers, advancing the clock by `ms` (the target sleeps 5 s between
 * polls), and reports how it settled. Throws when it has not settled by then.
 */
export async function settleWithin<T>(ms: number, fn: () => Promise<T>): Promise<Settled<T>> {
  let settled: Settled<T> | undefined;
  void fn().then(
    (value) => (settled = { ok: true, value }),
    (error: Error) => (settled = { ok: false, error }),
  );
  await jest.advanceTimersByTimeAsync(ms);
  if (!settled) throw new Error(`still running after ${ms} ms of fake time`);
  return settled;
}

/** The error of a settled call (fails the test when it succeeded). */
export function failure(s: Settled<unknown>): Error {
  if (s.ok) throw new Error('expected an error, but the call succeeded');
  return s.error;
}
