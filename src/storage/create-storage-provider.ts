import type { ResolvedStorageOptions } from './contract/options.js';
import type { StorageProvider } from './contract/types.js';
import { loadPostgresDriver } from './load-postgres-driver.js';
import { MemoryStorageProvider } from './memory/memory-storage.provider.js';

/** Builds the provider of the configured driver; the postgres driver (and MikroORM) loads only when chosen. */
export async function createStorageProvider(options: ResolvedStorageOptions): Promise<StorageProvider> {
  if (options.driver === 'memory') return new MemoryStorageProvider(options);
  const { PostgresStorageProvider } = await loadPostgresDriver(() => import('./postgres/postgres-storage.provider.js'));
  return new PostgresStorageProvider(options);
}
