module.exports = { rootDir: '..', testEnvironment: 'node', roots: ['<rootDir>/.scratch/dyn'], testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: '.scratch/tsconfig.jest2.json' }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' } };
