import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

describe('handler bundles', () => {
  // The one test that bundles for real (global-setup bundles too, but this checks what it wrote).
  test('every handler is bundled into a self-contained file that exports handler', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bundleHandlers } = require('../scripts/bundle-handlers.js');
    // Into a folder of its own: other test files read assets/handlers while this runs.
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled-'));
    const names: string[] = await bundleHandlers({ quiet: true, outDir });
    const sources = fs.readdirSync(path.join(root, 'lambda', 'handlers')).filter((f) => f.endsWith('.ts'));
    expect(names.sort()).toEqual(sources.map((f) => path.basename(f, '.ts')).sort());

    // Load each bundle from a folder with no node_modules: anything not bundled would fail to resolve.
    const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    for (const name of names) {
      const file = path.join(isolated, `${name}.js`);
      fs.copyFileSync(path.join(outDir, name, 'index.js'), file);
      const kind = execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(file)}).handler)`], {
        cwd: isolated,
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      }).toString();
      expect({ name, kind }).toEqual({ name, kind: 'function' });
    }
  });

  test("each bundle is minified and tree-shaken: under 600 KiB (the SDK's CommonJS build gives about 1 MiB)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { outDir } = require('../scripts/bundle-handlers.js');
    const sizes = fs.readdirSync(outDir).map((name) => ({ name, kib: Math.round(fs.statSync(path.join(outDir, name, 'index.js')).size / 1024) }));
    expect(sizes.length).toBeGreaterThan(0);
    expect(sizes.filter((s) => s.kib > 600)).toEqual([]);
  });
});

describe('the npm package', () => {
  /** What `npm pack` would put in the tarball (scripts skipped: the files are already built). */
  function packedFiles(): string[] {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    return (JSON.parse(out.toString())[0].files as { path: string }[]).map((f) => f.path);
  }

  test('ships the LICENSE, every handler bundle and the compiled code, and nothing of the example or the sources', () => {
    const files = packedFiles();
    expect(files).toContain('LICENSE');
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).license).toBe('Apache-2.0');
    const handlers = fs.readdirSync(path.join(root, 'lambda', 'handlers')).filter((f) => f.endsWith('.ts'));
    for (const h of handlers) expect(files).toContain(`assets/handlers/${path.basename(h, '.ts')}/index.js`);
    // dist/ holds lib/, runtime/ and whatever they import (jsii with tsconfig.build.json, emptied first);
    // .jsii is the assembly the Python, Java and .NET packages load; node_modules/ the bundledDependencies.
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const bundled = (pkg.bundledDependencies as string[]).map((d) => `node_modules/${d}/`);
    // The Python helper's wheel, when this machine could build it (CI requires it: python-wheel.test.ts).
    const wheel = `assets/python/cdk_model_canary_runtime-${pkg.version}-py3-none-any.whl`;
    const outside = files.filter(
      (f) => !/^(dist\/|assets\/handlers\/|node_modules\/)/.test(f) && !['LICENSE', 'README.md', 'package.json', '.jsii', 'assets/cli/index.js', wheel].includes(f),
    );
    expect(files.includes(wheel)).toBe(fs.existsSync(path.join(root, wheel)));
    // The CLI (package.json `bin`): one bundled file.
    expect(files).toContain('assets/cli/index.js');
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
