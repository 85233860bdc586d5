/**
 * The scenarios a user's dry run starts from (`cdk-model-canary simulate --scenario <preset>`): the
 * common cases, taken from scenarios/ (bundled into the CLI with it, so the package needs no
 * scenarios folder).
 */
import * as fs from 'node:fs';
import errorSpike from '../../scenarios/error-spike.json';
import healthy from '../../scenarios/healthy.json';
import latencyRegression from '../../scenarios/latency-regression.json';
import noTraffic from '../../scenarios/no-traffic.json';
import tokenBlowup from '../../scenarios/token-blowup.json';
import { loadScenario, ScenarioError, type ScenarioFile, validateScenario } from './scenario';

const PRESETS: Readonly<Record<string, unknown>> = {
  healthy,
  'error-spike': errorSpike,
  'latency-regression': latencyRegression,
  'token-blowup': tokenBlowup,
  'no-traffic': noTraffic,
};

export const PRESET_NAMES = Object.keys(PRESETS);

/**
 * A scenario by preset name, or from a file: a value that ends in .json or names a folder
 * (`./x`, `scenarios/x.json`) is a file; anything else must be a preset.
 */
export function resolveScenario(arg: string): { file: ScenarioFile; source: string } {
  if (/\.json$/i.test(arg) || /[\\/]/.test(arg)) {
    if (!fs.existsSync(arg)) throw new ScenarioError(`scenario file ${arg} does not exist: give a scenario JSON file, or a preset (${PRESET_NAMES.join(', ')})`);
    return { file: loadScenario(arg), source: arg };
  }
  const preset = Object.prototype.hasOwnProperty.call(PRESETS, arg) ? PRESETS[arg] : undefined;
  if (preset === undefined) throw new ScenarioError(`no preset "${arg}": give one of ${PRESET_NAMES.join(', ')}, or a scenario file (a path ending in .json)`);
  return { file: validateScenario(JSON.parse(JSON.stringify(preset)), `preset ${arg}`), source: `preset ${arg}` };
}
