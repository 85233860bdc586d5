/**
 * The library's 0.1 layout (test/fixtures/layout-0.1): its synthesized example stack and the code
 * of its functions, unpacked under .cache/ so that its imports resolve to this checkout's
 * node_modules (the SDK clients the simulator intercepts).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Handler, SynthesizedStack } from '../../sim';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'layout-0.1');
const UNPACKED = path.join(ROOT, '.cache', 'layout-0.1');

/** The handlers of the 0.1 layout: one function per step and canary. */
const LEGACY_HANDLERS = ['check', 'on-alarm', 'on-execution-end', 'pre-traffic', 'promote', 'release', 'rollback-failed', 'rollback', 'set-weight', 'start', 'watch'];

export function legacyStack(): SynthesizedStack {
  return JSON.parse(gunzipSync(new Uint8Array(fs.readFileSync(path.join(FIXTURE, 'template.json.gz')))).toString('utf8')) as SynthesizedStack;
}

export function legacyHandlers(): Record<string, Handler> {
  const marker = path.join(UNPACKED, '.unpacked');
  if (!fs.existsSync(marker)) {
    fs.rmSync(UNPACKED, { recursive: true, force: true });
    fs.mkdirSync(UNPACKED, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(FIXTURE, 'lambda.tar.gz'), '-C', UNPACKED]);
    fs.writeFileSync(marker, '');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return Object.fromEntries(LEGACY_HANDLERS.map((h) => [h, (require(path.join(UNPACKED, 'lambda', 'handlers', `${h}.ts`)) as { handler: Handler }).handler]));
}
