import type { FaultKind } from './aws-errors';

export interface FaultRecord {
  readonly operation: string;
  readonly kind: FaultKind;
  readonly at: number;
}

/**
 * Failures to return instead of calling the simulated service, per operation name (`UpdateAlias`,
 * `GetMetricData`, ...). `add` queues one failure per call, in order; `always` fails every call
 * until `clear`. Operation names may be qualified by the calling function (`UpdateAlias@on-alarm`),
 * which takes precedence over the plain name.
 */
export class FaultInjector {
  private readonly queued = new Map<string, FaultKind[]>();
  private readonly permanent = new Map<string, FaultKind>();
  /** Every failure returned, in order. */
  public readonly injected: FaultRecord[] = [];
  /** Calls seen per operation (failed or not). */
  public readonly calls = new Map<string, number>();

  public add(operation: string, kinds: FaultKind[]): this {
    this.queued.set(operation, [...(this.queued.get(operation) ?? []), ...kinds]);
    return this;
  }

  public always(operation: string, kind: FaultKind): this {
    this.permanent.set(operation, kind);
    return this;
  }

  public clear(operation?: string): this {
    if (operation === undefined) {
      this.queued.clear();
      this.permanent.clear();
    } else {
      this.queued.delete(operation);
      this.permanent.delete(operation);
    }
    return this;
  }

  /** The fault for this call, if any (consumes a queued one). */
  public take(operation: string, caller: string | undefined, now: number): FaultKind | undefined {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    const keys = caller ? [`${operation}@${caller}`, operation] : [operation];
    for (const key of keys) {
      const queue = this.queued.get(key);
      if (queue && queue.length > 0) {
        const kind = queue.shift()!;
        this.injected.push({ operation, kind, at: now });
        return kind;
      }
      const always = this.permanent.get(key);
      if (always !== undefined) {
        this.injected.push({ operation, kind: always, at: now });
        return always;
      }
    }
    return undefined;
  }

  public count(operation: string): number {
    return this.injected.filter((f) => f.operation === operation).length;
  }
}
