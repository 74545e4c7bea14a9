import { NestFactory } from '@nestjs/core';
import type { StorageModuleOptions, StorageProvider } from '../../src/index.js';
import type { StoragePackage } from './storage-package.js';

export interface StorageApp {
  provider: StorageProvider;
  close(): Promise<void>;
}

/**
 * Starts a Nest application context holding `StorageModule.forRoot(options)` and returns its
 * `STORAGE_PROVIDER`: the provider a user's app gets, initialised (migrations included) by the module.
 */
export async function startStorageApp(pkg: StoragePackage, options: StorageModuleOptions): Promise<StorageApp> {
  // abortOnError: false makes a failed start reject here instead of Nest exiting the process; the
  // caller reports that error, so Nest's own error log would only print it twice.
  const app = await NestFactory.createApplicationContext(pkg.StorageModule.forRoot(options), {
    logger: ['warn'],
    abortOnError: false,
  });
  return { provider: app.get<StorageProvider>(pkg.STORAGE_PROVIDER), close: () => app.close() };
}
