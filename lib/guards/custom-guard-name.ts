import { GUARD_NAMES } from '../../lambda/shared/judge-plan';

const NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Problems of a user-defined judged guard's name (it ends its evidence alarm's name). */
export function customNameProblems(name: string | undefined): string[] {
  if (typeof name !== 'string' || !NAME.test(name)) {
    return [`name is ${JSON.stringify(name)}: give 1-64 letters and digits starting with a letter, like "ThumbsDownRateVsStable" (it ends the alarm name "<stack>-<canary>-<name>")`];
  }
  if ((Object.values(GUARD_NAMES) as string[]).includes(name)) {
    return [`name "${name}" is the name of a built-in guard: give a name of your own, like "${name}Custom"`];
  }
  return [];
}
