/**
 * What a fleet of canaries costs in one stack, against issue 17's goals: a stack of one model
 * function and one canary with the default guards at most 45 CloudFormation resources; each
 * further canary at most 15 of its own (its 4 guard alarms included); 25 canaries under
 * CloudFormation's 500 resources, synthesized in at most 60 s.
 *
 *   npx tsx scripts/fleet-report.ts        (also written by `npm run bench`)
 *
 * Each stack is synthesized in a fresh process (`scripts/fleet-app.ts`, CDK's template validation
 * on), as `cdk synth` of a user's app would be, and timed there.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { FleetCounts } from './fleet-app';

const ROOT = path.resolve(__dirname, '..');
export const GOALS = { oneCanary: 45, perCanary: 15, fleet: 25, maxResources: 500, synthSeconds: 60 } as const;

function measure(n: number): FleetCounts {
  const out = execFileSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'scripts', 'fleet-app.ts'), String(n)], {
    cwd: ROOT,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.toString().trim().split('\n').pop()!) as FleetCounts;
}

export function fleetReport(): string {
  const one = measure(1);
  const two = measure(2);
  const fleet = measure(GOALS.fleet);
  const modelPerCanary = two.modelResources - one.modelResources;
  const perCanary = two.resources - one.resources - modelPerCanary;
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const types = (c: FleetCounts) => Object.entries(c.byType).sort((a, b) => b[1] - a[1]).map(([t, k]) => `${t.replace(/^AWS::/, '')} ${k}`).join(', ');
  return [
    `| stack | resources | goal | synth (s) |`,
    `|---|---|---|---|`,
    `| 1 model function + 1 canary (default guards) | ${one.resources} | ≤ ${GOALS.oneCanary}: ${met(one.resources <= GOALS.oneCanary)} | ${one.synthSeconds.toFixed(1)} |`,
    `| each further canary, its own resources (the model function's ${modelPerCanary} apart) | ${perCanary} | ≤ ${GOALS.perCanary}: ${met(perCanary <= GOALS.perCanary)} | |`,
    `| ${GOALS.fleet} model functions + ${GOALS.fleet} canaries | ${fleet.resources} | < ${GOALS.maxResources}, synth ≤ ${GOALS.synthSeconds} s: ${met(fleet.resources < GOALS.maxResources && fleet.synthSeconds <= GOALS.synthSeconds)} | ${fleet.synthSeconds.toFixed(1)} |`,
    '',
    `One canary: ${types(one)}.`,
    '',
    `${GOALS.fleet} canaries: ${types(fleet)}.`,
  ].join('\n');
}

if (require.main === module) {
  process.stdout.write(`${fleetReport()}\n`);
}
