/**
 * `nest-sync-storage/testing`: the storage conformance suite, for a store of your own (or a wrapper around
 * this package's) in Jest or Vitest. It loads no test runner itself: it registers with the runner's globals, or
 * with the functions passed in. Never loaded by the root entry.
 */
export { runStorageConformance, type StorageConformanceSetup } from './conformance-suite.js';
export type { ConformanceTestRunner, RunnerFunction, StorageConformanceOptions } from './conformance-context.js';
