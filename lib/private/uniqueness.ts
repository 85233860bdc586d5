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

interface EnvironmentOwner {
  readonly canaryName: string;
  readonly stackName: string;
  readonly path: string;
  readonly aliasName: string;
}

/** The canaries that set the model-signal names on a function, in the order they did. */
const environmentOwners = new WeakMap<IConstruct, EnvironmentOwner[]>();

/**
 * A function has one environment: with two canaries of different names on it (one per alias), the
 * last one's MODEL_CANARY_NAME / MODEL_CANARY_STACK win, and ModelSignals() without a canaryName
 * feeds only that canary's guards. Returns the warning for the canary registered now, if any.
 */
export function sharedEnvironmentWarning(fn: IConstruct, owner: EnvironmentOwner): string | undefined {
  const owners = environmentOwners.get(fn) ?? [];
  environmentOwners.set(fn, owners);
  owners.push(owner);
  if (Token.isUnresolved(owner.canaryName) || Token.isUnresolved(owner.stackName)) return undefined;
  const others = owners.filter(
    (o) => o !== owner && !Token.isUnresolved(o.canaryName) && (o.canaryName !== owner.canaryName || o.stackName !== owner.stackName),
  );
  if (others.length === 0) return undefined;
  const list = others.map((o) => `${o.path} (canaryName "${o.canaryName}", alias "${o.aliasName}")`).join(', ');
  return (
    `the model function ${fn.node.path} is also released by ${list}. A function has one environment, so MODEL_CANARY_NAME and MODEL_CANARY_STACK ` +
    `are now "${owner.canaryName}" and "${owner.stackName}" (this canary's) for every alias: new ModelSignals() without a canaryName ` +
    'feeds only this canary\'s guards, and the model-signal guards of the other canary never get data. Pass canaryName to ModelSignals explicitly in code that ' +
    'can tell which alias served the request, or use one canary per function.'
  );
}
