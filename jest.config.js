/** Jest runs TypeScript through ts-jest in transpile-only mode: `npm run typecheck` is the type gate. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  // bench/results holds earlier revisions exported by `npm run bench -- --against REV`.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/bench/results/'],
  modulePathIgnorePatterns: ['<rootDir>/bench/results/'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }],
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
