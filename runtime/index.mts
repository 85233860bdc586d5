// ESM entry of `cdk-model-canary/runtime`: re-exports the CommonJS build, so `import` and
// `require` share one module instance (no dual-package state). Node finds the names by static
// analysis of the CommonJS exports: https://nodejs.org/api/esm.html#commonjs-namespaces
export * from './index.js';
