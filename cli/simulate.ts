/**
 * `cdk-model-canary simulate`: a dry run of a canary of the user's synthesized app on the simulated
 * AWS (sim/): the app's own guards, schedule, gates and watch, the library's handlers, a virtual
 * clock, no AWS account. The simulator loads only when the command runs (cli/simulate-run.ts).
 */
import { InvalidArgumentError } from 'commander';
import type { AddCommand } from './main';
import type { SimulateFlags } from './simulate-run';
import { PRESET_NAMES } from '../sim/scenarios/presets';

/** The outcomes a dry run reports (`outcome` of --json), which --expect can name. */
export const OUTCOMES = ['promoted', 'rolled_back', 'insufficient_evidence', 'held', 'failed'] as const;

/** As --json spells it, or as the summary prints it (ROLLED_BACK). */
function outcome(value: string): string {
  const o = value.toLowerCase();
  if (!(OUTCOMES as readonly string[]).includes(o)) throw new InvalidArgumentError(`give one of ${OUTCOMES.join(', ')}`);
  return o;
}

function seed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('give a whole number, 0 or more');
  return n;
}

export const simulateCommand: AddCommand = ({ program, io, globals, action }) => {
  program
    .command('simulate')
    .description('dry-run a rollout of a canary of your synthesized app on a simulated AWS (your guards, schedule, gates and watch; virtual clock; no AWS account)')
    .option('--app <dir>', 'the synthesized app: the folder `cdk synth` writes', 'cdk.out')
    .option('--canary <name>', 'the canary to simulate (its canaryName; needed when the app has more than one)')
    .option('--scenario <file|preset>', `how the stable and canary versions behave: a scenario JSON file, or a preset (${PRESET_NAMES.join(', ')})`, 'healthy')
    .option('--seed <n>', 'random seed (traffic, errors, latencies): the same seed, the same run', seed, 1)
    .option('--chart <file>', 'also write the run\'s chart (SVG) to this file')
    .option('--expect <outcome>', `exit 7 unless the rollout ends this way (${OUTCOMES.join(', ')}): a CI check of your guards`, outcome)
    .action(
      action(async (flags: SimulateFlags) => {
        const { simulate } = await import('./simulate-run.js');
        const g = globals();
        return simulate({ ...flags, stack: g.stack, json: g.json === true }, io);
      }),
    );
};
