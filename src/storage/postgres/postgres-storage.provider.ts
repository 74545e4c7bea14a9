import { StorageError } from '../contract/errors.js';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type { AwarenessStore, DocumentStore, StorageHealth, StorageProvider } from '../contract/types.js';

/** Placeholder until the MikroORM driver lands. */
export class PostgresStorageProvider implements StorageProvider {
  readonly driver = 'postgres' as const;
  readonly documents!: DocumentStore;
  readonly awareness!: AwarenessStore;

  constructor(_options: ResolvedStorageOptions) {
    throw new StorageError(`the 'postgres' driver is not available yet`);
  }

  async initialize(): Promise<void> {}
  async checkHealth(): Promise<StorageHealth> {
    return { healthy: false, driver: 'postgres', latencyMs: 0 };
  }
  async close(): Promise<void> {}
}
