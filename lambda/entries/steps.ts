/**
 * The one function every canary of a stack shares for its workflow steps and fast paths. Each
 * step's module is loaded the first time it runs (the bundle keeps one chunk a step), so a warm
 * function keeps its SDK clients and a cold one loads only what its step needs.
 */
import type { StepInvocation, StepName } from '../shared/steps';

type StepHandler = (input: never) => Promise<unknown>;

const STEPS: Record<StepName, () => Promise<StepHandler>> = {
  start: async () => (await import('../handlers/start.js')).handler as StepHandler,
  'pre-traffic': async () => (await import('../handlers/pre-traffic.js')).handler as StepHandler,
  'set-weight': async () => (await import('../handlers/set-weight.js')).handler as StepHandler,
  check: async () => (await import('../handlers/check.js')).handler as StepHandler,
  promote: async () => (await import('../handlers/promote.js')).handler as StepHandler,
  watch: async () => (await import('../handlers/watch.js')).handler as StepHandler,
  rollback: async () => (await import('../handlers/rollback.js')).handler as StepHandler,
  'rollback-failed': async () => (await import('../handlers/rollback-failed.js')).handler as StepHandler,
  'on-alarm': async () => (await import('../handlers/on-alarm.js')).handler as StepHandler,
  'on-command': async () => (await import('../handlers/on-command.js')).handler as StepHandler,
  'on-execution-end': async () => (await import('../handlers/on-execution-end.js')).handler as StepHandler,
};

/** An input without a known step is a wiring error: it fails loudly (the workflow's Catch rolls back). */
export class UnknownStepError extends Error {
  public readonly name = 'UnknownStep';
}

/**
 * Each step's module, loaded once: a warm function awaits a settled promise, not another import()
 * (which goes through the module loader again, and in the simulator would take real time while
 * virtual time runs on). A failed load is not kept: the next invocation tries again.
 */
const loaded = new Map<StepName, Promise<StepHandler>>();

function stepHandler(step: StepName): Promise<StepHandler> {
  let handler = loaded.get(step);
  if (!handler) {
    handler = STEPS[step]();
    loaded.set(step, handler);
    handler.catch(() => loaded.delete(step));
  }
  return handler;
}

export async function handler(event: StepInvocation): Promise<unknown> {
  if (!STEPS[event?.step]) throw new UnknownStepError(`cdk-model-canary steps function: unknown step ${JSON.stringify(event?.step)} (known: ${Object.keys(STEPS).join(', ')})`);
  return (await stepHandler(event.step))(event.input as never);
}

/**
 * Loads a step's code and, given a target kind, that kind's implementation, without running
 * anything: what a cold invocation of that step imports (scripts/bundle-report.ts times it). A
 * module that fails to load fails it (a report must not time a load that did not happen).
 */
export async function loadStep(step: StepName, kind?: string): Promise<void> {
  if (!STEPS[step]) throw new UnknownStepError(`unknown step ${JSON.stringify(step)} (known: ${Object.keys(STEPS).join(', ')})`);
  await stepHandler(step);
  if (kind) await (await import('../targets/index.js')).targetFactory(kind);
}
