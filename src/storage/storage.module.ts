import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { resolveStorageOptions, type ResolvedStorageOptions } from './contract/options.js';
import type { StorageProvider } from './contract/types.js';
import { startStorageProvider } from './open-storage-provider.js';
import { StorageHealthIndicator } from './health/storage.health.js';
import { AwarenessPruner } from './awareness-pruner.js';
import {
  AWARENESS_STORE,
  DOCUMENT_STORE,
  STORAGE_CHANGES,
  STORAGE_MODULE_OPTIONS,
  STORAGE_PROVIDER,
} from './storage.constants.js';
import { ConfigurableStorageModule } from './storage.module-definition.js';
import { RESOLVED_STORAGE_OPTIONS } from './storage.internal-constants.js';

/**
 * Registers the storage provider, its two stores and the health indicator. The provider is
 * initialised (migrations included) while the app starts and closed when it shuts down.
 */
@Module({
  providers: [
    {
      provide: RESOLVED_STORAGE_OPTIONS,
      inject: [STORAGE_MODULE_OPTIONS],
      useFactory: (options: unknown) => resolveStorageOptions(options),
    },
    {
      provide: STORAGE_PROVIDER,
      inject: [RESOLVED_STORAGE_OPTIONS],
      useFactory: (options: ResolvedStorageOptions) => startStorageProvider(options),
    },
    {
      provide: DOCUMENT_STORE,
      inject: [STORAGE_PROVIDER],
      useFactory: (provider: StorageProvider) => provider.documents,
    },
    {
      provide: AWARENESS_STORE,
      inject: [STORAGE_PROVIDER],
      useFactory: (provider: StorageProvider) => provider.awareness,
    },
    { provide: STORAGE_CHANGES, useExisting: STORAGE_PROVIDER },
    AwarenessPruner,
    StorageHealthIndicator,
  ],
  exports: [
    STORAGE_PROVIDER,
    DOCUMENT_STORE,
    AWARENESS_STORE,
    STORAGE_CHANGES,
    STORAGE_MODULE_OPTIONS,
    StorageHealthIndicator,
  ],
})
export class StorageModule extends ConfigurableStorageModule implements OnApplicationShutdown {
  /**
   * Registers the storage with options given now (`isGlobal: true` to make its tokens visible app-wide). Invalid
   * options fail the app's start-up, naming the option; on PostgreSQL the start-up connects and, with
   * `migrate` (the default), runs pending migrations.
   */
  declare static forRoot: (typeof ConfigurableStorageModule)['forRoot'];
  /**
   * Registers the storage with options from a factory (`useFactory` + `inject`, `useClass` or `useExisting`),
   * e.g. read from `ConfigService`; checked and started as `forRoot`'s.
   */
  declare static forRootAsync: (typeof ConfigurableStorageModule)['forRootAsync'];

  constructor(@Inject(STORAGE_PROVIDER) private readonly provider: StorageProvider) {
    super();
  }

  /** Closes the provider (its pool, listening connection and timers) when Nest shuts down; idempotent. */
  async onApplicationShutdown(): Promise<void> {
    await this.provider.close();
  }
}
