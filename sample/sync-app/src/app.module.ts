import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { StorageModule } from '../storage/storage.module.js';
import { storageOptionsFromEnvironment, validateAppEnvironment, type AppEnvironment } from './app.config.js';
import { HealthController } from './health.controller.js';
import { AwarenessController } from './http/awareness.controller.js';
import { DocumentsController } from './http/documents.controller.js';
import { StorageExceptionFilter } from './http/storage-exception.filter.js';

/** The runnable sync app: storage from the environment, its HTTP API, and `/health` through Terminus. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, validate: validateAppEnvironment }),
    StorageModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppEnvironment, true>) =>
        storageOptionsFromEnvironment(readEnvironment(config)),
    }),
    TerminusModule,
  ],
  controllers: [HealthController, DocumentsController, AwarenessController],
  providers: [{ provide: APP_FILTER, useClass: StorageExceptionFilter }],
})
export class AppModule {}

function readEnvironment(config: ConfigService<AppEnvironment, true>): AppEnvironment {
  const keys: (keyof AppEnvironment)[] = [
    'PORT',
    'STORAGE_DRIVER',
    'DATABASE_URL',
    'DATABASE_SCHEMA',
    'DATABASE_POOL_MAX',
    'STORAGE_MIGRATE',
    'AWARENESS_TIMEOUT_MS',
    'AWARENESS_PRUNE_INTERVAL_MS',
    'HEALTH_CHECK_TIMEOUT_MS',
    'MAX_DELTA_BYTES',
    'MAX_SNAPSHOT_BYTES',
  ];
  return Object.fromEntries(keys.map((key) => [key, config.get(key, { infer: true })])) as unknown as AppEnvironment;
}
