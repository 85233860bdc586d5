import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { STEP_NAMES } from '../lambda/shared/steps';
import { GOAL_KIB, stepSizes } from '../scripts/bundle-report';
import { allTargetContracts } from '../lambda/targets/kinds';

const root = path.resolve(__dirname, '..');

/** What a Lambda function has; no node_modules on the path, so a bundle must be self-contained. */
const LAMBDA_ENV = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
/** The stack's functions: one a file in lambda/entries/. */
const entryNames = () => fs.readdirSync(path.join(root, 'lambda', 'entries')).filter((f) => f.endsWith('.ts')).map((f) => path.basename(f, '.ts'));
/** Every file of a function's bundle (index.mjs and its chunks), relative to its folder. */
const bundleFiles = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());

describe('handler bundles', () => {
  // The one test that bundles for real (global-setup bundles too, but this checks what it wrote).
  test('each of the stack\'s two functions is an ES module split into chunks, self-contained, that exports handler', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bundleHandlers } = require('../scripts/bundle-handlers.js');
    // Into a folder of its own: other test files read assets/handlers while this runs.
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled-'));
    const names: string[] = await bundleHandlers({ quiet: true, outDir });
    expect(names.sort()).toEqual(entryNames().sort());
    expect(names.sort()).toEqual(['release', 'steps']);

    // Load each function from a folder with no node_modules: anything not bundled would fail to
    // resolve. Every chunk is imported (a step's chunk loads only when the step first runs), and
    // the steps function loads every step with every target kind, the way a cold invocation does.
    const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    const kinds = allTargetContracts().map((c) => c.kind);
    for (const name of names) {
      const dir = path.join(isolated, name);
      fs.cpSync(path.join(outDir, name), dir, { recursive: true });
      const files = bundleFiles(dir);
      expect(files).toContain('index.mjs');
      const chunks = files.filter((f) => f !== 'index.mjs');
      expect(chunks.length).toBeGreaterThan(0);
      for (const f of files) expect(f).toMatch(/^(index|chunks\/[\w-]+)\.mjs$/);
      const script = [
        `const m = await import(${JSON.stringify(path.join(dir, 'index.mjs'))});`,
        `for (const c of ${JSON.stringify(chunks.map((c) => path.join(dir, c)))}) await import(c);`,
        'let loaded = 0;',
        `if (m.loadStep) for (const s of ${JSON.stringify(STEP_NAMES)}) for (const k of ${JSON.stringify(kinds)}) { await m.loadStep(s, k); loaded++; }`,
        'process.stdout.write(JSON.stringify({ handler: typeof m.handler, loaded }));',
      ].join('\n');
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: isolated, env: LAMBDA_ENV }).toString();
      expect({ name, ...JSON.parse(out) }).toEqual({ name, handler: 'function', loaded: name === 'steps' ? STEP_NAMES.length * kinds.length : 0 });
    }
  });

  // Issue 17's size goal; import times are measured by scripts/bundle-report.ts (npm run bench).
  test('a cold invocation of every step, for every target kind, loads at most 300 KiB; with its alert too for the steps that send one each time', async () => {
    const sizes = await stepSizes();
    const kinds = allTargetContracts().length;
    expect(sizes).toHaveLength((STEP_NAMES.length + 1) * kinds);
    expect(sizes.filter((s) => s.kib > GOAL_KIB)).toEqual([]);
    // Check, watch and the fast paths alert seldom (a hold, a gate, a command, a guard firing): their alert is measured, not held to it.
    const alertEveryTime = /^steps: (start|set-weight|promote|rollback|rollback-failed) /;
    expect(sizes.filter((s) => alertEveryTime.test(s.label))).toHaveLength(5 * kinds);
    expect(sizes.filter((s) => alertEveryTime.test(s.label) && s.alertingKib > GOAL_KIB)).toEqual([]);
  }, 120_000);

  // Size sanity only: what each step loads, against the goal, is measured by scripts/bundle-report.ts.
  test("each function is minified and tree-shaken: under 900 KiB, no file over 150 KiB (the SDK's CommonJS build or no minifying gives more than 1 MiB)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { outDir } = require('../scripts/bundle-handlers.js');
    const sizes = fs.readdirSync(outDir).map((name: string) => {
      const files = bundleFiles(path.join(outDir, name)).map((f) => fs.statSync(path.join(outDir, name, f)).size / 1024);
      return { name, kib: Math.round(files.reduce((a, b) => a + b, 0)), largest: Math.round(Math.max(...files)) };
    });
    expect(sizes.map((s: { name: string }) => s.name).sort()).toEqual(entryNames().sort());
    expect(sizes.filter((s: { kib: number; largest: number }) => s.kib > 900 || s.largest > 150)).toEqual([]);
  });
});

/** Files the README and the guides link to, shipped beside them; the presets `simulate` names, to copy. */
const LINKED_FROM_THE_README = ['BENCHMARKS.md', 'lambda/shared/judge/README.md', 'sim/README.md', ...['healthy', 'error-spike', 'latency-regression', 'token-blowup', 'no-traffic'].map((p) => `scenarios/${p}.json`)];

describe('the npm package', () => {
  /** What `npm pack` would put in the tarball (scripts skipped: the files are already built). */
  function packedFiles(): string[] {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    return (JSON.parse(out.toString())[0].files as { path: string }[]).map((f) => f.path);
  }

  test('ships the LICENSE, the guides the README links, every handler bundle and the compiled code, and nothing of the example or the sources', () => {
    const files = packedFiles();
    // The README's links to docs/ work in node_modules/cdk-model-canary too.
    const guides = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md'));
    expect(guides.length).toBeGreaterThan(5);
    for (const g of guides) expect(files).toContain(`docs/${g}`);
    for (const f of LINKED_FROM_THE_README) expect(files).toContain(f);
    expect(files).toContain('LICENSE');
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).license).toBe('Apache-2.0');
    // Each function's index.mjs and every chunk it may load.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { outDir } = require('../scripts/bundle-handlers.js');
    for (const name of entryNames()) {
      expect(files).toContain(`assets/handlers/${name}/index.mjs`);
      for (const f of bundleFiles(path.join(outDir, name))) expect(files).toContain(`assets/handlers/${name}/${f}`);
    }
    // dist/ holds lib/, runtime/ and whatever they import (jsii with tsconfig.build.json, emptied first);
    // .jsii is the assembly the Python, Java and .NET packages load; node_modules/ the bundledDependencies.
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const bundled = (pkg.bundledDependencies as string[]).map((d) => `node_modules/${d}/`);
    // The Python helper's wheel, when this machine could build it (CI requires it: python-wheel.test.ts).
    const wheel = `assets/python/cdk_model_canary_runtime-${pkg.version}-py3-none-any.whl`;
    const outside = files.filter(
      (f) => !/^(dist\/|assets\/handlers\/|node_modules\/|docs\/[a-z0-9-]+\.md$)/.test(f) && !['LICENSE', 'README.md', 'package.json', '.jsii', 'assets/cli/index.js', 'assets/cli/chart.mjs', wheel, ...LINKED_FROM_THE_README].includes(f),
    );
    expect(files.includes(wheel)).toBe(fs.existsSync(path.join(root, wheel)));
    // The CLI (package.json `bin`): one bundled file, with the simulator for `simulate`; its chart
    // (vega, ES modules) is an ES module beside it.
    expect(files).toContain('assets/cli/index.js');
    expect(files).toContain('assets/cli/chart.mjs');
    expect(pkg.bin).toEqual({ 'cdk-model-canary': 'assets/cli/index.js' });
    expect(files).toContain('.jsii');
    expect(bundled.every((d) => files.some((f) => f.startsWith(d)))).toBe(true);
    expect(outside).toEqual([]);
    expect(files.filter((f) => /^dist\/(test|sim|bin|scripts)\//.test(f))).toEqual([]);
    // The example app's model bundle is built (bin/example-stack.ts loads it) but not shipped.
    expect(fs.existsSync(path.join(root, 'assets', 'example-models'))).toBe(true);
    expect(files.filter((f) => f.includes('example-models'))).toEqual([]);
  });

  test('prepare builds the compiled library as well as the bundles (a git install runs only prepare)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const build = pkg.scripts.prepare === 'npm run build' ? pkg.scripts.build : pkg.scripts.prepare;
    // jsii compiles with the tsconfig package.json names (and checks the API for other languages).
    expect(build).toMatch(/&& jsii( |$)/);
    expect(pkg.jsii.tsconfig).toBe('tsconfig.build.json');
    expect(build).toMatch(/bundle-handlers\.js/);
    expect(build).toMatch(/build-wheel\.js/);
    const buildConfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
    expect(buildConfig.include).toEqual(expect.arrayContaining(['lib', 'runtime']));
  });
});
