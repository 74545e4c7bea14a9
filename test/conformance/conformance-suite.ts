import type { StorageModuleOptions, StorageProvider } from '../../src/index.js';
import { awarenessCases } from './awareness.cases.js';
import { awarenessExpiryCases } from './awareness-expiry.cases.js';
import { binaryDataCases } from './binary-data.cases.js';
import { catchUpCases } from './catch-up.cases.js';
import { changeFeedCases } from './change-feed.cases.js';
import { clockCases } from './clocks.cases.js';
import type { ConformanceContext, ConformanceProviderOptions } from './conformance-context.js';
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
import { snapshotCases } from './snapshots.cases.js';
import { badClockCases } from './validation-clocks.cases.js';
import { badIdCases } from './validation-ids.cases.js';
import { badPagingCases } from './validation-paging.cases.js';
import { badPayloadCases } from './validation-payloads.cases.js';
import { versionCases } from './versions.cases.js';

/** A driver under test. */
export interface ConformanceTarget {
  driver: 'memory' | 'postgres';
  /** An initialised provider over EMPTY storage, built with these options on top of the driver's own. */
  createProvider(options?: Partial<Omit<StorageModuleOptions, 'driver'>>): Promise<StorageProvider>;
  /** Called once after every test of the suite (stop a database, remove temp folders). */
  teardown?(): Promise<void>;
}

/**
 * Registers the shared conformance suite: every rule of docs/CONTRACT.md, through the public StorageProvider API.
 * Each test gets a fresh empty provider, closed after it.
 */
export function describeStorageConformance(target: ConformanceTarget): void {
  describe(`storage conformance: ${target.driver} driver`, () => {
    let current: ConformanceContext | undefined;

    beforeEach(async () => {
      const provider = await target.createProvider();
      current = {
        driver: target.driver,
        provider,
        documents: provider.documents,
        awareness: provider.awareness,
        withProvider: async <T>(options: ConformanceProviderOptions, use: (other: StorageProvider) => Promise<T>) => {
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

    lifecycleCases(context);
    documentCases(context);
    documentIdCases(context);
    deltaCases(context);
    catchUpCases(context);
    pagingCases(context);
    identityCases(context);
    binaryDataCases(context);
    snapshotCases(context);
    versionCases(context);
    clockCases(context);
    awarenessCases(context);
    awarenessExpiryCases(context);
    jsonRoundTripCases(context);
    prototypeNameCases(context);
    badIdCases(context);
    badClockCases(context);
    badPayloadCases(context);
    badPagingCases(context);
    limitCases(context);
    changeFeedCases(context);
    historyCases(context);
  });
}
