// How a script outside a Nest app gets a storage provider: openStorageProvider checks the options as
// StorageModule.forRoot does, connects and migrates. PostgreSQL when DATABASE_URL is set (DATABASE_SCHEMA
// optional), else memory.
import { openStorageProvider, type StorageModuleOptions, type StorageProvider } from 'nest-sync-storage';

export const storageOptions: StorageModuleOptions = process.env.DATABASE_URL
  ? { driver: 'postgres', clientUrl: process.env.DATABASE_URL, schema: process.env.DATABASE_SCHEMA }
  : { driver: 'memory' };

/** A ready provider; `close()` closes its connections. */
export const openStorage = (): Promise<StorageProvider> => openStorageProvider(storageOptions);
