/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: 'tsconfig.jest.json' }] },
  // lambda/targets/index.ts loads a kind's implementation with import('./<kind>/target.js'): under
  // ts-jest (CommonJS) that is a require of the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  testTimeout: 60000,
  // Jest's default is cores − 1: one worker on a 2-core machine, while most suites wait on virtual time.
  maxWorkers: 2,
};
