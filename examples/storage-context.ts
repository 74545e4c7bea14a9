// How a script outside an HTTP app gets a storage provider: a Nest application context around
// StorageModule. PostgreSQL when DATABASE_URL is set (DATABASE_SCHEMA optional), else memory.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { STORAGE_PROVIDER, StorageModule, type StorageModuleOptions, type StorageProvider } from 'nest-sync-storage';

export const storageOptions: StorageModuleOptions = process.env.DATABASE_URL
  ? { driver: 'postgres', clientUrl: process.env.DATABASE_URL, schema: process.env.DATABASE_SCHEMA }
  : { driver: 'memory' };

/** A provider and the way to close it (which closes its connections). */
export async function openStorage(): Promise<{ provider: StorageProvider; close(): Promise<void> }> {
  const app = await NestFactory.createApplicationContext(StorageModule.forRoot(storageOptions), { logger: ['error'] });
  return { provider: app.get<StorageProvider>(STORAGE_PROVIDER), close: () => app.close() };
}
