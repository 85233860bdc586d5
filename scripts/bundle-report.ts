/**
 * Size and cold import time of each prebuilt handler bundle, as a markdown table.
 *
 *   npx tsx scripts/bundle-report.ts [--runs 7] [--dir assets/handlers]
 *
 * Import time: wall time of a fresh `node -e "require(<bundle>)"` process, median of the runs,
 * shown as measured and net of a bare `node -e 0` start (measured interleaved, same median), so
 * machine noise hits both alike. Run `npm run bundle` first.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const GOAL_KIB = 300;
const GOAL_MS = 150;

const root = path.resolve(__dirname, '..');

// What a Lambda function has; no node_modules on the path, so a bundle must be self-contained.
const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

function timeNode(dir: string, script: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node -e ${script} failed: ${r.stderr.toString()}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The markdown table of every bundle under `dir` (each `<name>/index.js`), `runs` timings each. */
export function bundleReport(dir = path.join(root, 'assets', 'handlers'), runs = 7): string {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${runs}`);
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist: run "npm run bundle" first`);
  const lines: string[] = [];
  const names = fs
    .readdirSync(dir)
    .filter((n) => fs.existsSync(path.join(dir, n, 'index.js')))
    .sort();
  if (names.length === 0) throw new Error(`no <name>/index.js bundles under ${dir}`);

  timeNode(dir, '0'); // warm the file cache for node itself
  const rows: string[] = [];
  let failing = 0;
  for (const name of names) {
    const file = path.join(dir, name, 'index.js');
    const kib = fs.statSync(file).size / 1024;
    const total: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < runs; i++) {
      base.push(timeNode(dir, '0'));
      total.push(timeNode(dir, `require(${JSON.stringify(file)})`));
    }
    const t = median(total);
    const net = t - median(base);
    const ok = kib <= GOAL_KIB && net <= GOAL_MS;
    if (!ok) failing++;
    rows.push(`| ${name} | ${kib.toFixed(0)} | ${t.toFixed(0)} | ${net.toFixed(0)} | ${ok ? 'yes' : 'no'} |`);
  }

  lines.push(`Handler bundles (${path.relative(root, dir)}), node ${process.version}, median of ${runs} runs:\n`);
  lines.push(`| bundle | size (KiB) | import, whole process (ms) | import, net of node start (ms) | ≤ ${GOAL_KIB} KiB and ≤ ${GOAL_MS} ms |`);
  lines.push('|---|---:|---:|---:|:---:|');
  lines.push(...rows);
  lines.push(`\n${names.length - failing} of ${names.length} bundles within the goal.`);
  return lines.join('\n');
}

if (require.main === module) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
  };
  console.log(bundleReport(path.resolve(root, arg('dir', 'assets/handlers')), Number(arg('runs', '7'))));
}
