/**
 * The fast paths of a stack share one function and one rule each: they find the canary an alarm,
 * a command or an execution belongs to by the descriptors under the stack's parameter path
 * (`/cdk-model-canary/<stack>/<canary>/config`, lib/private/operator-channel.ts).
 */
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsCall } from './errors';
import type { CanaryDescriptor } from './operator';

const ssm = new SSMClient({});

/** A descriptor with everything a fast path needs (written by a stack with the shared controller). */
export type FastPathDescriptor = CanaryDescriptor & Required<Pick<CanaryDescriptor, 'target' | 'guardAlarmNames' | 'versionScopedAlarmNames'>>;

/** Every canary descriptor under `path` (GetParametersByPath, 10 a page). */
export async function canaryDescriptors(path: string): Promise<FastPathDescriptor[]> {
  const out: FastPathDescriptor[] = [];
  let token: string | undefined;
  do {
    const page = await awsCall('GetParametersByPath', () => ssm.send(new GetParametersByPathCommand({ Path: path, Recursive: true, NextToken: token })));
    for (const p of page.Parameters ?? []) {
      if (!p.Name?.endsWith('/config')) continue;
      const d = parse(p.Value);
      if (d) out.push(d);
    }
    token = page.NextToken;
  } while (token);
  return out;
}

/** The canary of `path` that `match` picks; undefined when none does. */
export async function findCanary(path: string, match: (d: FastPathDescriptor) => boolean): Promise<FastPathDescriptor | undefined> {
  return (await canaryDescriptors(path)).find(match);
}

function parse(value: string | undefined): FastPathDescriptor | undefined {
  try {
    const d = JSON.parse(value ?? '') as Partial<FastPathDescriptor>;
    if (typeof d.canaryName !== 'string' || typeof d.stateMachineArn !== 'string' || !d.target || !Array.isArray(d.guardAlarmNames)) return undefined;
    return { ...d, versionScopedAlarmNames: d.versionScopedAlarmNames ?? [] } as FastPathDescriptor;
  } catch {
    return undefined;
  }
}
