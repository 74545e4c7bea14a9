import { resolveStorageOptions, type ResolvedStorageOptions, type StorageModuleOptions } from './contract/options.js';
import type { StorageProvider, StorageRelay } from './contract/types.js';
import { StoragePruner } from './awareness-pruner.js';
import { loadPostgresDriver } from './load-postgres-driver.js';
import { MemoryStorageProvider } from './memory/memory-storage.provider.js';
import { defaultStorageLogger, type StorageLogger } from './storage.logger.js';

/**
 * A ready provider without Nest (scripts, workers, a Hocuspocus server of its own): checks the options as
 * `StorageModule.forRoot` does, connects and migrates, and prunes every `awarenessPruneIntervalMs` as the
 * module does (expired presence, the change log, history). The caller owns it and ends it with `close()`.
 * `logger` hears the start-up steps (default: Nest's `Logger`, context `StorageModule`).
 */
export async function openStorageProvider(
  options: StorageModuleOptions,
  { logger = defaultStorageLogger() }: { logger?: StorageLogger } = {},
): Promise<StorageProvider & StorageRelay> {
  const resolved = resolveStorageOptions(options);
  const provider = await startStorageProvider(resolved, logger);
  new StoragePruner(provider, resolved.awarenessPruneIntervalMs, logger).start();
  return provider;
}

/**
 * Builds and initialises the provider, telling `logger` each step; one that fails to start is closed, so
 * nothing stays open.
 */
export async function startStorageProvider(
  options: ResolvedStorageOptions,
  logger: StorageLogger = defaultStorageLogger(),
): Promise<StorageProvider & StorageRelay> {
  const provider = await createStorageProvider(options, logger);
  try {
    await provider.initialize();
  } catch (error) {
    await provider.close();
    throw error;
  }
  if (options.driver === 'memory') logger.log('memory driver ready: the data lives in this process only');
  return provider;
}

/** Builds the provider of the configured driver; the postgres driver (and MikroORM) loads only when chosen. */
async function createStorageProvider(
  options: ResolvedStorageOptions,
  logger: StorageLogger,
): Promise<StorageProvider & StorageRelay> {
  if (options.driver === 'memory') return new MemoryStorageProvider(options);
  const { PostgresStorageProvider } = await loadPostgresDriver(() => import('./postgres/postgres-storage.provider.js'));
  return new PostgresStorageProvider(options, logger);
}
