#!/usr/bin/env node
// Bundles each entry in lambda/entries/ (the stack's shared functions: `steps` and `release`) into
// assets/handlers/<name>/index.mjs, an ES module split into chunks, so a step loads only its own
// code and the AWS SDK clients of the target it drives (lambda/targets/index.ts imports each kind
// when first used). The constructs load these with Code.fromAsset, so a consumer of the package
// needs no bundler or Docker.
// The example app's model goes to assets/example-models/, which package.json's `files` leaves out.
const path = require('node:path');
const fs = require('node:fs');
const { sdkBundlePlugin } = require('./sdk-bundle-plugin');

const root = path.resolve(__dirname, '..');
const entriesDir = path.join(root, 'lambda', 'entries');
const outDir = path.join(root, 'assets', 'handlers');

/**
 * esbuild's options for one function's bundle (`name`: an entry in lambda/entries/), written under
 * `outdir`. scripts/bundle-report.ts builds with the same options to read what each step loads.
 */
function handlerBuildOptions(name, outdir) {
  return {
    entryPoints: { index: path.join(entriesDir, `${name}.ts`) },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node22',
    // ES modules split into chunks: each dynamic import() is a chunk loaded when first used.
    // Lambda runs index.mjs as an ES module (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html).
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // Bundled CommonJS dependencies call require() for Node's built-ins: give ES modules one.
    banner: { js: "import { createRequire as __cdkModelCanaryRequire } from 'node:module'; const require = __cdkModelCanaryRequire(import.meta.url);" },
    // The SDK's ES module build tree-shakes; its CommonJS build does not (about half the size and
    // import time). https://esbuild.github.io/api/#main-fields
    mainFields: ['module', 'main'],
    // Lets the SDK clients' schemas tree-shake to the operations the handlers call (see the plugin).
    plugins: [sdkBundlePlugin()],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  };
}

/**
 * What the CLI's bundle leaves out. The simulator reaches aws-cdk-lib and the example app only
 * when it synthesizes the example app itself (sim/aws/cloudformation/template.ts), which `simulate`
 * never does: it reads the user's synthesized app. The chart is chart.mjs (see bundleHandlers).
 */
const cliLeavesOut = {
  name: 'cli-leaves-out',
  setup(build) {
    build.onResolve({ filter: /^(aws-cdk-lib|constructs)(\/.*)?$|\/bin\/example-stack$|^\.\.\/\.\.\/\.\.\/lib$/ }, (args) => ({ path: args.path, external: true }));
    build.onResolve({ filter: /^\.\/chart\.js$/ }, (args) =>
      args.importer === path.join(root, 'sim', 'scenarios', 'report.ts') ? { path: './chart.mjs', external: true } : undefined,
    );
  },
};

/** The functions to bundle: one a file in lambda/entries/. */
function entryNames() {
  return fs.readdirSync(entriesDir).filter((f) => f.endsWith('.ts')).map((f) => path.basename(f, '.ts'));
}

async function bundleHandlers(options = {}) {
  const esbuild = require('esbuild');
  const target = options.outDir ?? outDir;
  const names = entryNames();
  // Build beside the target and swap it in, so a synth running meanwhile never sees a half-built folder.
  const staging = `${target}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const started = Date.now();
  for (const name of names) {
    await esbuild.build(handlerBuildOptions(name, path.join(staging, name)));
  }
  const old = `${target}.old-${process.pid}`;
  if (fs.existsSync(target)) fs.renameSync(target, old);
  fs.renameSync(staging, target);
  fs.rmSync(old, { recursive: true, force: true });

  // The operator CLI (the package's bin): one file, its libraries inside, so installing the
  // construct library adds no runtime dependency. It carries the simulator for `simulate`; the
  // simulator's chart (vega: ES modules with top-level await, which a CommonJS bundle cannot hold)
  // is an ES module of its own beside it, loaded with import() when a chart is asked for.
  if (!options.outDir) {
    const cliDir = path.join(root, 'assets', 'cli');
    await esbuild.build({
      entryPoints: { index: path.join(root, 'cli', 'bin.ts') },
      outdir: cliDir,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      mainFields: ['module', 'main'],
      plugins: [cliLeavesOut],
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    });
    await esbuild.build({
      entryPoints: { chart: path.join(root, 'sim', 'scenarios', 'chart.ts') },
      outdir: cliDir,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      outExtension: { '.js': '.mjs' },
      banner: { js: "import { createRequire as __cdkModelCanaryRequire } from 'node:module'; const require = __cdkModelCanaryRequire(import.meta.url);" },
      mainFields: ['module', 'main'],
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    });
  }

  // The example app's model function (bin/model/), which uses the runtime helper.
  if (!options.outDir) {
    await esbuild.build({
      entryPoints: { 'sentiment-model/index': path.join(root, 'bin', 'model', 'sentiment-model.ts') },
      outdir: path.join(root, 'assets', 'example-models'),
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      mainFields: ['module', 'main'],
      minify: true,
      logLevel: 'warning',
    });
  }
  if (!options.quiet) {
    console.log(`bundled ${names.length} functions into ${path.relative(root, target)} in ${Date.now() - started} ms`);
  }
  return names;
}

module.exports = { bundleHandlers, handlerBuildOptions, entryNames, outDir };

if (require.main === module) {
  bundleHandlers().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
