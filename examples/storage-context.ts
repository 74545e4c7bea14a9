// How a script outside a Nest app gets a storage provider: openStorageProvider checks the options as
// StorageModule.forRoot does, connects and migrates. PostgreSQL when DATABASE_URL is set (DATABASE_SCHEMA
// optional), else memory.
import { openStorageProvider, type StorageModuleOptions, type StorageProvider } from 'nest-sync-storage';

export const storageOptions: StorageModuleOptions = process.env.DATABASE_URL
  ? { driver: 'postgres', clientUrl: process.env.DATABASE_URL, schema: process.env.DATABASE_SCHEMA }
  : { driver: 'memory' };

/** A provider and the way to close it (which closes its connections). */
export async function openStorage(): Promise<{ provider: StorageProvider; close(): Promise<void> }> {
  const provider = await openStorageProvider(storageOptions);
  return { provider, close: () => provider.close() };
}
