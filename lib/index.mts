// ESM entry of `cdk-model-canary`: re-exports the CommonJS build, so `import` and `require`
// share one module instance (one set of construct classes, which `instanceof` checks rely on).
export * from './index.js';
