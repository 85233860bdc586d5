/**
 * The contract between the state machines and rules that lib/ builds and the one function that
 * runs every step (lambda/entries/steps.ts): each invocation names its step.
 */
export const STEP_NAMES = [
  'start',
  'pre-traffic',
  'set-weight',
  'check',
  'promote',
  'watch',
  'rollback',
  'rollback-failed',
  'on-alarm',
  'on-command',
  'on-execution-end',
] as const;

export type StepName = (typeof STEP_NAMES)[number];

/** What the steps function receives: the step, and that step's own input. */
export interface StepInvocation {
  readonly step: StepName;
  readonly input: unknown;
}
