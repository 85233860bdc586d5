import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadAlertTopic } from '../../lambda/shared/alerts';
import * as check from '../../lambda/handlers/check';
import * as onAlarm from '../../lambda/handlers/on-alarm';
import * as onCommand from '../../lambda/handlers/on-command';
import * as onExecutionEnd from '../../lambda/handlers/on-execution-end';
import * as preTraffic from '../../lambda/handlers/pre-traffic';
import * as promote from '../../lambda/handlers/promote';
import * as release from '../../lambda/handlers/release';
import * as rollbackFailed from '../../lambda/handlers/rollback-failed';
import * as rollback from '../../lambda/handlers/rollback';
import * as setWeight from '../../lambda/handlers/set-weight';
import * as start from '../../lambda/handlers/start';
import * as watch from '../../lambda/handlers/watch';
import { loadStep } from '../../lambda/entries/steps';
import { STEP_NAMES } from '../../lambda/shared/steps';

/** A handler as Lambda calls it: an event in, a result (or a thrown error) out. */
export type Handler = (event: never) => Promise<unknown>;

/**
 * The real handler code, by the file name in lambda/handlers/: each step the stack's `steps`
 * function runs (the invocation names it, lambda/shared/steps.ts) and the `release` function.
 * Static imports, so the same module instances (and their module-scope SDK clients) serve every
 * simulated invocation.
 */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  check: check.handler as Handler,
  'on-alarm': onAlarm.handler as Handler,
  'on-command': onCommand.handler as Handler,
  'on-execution-end': onExecutionEnd.handler as Handler,
  'pre-traffic': preTraffic.handler as Handler,
  promote: promote.handler as Handler,
  release: release.handler as Handler,
  'rollback-failed': rollbackFailed.handler as Handler,
  rollback: rollback.handler as Handler,
  'set-weight': setWeight.handler as Handler,
  start: start.handler as Handler,
  watch: watch.handler as Handler,
};

/**
 * Loads every step's module and the simulated kind's implementation before a deploy, while virtual
 * time stands still: the steps function and the target registry load them with import() on first
 * use, which takes real time (under tsx, the module loader's hooks), and virtual time would run on
 * meanwhile, by a different amount each run, so a seed would not give the same run twice.
 */
export async function preloadSteps(kind: string): Promise<void> {
  for (const step of STEP_NAMES) await loadStep(step);
  await loadStep('start', kind);
  await loadAlertTopic();
}

/** Fails loudly when lambda/handlers/ gained a handler the registry above does not know. */
export function assertRegistryComplete(): void {
  const dir = path.resolve(__dirname, '..', '..', 'lambda', 'handlers');
  if (!fs.existsSync(dir)) return;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.basename(f, '.ts'));
  const missing = files.filter((f) => !(f in HANDLERS));
  if (missing.length > 0) {
    throw new Error(`sim/world/handlers.ts does not import lambda/handlers/${missing.join(', ')}: add them to HANDLERS`);
  }
}

/** The stack's shared functions (lib/private/stack-controller.ts): "cdk-model-canary: <entry> (<what>)". */
const DESCRIPTION = /^cdk-model-canary: ([a-z0-9-]+)( \(.*\))?$/;

/** The entries of lambda/entries/: `steps` runs the step each invocation names. */
export const ENTRIES = ['steps', 'release'] as const;

/** A function of the 0.1 layout, one per step and canary: "cdk-model-canary <canary>: <handler>". */
const LEGACY_DESCRIPTION = /^cdk-model-canary (.+): ([a-z0-9-]+)$/;

/**
 * The entry named by a function's Description, if it is one of the library's; `legacy` for a
 * function of the 0.1 layout (its code is not this checkout's: SimWorldOptions.legacyHandlers).
 */
export function handlerOf(description: unknown): { handlerName: string; legacy?: true } | undefined {
  if (typeof description !== 'string') return undefined;
  const m = DESCRIPTION.exec(description);
  if (m) return { handlerName: m[1] };
  const old = LEGACY_DESCRIPTION.exec(description);
  return old ? { handlerName: old[2], legacy: true } : undefined;
}

export function handlerNameOf(description: unknown): string | undefined {
  return handlerOf(description)?.handlerName;
}
