import type { AwarenessStore, DocumentStore, StorageProvider } from '../../src/index.js';
import type { ResolvedStorageOptions } from '../../src/storage/contract/options.js';

/** Every option a conformance target may be asked to build a provider with. */
export type ConformanceProviderOptions = Omit<Partial<ResolvedStorageOptions>, 'driver'>;

/** What each case sees: the fresh, empty provider of the running test. */
export interface ConformanceContext {
  readonly driver: 'memory' | 'postgres';
  readonly provider: StorageProvider;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  /**
   * Runs `use` against another fresh provider built with `options` (a short awareness timeout, small size limits),
   * and closes it afterwards. The test's default provider must not be used alongside it.
   */
  withProvider<T>(options: ConformanceProviderOptions, use: (provider: StorageProvider) => Promise<T>): Promise<T>;
}

/** Cases read the context lazily: the provider changes with every test. */
export type ConformanceContextGetter = () => ConformanceContext;
