/** `watch`: status redrawn in place (log-update) until the rollout ends. */
import { EXIT } from './errors';
import type { Io } from './io';
import { renderStatus } from './render';
import type { Clients } from './rollouts';
import { canaryStatus } from './status';
import type { CanaryDescriptor } from '../lambda/shared/operator';

export async function watch(c: Clients, d: CanaryDescriptor, opts: { intervalSeconds: number; json: boolean; io: Io }): Promise<number> {
  // In place on a terminal; appended (one status per refresh) when piped or --json. log-update is
  // an ES module: loaded only when it draws.
  const inPlace = !opts.json && process.stdout.isTTY === true;
  const logUpdate = inPlace ? (await import('log-update')).default : undefined;
  const draw = logUpdate ? (t: string) => logUpdate(t) : (t: string) => opts.io.out(t);
  for (;;) {
    const s = await canaryStatus(c, d);
    draw(opts.json ? JSON.stringify(s) : `${renderStatus(s)}\n(refreshed ${new Date().toISOString()}; Ctrl-C to stop watching, the rollout goes on)`);
    if (!s.rollout || s.rollout.status !== 'RUNNING') {
      logUpdate?.done();
      return s.rollout?.outcome === 'promoted' ? EXIT.OK : EXIT.NOT_PROMOTED;
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalSeconds * 1000));
  }
}
