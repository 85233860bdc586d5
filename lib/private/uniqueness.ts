import { createHash } from 'node:crypto';
import { Stack, Token } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';

/** What a canary routes and how it is named, as checked for clashes at synth time. */
export interface CanaryClaim {
  /** Unique in its stack: alarm names, metric dimensions and the alerts use it. */
  readonly canaryName: string;
  /** What the canary routes: `lambda:<function path or name>:<alias>`, `sagemaker:endpoint:<name>`. */
  readonly targetKey: string;
  /** For the message, e.g. "alias live of function Api/Fn". */
  readonly targetDescription: string;
}

interface Entry extends CanaryClaim {
  readonly path: string;
  readonly stack: Stack;
}

/** Canaries registered per app (the construct tree's root). */
const registry = new WeakMap<IConstruct, Entry[]>();

/**
 * Registers a canary and throws at once when another canary in the same app routes the same
 * target, or one in the same stack has the same name. Two owners of one alias or endpoint would
 * undo each other's weights; two canaries of one name would share alarms and model signals.
 * Token-valued names are skipped (they cannot be compared before deploy).
 */
export function registerCanary(canary: Construct, claim: CanaryClaim): void {
  const root = canary.node.root;
  const entries = registry.get(root) ?? [];
  registry.set(root, entries);
  const entry: Entry = { ...claim, path: canary.node.path, stack: Stack.of(canary) };

  if (!Token.isUnresolved(claim.targetKey)) {
    const same = entries.find((e) => e.targetKey === claim.targetKey);
    if (same) {
      throw new Error(
        `${entry.path}: ${claim.targetDescription} is already routed by the canary ${same.path}. ` +
          'Two canaries on one target undo each other\'s traffic shifts: remove one, or give this one its own ' +
          'alias (aliasName) or endpoint (endpointName).',
      );
    }
  }
  if (!Token.isUnresolved(claim.canaryName)) {
    const same = entries.find((e) => e.stack === entry.stack && e.canaryName === claim.canaryName);
    if (same) {
      throw new Error(
        `${entry.path}: canaryName "${claim.canaryName}" is already used by the canary ${same.path} in stack ${entry.stack.stackName}. ` +
          'Alarm names and model-signal metrics are keyed by it: give one of them another canaryName.',
      );
    }
  }
  entries.push(entry);
}

/**
 * The default canaryName: the construct's path inside its stack, so two canaries with the same id
 * in different scopes differ. A canary directly in its stack keeps its id (the name earlier
 * releases used). Long paths keep their end and a hash of the whole, within 40 characters of
 * [A-Za-z0-9_-], which fits every name derived from it (alarm names, the topic's display name).
 */
export function defaultCanaryName(canary: Construct): string {
  const stack = Stack.of(canary);
  const ids = canary.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id);
  const name = ids.join('-').replace(/[^A-Za-z0-9_-]/g, '-');
  if (name.length <= MAX_DEFAULT_NAME) return name;
  const hash = createHash('sha256').update(ids.join('/')).digest('hex').slice(0, 8);
  return `${name.slice(-(MAX_DEFAULT_NAME - hash.length - 1)).replace(/^[-_]+/, '')}-${hash}`;
}

const MAX_DEFAULT_NAME = 40;
