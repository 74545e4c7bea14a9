import type { StorageProvider } from '../../../src/index.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../../support/postgres.js';
import type { TargetOptions } from '../../support/storage-targets.js';
import { holdableStorage, sharedMemoryStorage, type SharedStorageFactory } from './shared-storage.js';

/**
 * Shared storages on one database of the run's PostgreSQL, built on first use: each is a schema of its
 * own, and every server gets a provider of its own on it, as separate processes would. `dispose()`
 * (in the file's afterAll) drops the database.
 */
export function postgresStorages(): { create: SharedStorageFactory; dispose(): Promise<void> } {
  let database: Promise<TestDatabase> | undefined;
  return {
    async create(options: TargetOptions = {}) {
      const db = await (database ??= createTestDatabase());
      const schema = uniqueName('yjs');
      const providers: StorageProvider[] = [await db.createProvider({ ...options, schema })];
      return {
        driver: 'postgres',
        documents: providers[0]!.documents,
        async forServer() {
          const provider = await db.createProvider({ ...options, schema });
          providers.push(provider);
          return holdableStorage(provider, () => provider.close());
        },
        async dropFeedConnections() {
          const rows = await db.query<{ terminated: boolean }>(
            `select pg_terminate_backend(pid) as terminated from pg_stat_activity
             where datname = current_database() and query ilike 'listen %'`,
          );
          return rows.filter((row) => row.terminated).length;
        },
        dispose: async () => void (await Promise.all(providers.map((provider) => provider.close()))),
      };
    },
    dispose: async () => (await database)?.drop(),
  };
}

/**
 * The drivers an integration spec runs on, by name, each a factory of storages several servers share; the
 * PostgreSQL ones are dropped after the spec file. Call it at the top of the file.
 */
export function sharedStorageDrivers(): [string, SharedStorageFactory][] {
  const postgres = postgresStorages();
  afterAll(() => postgres.dispose());
  return [
    ['memory', sharedMemoryStorage],
    ['postgres', postgres.create],
  ];
}
