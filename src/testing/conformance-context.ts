import type { AwarenessStore, DocumentStore, StorageDriver, StorageModuleOptions, StorageProvider } from '../index.js';

/**
 * The options a case may ask a provider to be built with: a short awareness timeout, or small limits. A store
 * under test must honour them (they are part of the contract: docs/CONTRACT.md sections 7, 8 and 11).
 */
export type StorageConformanceOptions = Pick<
  StorageModuleOptions,
  | 'awarenessTimeoutMs'
  | 'maxDeltaBytes'
  | 'maxSnapshotBytes'
  | 'maxClockEntries'
  | 'maxDocumentAuthors'
  | 'maxJsonDepth'
  | 'maxBatchDeltas'
  | 'maxAwarenessBytes'
  | 'maxAwarenessEntriesPerDocument'
  | 'historyRetentionMs'
>;

/** What each case sees: the fresh, empty provider of the running test. */
export interface ConformanceContext {
  readonly driver: StorageDriver;
  readonly provider: StorageProvider;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  /**
   * Runs `use` against another fresh provider built with `options` (a short awareness timeout, small size limits),
   * and closes it afterwards. The test's default provider must not be used alongside it.
   */
  withProvider<T>(options: StorageConformanceOptions, use: (provider: StorageProvider) => Promise<T>): Promise<T>;
}

/** Cases read the context lazily: the provider changes with every test. */
export type ConformanceContextGetter = () => ConformanceContext;

/** A test runner function, typed loosely so that Jest's and Vitest's both fit. */
export type RunnerFunction = (...args: never[]) => unknown;

/**
 * The functions of a test runner the suite registers its tests with: Jest's globals, or
 * `import { describe, it, expect, beforeEach, afterEach, afterAll } from 'vitest'`.
 */
export interface ConformanceTestRunner {
  /** Groups tests (`describe(name, body)`). */
  readonly describe: RunnerFunction;
  /** Registers a test (`it(name, body, timeout)`), with `it.each(table)(name, body)`. */
  readonly it: RunnerFunction & {
    /** Registers one test per row of a table (`it.each(table)(name, body)`). */
    readonly each: RunnerFunction;
  };
  /** Jest's or Vitest's `expect`, with `expect.any`, `expect.objectContaining` and `expect.stringMatching`. */
  readonly expect: RunnerFunction;
  /** Runs before each test. */
  readonly beforeEach: RunnerFunction;
  /** Runs after each test. */
  readonly afterEach: RunnerFunction;
  /** Runs once after the suite's last test. */
  readonly afterAll: RunnerFunction;
}
