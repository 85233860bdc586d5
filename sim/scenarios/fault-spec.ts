/** The `--faults` option of `simulate`: which simulated calls fail, and how. */
import type { FaultKind } from '../aws/core/aws-errors';
import { ScenarioError } from './scenario';

export interface FaultSpec {
  readonly operation: string;
  readonly kinds: FaultKind[];
  /** Fail every call (the kind list has one entry). */
  readonly always: boolean;
}

const FAULT_KINDS = ['throttle', '5xx', 'timeout', 'accessDenied'] as const;

/**
 * `--faults "UpdateAlias:throttle,throttle;GetMetricData:5xx;DescribeAlarms:timeout*"`: per
 * operation (optionally `@handler`, or `TaskInvoke:<State>`), the failures its next calls return in
 * order; `kind*` fails every call.
 */
export function parseFaults(text: string): FaultSpec[] {
  return text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((part) => {
      const at = part.lastIndexOf(':');
      const operation = at > 0 ? part.slice(0, at).trim() : '';
      const list = at > 0 ? part.slice(at + 1).split(',').map((k) => k.trim()).filter((k) => k !== '') : [];
      if (!/^[A-Za-z]+(:[A-Za-z0-9_-]+)?(@[a-z-]+)?$/.test(operation) || list.length === 0) {
        throw new ScenarioError(`--faults: "${part}" is not OPERATION:KIND[,KIND...] (e.g. UpdateAlias:throttle,5xx)`);
      }
      const always = list.some((k) => k.endsWith('*'));
      const kinds = list.map((k) => k.replace(/\*$/, ''));
      for (const k of kinds) {
        if (!(FAULT_KINDS as readonly string[]).includes(k)) {
          throw new ScenarioError(`--faults: unknown fault kind "${k}" in "${part}" (valid: ${FAULT_KINDS.join(', ')})`);
        }
      }
      if (always && kinds.length !== 1) throw new ScenarioError(`--faults: "${part}": a kind with * (every call) must be the operation's only kind`);
      return { operation, kinds: kinds as FaultKind[], always };
    });
}
