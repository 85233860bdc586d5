/**
 * A disposed world leaves nothing behind: many simulated runs in one process (the fault matrix,
 * the bench, a user dry-running a hundred scenarios) must not grow the heap run by run.
 * Each run here stops mid-rollout, so timers, executions and SDK stubs are all still live at
 * dispose(). Before SimWorld released them a run like this kept several MB alive.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { SimWorld, type SynthesizedStack } from '../../sim';
import { exampleStack, healthyScenario, startRollout } from '../workflow/helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function shortRun(stack: SynthesizedStack, seed: number): Promise<void> {
  const world = SimWorld.fromStack(stack, { seed, scenario: healthyScenario() });
  try {
    await startRollout(world);
    await world.advance(3 * 60);
  } finally {
    world.dispose();
  }
}

describe('memory', () => {
  it('the heap does not grow with the number of disposed worlds', async () => {
    const stack = exampleStack();
    // Warm-up: module caches, compiled code and the handlers' SDK clients are made once.
    for (let seed = 1; seed <= 3; seed++) await shortRun(stack, seed);
    const before = heapAfterGc();
    const RUNS = 8;
    for (let seed = 4; seed < 4 + RUNS; seed++) await shortRun(stack, seed);
    const grownPerRun = (heapAfterGc() - before) / RUNS;
    // Measured here: about 0.1 MB a run (compiled code); a world kept alive is 1.4 MB (its clock's
    // timers through jest's record of globals) to 2.7 MB (its SDK stubs in sinon's default sandbox).
    expect(grownPerRun).toBeLessThan(500_000);
  }, 60_000);
});
