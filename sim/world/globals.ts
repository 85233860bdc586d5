import type { Random } from '../aws/core/random';

/**
 * What a world replaces while it lives: Math.random (the world's seeded generator) and, unless
 * `printLogs`, console.log (the handlers' log lines go to the world's log). Returns how to restore them.
 */
export function installGlobals(o: { random: Random; printLogs?: boolean; log: (text: string) => void }): (() => void)[] {
  const restore: (() => void)[] = [];
  const originalRandom = Math.random;
  Math.random = o.random.asMathRandom();
  restore.push(() => {
    Math.random = originalRandom;
  });
  if (!o.printLogs) {
    const originalLog = console.log;
    console.log = (...args: unknown[]) => o.log(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    restore.push(() => {
      console.log = originalLog;
    });
  }
  return restore;
}
