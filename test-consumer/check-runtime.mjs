// Loads the runtime helper through require (CommonJS model) and import (ESM model), runs both
// models once and checks the EMF they write: one module instance, the contract's dimensions.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const viaRequire = require('cdk-model-canary/runtime');
const viaImport = await import('cdk-model-canary/runtime');
assert.equal(typeof viaImport.ModelSignals, 'function', 'import: ModelSignals is not exported');
assert.equal(viaImport.ModelSignals, viaRequire.ModelSignals, 'require and import load two copies of the runtime');
const lib = await import('cdk-model-canary');
assert.equal(lib.LambdaModelCanary, require('cdk-model-canary').LambdaModelCanary, 'require and import load two copies of the library');

const lines = [];
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk) => (lines.push(...String(chunk).split('\n').filter(Boolean)), true);
try {
  await require('./build/model.js').handler({ text: 'cjs' });
  await (await import('./build/model.mjs')).handler({ text: 'esm' });
} finally {
  process.stdout.write = write;
}
const docs = lines.map((l) => JSON.parse(l));
const dims = docs.map((d) => d._aws.CloudWatchMetrics[0].Dimensions[0]);
assert.deepEqual(dims, [
  ['Canary', 'Stack', 'Version'], ['Canary', 'Stack', 'Version', 'Class'],
  ['Canary', 'Stack', 'Version'], ['Canary', 'Stack', 'Version', 'Class'],
], 'EMF dimensions');
for (const d of docs) {
  assert.equal(d.Canary, process.env.MODEL_CANARY_NAME);
  assert.equal(d.Stack, process.env.MODEL_CANARY_STACK);
  assert.equal(d.Version, process.env.AWS_LAMBDA_FUNCTION_VERSION);
}
console.log('  ok   runtime helper: require and import give one module; both models write {Canary, Stack, Version} EMF');
