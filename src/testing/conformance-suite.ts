import type { StorageDriver, StorageProvider } from '../index.js';
import { awarenessCases } from './awareness.cases.js';
import { awarenessExpiryCases } from './awareness-expiry.cases.js';
import { binaryDataCases } from './binary-data.cases.js';
import { catchUpCases } from './catch-up.cases.js';
import { changeFeedCases } from './change-feed.cases.js';
import { clockCases } from './clocks.cases.js';
import type {
  ConformanceContext,
  ConformanceContextGetter,
  ConformanceTestRunner,
  StorageConformanceOptions,
} from './conformance-context.js';
import { deltaCases } from './deltas.cases.js';
import { documentIdCases } from './document-ids.cases.js';
import { documentCases } from './documents.cases.js';
import { historyCases } from './history.cases.js';
import { identityCases } from './identity.cases.js';
import { jsonRoundTripCases } from './json-round-trip.cases.js';
import { lifecycleCases } from './lifecycle.cases.js';
import { limitCases } from './limits.cases.js';
import { pagingCases } from './paging.cases.js';
import { prototypeNameCases } from './prototype-names.cases.js';
import { useRunner } from './runner.js';
import { snapshotCases } from './snapshots.cases.js';
import { badClockCases } from './validation-clocks.cases.js';
import { badIdCases } from './validation-ids.cases.js';
import { badPagingCases } from './validation-paging.cases.js';
import { badPayloadCases } from './validation-payloads.cases.js';
import { versionCases } from './versions.cases.js';

/**
 * Every case file of the suite, in the order they register: a new file of cases is one more line here.
 * Each registers its `describe` blocks and reads the running test's provider through the getter.
 */
const CONFORMANCE_CASES: ReadonlyArray<(context: ConformanceContextGetter) => void> = [
  lifecycleCases,
  documentCases,
  documentIdCases,
  deltaCases,
  catchUpCases,
  pagingCases,
  identityCases,
  binaryDataCases,
  snapshotCases,
  versionCases,
  clockCases,
  awarenessCases,
  awarenessExpiryCases,
  jsonRoundTripCases,
  prototypeNameCases,
  badIdCases,
  badClockCases,
  badPayloadCases,
  badPagingCases,
  limitCases,
  changeFeedCases,
  historyCases,
];

/** The store under test: a factory of fresh, empty, initialised providers, and what to do after the suite. */
export interface StorageConformanceSetup {
  /** The `driver` every provider must report; default: whatever the first one reports. */
  driver?: StorageDriver;
  /**
   * An initialised provider over EMPTY storage, built with `options` (a short awareness timeout, small limits)
   * on top of the store's own. Called before every test, and again by the cases that need other options;
   * the suite closes every provider it got.
   */
  createProvider(options?: StorageConformanceOptions): Promise<StorageProvider>;
  /** Called once after the suite's last test (stop a database, remove temp folders). */
  teardown?(): Promise<void>;
}

/**
 * Registers the storage conformance suite, every rule of the package's storage contract (docs/CONTRACT.md),
 * as tests of the calling test file: about 300 tests in one `describe` block named after `name`, each on a
 * fresh provider from `setup`, through the public `StorageProvider` API only. Jest's globals are used unless
 * `runner` is given (Vitest: pass its `describe`, `it`, `expect`, `beforeEach`, `afterEach`, `afterAll`).
 * Some cases wait for awareness entries to expire (a second or two each); the suite takes seconds on memory.
 */
export function runStorageConformance(
  name: string,
  setup: StorageConformanceSetup | StorageConformanceSetup['createProvider'],
  runner?: ConformanceTestRunner,
): void {
  const { describe, beforeEach, afterEach, afterAll } = useRunner(runner) as unknown as Record<
    'describe' | 'beforeEach' | 'afterEach' | 'afterAll',
    (...args: unknown[]) => void
  >;
  const target: StorageConformanceSetup = typeof setup === 'function' ? { createProvider: setup } : setup;
  describe(`storage conformance: ${name}`, () => {
    let current: ConformanceContext | undefined;
    let driver = target.driver;

    beforeEach(async () => {
      const provider = await target.createProvider();
      driver ??= provider.driver;
      current = {
        driver,
        provider,
        documents: provider.documents,
        awareness: provider.awareness,
        withProvider: async <T>(options: StorageConformanceOptions, use: (other: StorageProvider) => Promise<T>) => {
          const other = await target.createProvider(options);
          try {
            return await use(other);
          } finally {
            await other.close();
          }
        },
      };
    });

    afterEach(async () => {
      await current?.provider.close();
      current = undefined;
    });

    afterAll(async () => {
      await target.teardown?.();
    });

    const context = (): ConformanceContext => {
      if (!current) throw new Error('the conformance context is only available inside a test');
      return current;
    };

    for (const register of CONFORMANCE_CASES) register(context);
  });
}
