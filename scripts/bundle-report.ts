/**
 * What each step of the stack's functions loads, per target kind, and how long its cold import
 * takes, as a markdown table.
 *
 *   npx tsx scripts/bundle-report.ts [--runs 7] [--dir assets/handlers]
 *
 * Size: what a cold invocation of a step loads, from esbuild's metafile of the build `npm run
 * bundle` makes (scripts/bundle-handlers.js, same options): the function's index.mjs, the step's
 * chunk and the chunk of the target kind it drives, each with every chunk it imports statically;
 * "with an alert" adds the chunk of lambda/shared/alert-topic.ts (the SNS client), which loads with
 * the first alert an invocation sends (start, set-weight, promote, rollback and release send one
 * each time; check, watch and the fast paths seldom). Import time: wall time of a fresh node process that imports index.mjs and awaits
 * `loadStep(step, kind)` (lambda/entries/steps.ts; the release function: its index.mjs and the
 * kind's chunk), median of the runs, shown as measured and net of a bare start (an ES module `0`,
 * measured interleaved, same median), so machine noise hits both alike; the load average is printed
 * with it because on a loaded machine every wall time grows. "CPU" is the CPU time the loads took
 * inside that process, which a loaded machine barely changes. Run `npm run bundle` first.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { STEP_NAMES } from '../lambda/shared/steps';
import { allTargetContracts } from '../lambda/targets/kinds';

export const GOAL_KIB = 300;
const GOAL_MS = 150;

const root = path.resolve(__dirname, '..');
const requireHere = createRequire(__filename);

// What a Lambda function has; no node_modules on the path, so a bundle must be self-contained.
const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

interface MetaOutput {
  readonly bytes: number;
  readonly entryPoint?: string;
  readonly imports: readonly { readonly path: string; readonly kind: string; readonly external?: boolean }[];
}

/** One function's build, as esbuild describes it: output files by path relative to the repository. */
interface FunctionBuild {
  readonly name: string;
  readonly outputs: Record<string, MetaOutput>;
  /** The output of the function's entry (index.mjs). */
  readonly index: string;
}

/** Builds each function in memory with the bundle's options and checks `dir` holds the same files. */
async function buildsOf(dir: string): Promise<FunctionBuild[]> {
  const esbuild = requireHere('esbuild') as typeof import('esbuild');
  const { handlerBuildOptions, entryNames } = requireHere('./bundle-handlers.js') as {
    handlerBuildOptions(name: string, outdir: string): import('esbuild').BuildOptions;
    entryNames(): string[];
  };
  const builds: FunctionBuild[] = [];
  for (const name of entryNames()) {
    // Asynchronous: the build's options hold a plugin (esbuild's synchronous API takes none).
    const result = await esbuild.build({ ...handlerBuildOptions(name, path.join(dir, name)), absWorkingDir: root, write: false, metafile: true, logLevel: 'error' });
    for (const file of result.outputFiles) {
      if (!fs.existsSync(file.path) || fs.statSync(file.path).size !== file.contents.length) {
        throw new Error(`${path.relative(root, file.path)} is missing or differs from a fresh build of lambda/entries/${name}.ts: run "npm run bundle" first`);
      }
    }
    const outputs = result.metafile.outputs as Record<string, MetaOutput>;
    const index = Object.keys(outputs).find((o) => outputs[o].entryPoint === `lambda/entries/${name}.ts`);
    if (!index) throw new Error(`esbuild's metafile has no output for lambda/entries/${name}.ts`);
    builds.push({ name, outputs, index });
  }
  return builds;
}

/** `start` and every output it imports statically, transitively (dynamic imports load later, if ever). */
function staticClosure(build: FunctionBuild, start: string, into = new Set<string>()): Set<string> {
  if (into.has(start)) return into;
  into.add(start);
  for (const i of build.outputs[start]?.imports ?? []) {
    if (i.kind === 'import-statement' && !i.external) staticClosure(build, i.path, into);
  }
  return into;
}

/** The output a source file's dynamic import() loads (its split point), if it has one. */
function splitPoint(build: FunctionBuild, source: string): string | undefined {
  return Object.keys(build.outputs).find((o) => build.outputs[o].entryPoint === source);
}

function chunkOf(build: FunctionBuild, source: string): string {
  const found = splitPoint(build, source);
  if (!found) throw new Error(`${build.name}: no chunk for ${source} (is it imported dynamically?)`);
  return found;
}

function timeNode(cwd: string, args: string[]): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return { ms, stdout: r.stdout.toString() };
}

/**
 * `script`, made to print the CPU time (user and system, every thread) its loads took: unlike wall
 * time it barely grows when other processes share the cores.
 */
const withCpu = (script: string) => `const c0 = process.cpuUsage(); ${script} const c = process.cpuUsage(c0); process.stdout.write(String((c.user + c.system) / 1000));`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Load {
  readonly files: Set<string>;
  /** An ES module script that loads these files the way a cold invocation does. */
  readonly script: string;
}

interface Row {
  readonly build: FunctionBuild;
  readonly label: string;
  /** What a cold invocation of the step loads. */
  readonly plain: Load;
  /** The same invocation when it also sends an alert (the SNS client loads with the first one). */
  readonly alerting: Load;
}

/** Every step of the steps function and the release function, once per target kind. */
function rowsOf(builds: FunctionBuild[]): Row[] {
  const kinds = allTargetContracts().map((c) => c.kind);
  const abs = (o: string) => JSON.stringify(path.join(root, o));
  const rows: Row[] = [];
  for (const build of builds) {
    const base = staticClosure(build, build.index);
    const alertChunk = chunkOf(build, 'lambda/shared/alert-topic.ts');
    const alerting = (load: Load): Load => ({ files: staticClosure(build, alertChunk, new Set(load.files)), script: `${load.script} await import(${abs(alertChunk)});` });
    for (const kind of kinds) {
      // The registry of kinds is a chunk of its own where loadStep imports it dynamically.
      const registry = splitPoint(build, 'lambda/targets/index.ts');
      const kindChunk = chunkOf(build, `lambda/targets/${kind}/target.ts`);
      const withKind = (files: Set<string>) => [...(registry ? [registry] : []), kindChunk].reduce((set, f) => staticClosure(build, f, set), new Set(files));
      if (build.name === 'steps') {
        for (const step of STEP_NAMES) {
          const files = withKind(staticClosure(build, chunkOf(build, `lambda/handlers/${step}.ts`), new Set(base)));
          const plain = { files, script: `const m = await import(${abs(build.index)}); await m.loadStep(${JSON.stringify(step)}, ${JSON.stringify(kind)});` };
          rows.push({ build, label: `steps: ${step} (${kind})`, plain, alerting: alerting(plain) });
        }
      } else {
        // The release function loads its handler statically and the kind's target when a resource names it.
        const plain = { files: withKind(base), script: `await import(${abs(build.index)}); await import(${abs(kindChunk)});` };
        rows.push({ build, label: `${build.name} (${kind})`, plain, alerting: alerting(plain) });
      }
    }
  }
  return rows;
}

const kibOf = (build: FunctionBuild, files: Set<string>) => [...files].reduce((sum, f) => sum + build.outputs[f].bytes, 0) / 1024;

/** What a cold invocation of each step loads (KiB), plain and with an alert, without timing anything. */
export async function stepSizes(dir = path.join(root, 'assets', 'handlers')): Promise<{ label: string; kib: number; alertingKib: number }[]> {
  return rowsOf(await buildsOf(dir)).map((r) => ({ label: r.label, kib: kibOf(r.build, r.plain.files), alertingKib: kibOf(r.build, r.alerting.files) }));
}

/** The markdown table of every step and kind of the functions under `dir`, `runs` timings each. */
export async function bundleReport(dir = path.join(root, 'assets', 'handlers'), runs = 7): Promise<string> {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${runs}`);
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist: run "npm run bundle" first`);
  const builds = await buildsOf(dir);
  const rows = rowsOf(builds);

  // The baseline starts node the same way, as an ES module, loading nothing.
  const bare = ['--input-type=module', '-e', '0'];
  timeNode(dir, bare); // warm the file cache for node itself
  const load = os.loadavg()[0];
  const lines: string[] = [];
  const table: string[] = [];
  let failing = 0;
  let failingAlerting = 0;
  for (const row of rows) {
    const kib = (l: Load) => kibOf(row.build, l.files);
    const total: number[] = [];
    const cpu: number[] = [];
    const alerting: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < runs; i++) {
      base.push(timeNode(dir, bare).ms);
      const plain = timeNode(dir, ['--input-type=module', '-e', withCpu(row.plain.script)]);
      total.push(plain.ms);
      cpu.push(Number(plain.stdout));
      alerting.push(timeNode(dir, ['--input-type=module', '-e', row.alerting.script]).ms);
    }
    const t = median(total);
    const net = t - median(base);
    const alertNet = median(alerting) - median(base);
    const within = (k: number, ms: number) => k <= GOAL_KIB && ms <= GOAL_MS;
    const ok = within(kib(row.plain), net);
    if (!ok) failing++;
    if (!within(kib(row.alerting), alertNet)) failingAlerting++;
    table.push(`| ${row.label} | ${kib(row.plain).toFixed(0)} | ${t.toFixed(0)} | ${net.toFixed(0)} | ${median(cpu).toFixed(0)} | ${ok ? 'yes' : 'no'} | ${kib(row.alerting).toFixed(0)} | ${alertNet.toFixed(0)} |`);
  }

  const onDisk = builds.map((b) => {
    const files = Object.keys(b.outputs);
    return `${b.name} ${(files.reduce((sum, f) => sum + b.outputs[f].bytes, 0) / 1024).toFixed(0)} KiB in ${files.length} files`;
  });
  lines.push(
    `What each step loads (${path.relative(root, dir)}: ${onDisk.join(', ')}), node ${process.version}, median of ${runs} runs, ` +
      `load average ${load.toFixed(1)} on ${os.cpus().length} cores at the start:\n`,
  );
  lines.push(
    `| step (target kind) | loads (KiB) | import, whole process (ms) | import, net of node start (ms) | import, CPU (ms) | ≤ ${GOAL_KIB} KiB and ≤ ${GOAL_MS} ms (net) | with an alert: loads (KiB) | with an alert: import, net (ms) |`,
  );
  lines.push('|---|---:|---:|---:|---:|:---:|---:|---:|');
  lines.push(...table);
  lines.push(`\n${rows.length - failing} of ${rows.length} steps within the goal; with an alert sent, ${rows.length - failingAlerting} of ${rows.length}.`);
  return lines.join('\n');
}

if (require.main === module) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
  };
  bundleReport(path.resolve(root, arg('dir', 'assets/handlers')), Number(arg('runs', '7'))).then(console.log, (err) => {
    console.error(err);
    process.exit(1);
  });
}
