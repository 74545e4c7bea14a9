/** Jest 30 in ESM mode: @swc/jest strips types and keeps Nest's decorator metadata. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'es6' },
      },
    ],
  },
  // In-process tests run the sample app on the library's source, the same copy the tests import.
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^nest-sync-storage$': '<rootDir>/src/index.ts',
    '^nest-sync-storage/postgres$': '<rootDir>/src/postgres.ts',
  },
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  // The host apps' own specs run inside those apps (test/package), with their own test runners.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/hosts/'],
  modulePathIgnorePatterns: ['<rootDir>/.tmp/', '<rootDir>/dist/', '<rootDir>/sample/sync-app/dist/'],
  testTimeout: 60000,
  // Once per run, and only when a selected spec needs them: the build that spawned processes run
  // (test/support/built-package) and one embedded PostgreSQL (test/support/postgres).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
