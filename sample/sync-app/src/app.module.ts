import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { StorageModule } from 'nest-sync-storage';
import { validateAppConfig, type AppConfig } from './config/app.config.js';
import { ApiExceptionFilter } from './http/api-exception.filter.js';
import { ApiTokenGuard } from './http/api-token.guard.js';
import { AwarenessController } from './http/awareness.controller.js';
import { DeltasController } from './http/deltas.controller.js';
import { DocumentsController } from './http/documents.controller.js';
import { EventsController } from './http/events.controller.js';
import { HealthController } from './http/health.controller.js';
import { HistoryController } from './http/history.controller.js';

/** What `AppModule.forRoot` may be told; the defaults are what `npm start` runs with. */
export interface AppModuleOptions {
  /** Read `.env` from the working directory (default true); tests turn it off to see only the environment. */
  readEnvFile?: boolean;
}

/** The runnable sync app: storage from the validated environment, its HTTP API, and `/health` through Terminus. */
@Module({})
export class AppModule {
  /**
   * Validates the environment (and `.env`) here, before Nest starts, so that a bad variable rejects
   * this call with one message instead of failing inside the framework's start-up.
   */
  static async forRoot({ readEnvFile = true }: AppModuleOptions = {}): Promise<DynamicModule> {
    return {
      module: AppModule,
      imports: [
        await ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: !readEnvFile, validate: validateAppConfig }),
        StorageModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<AppConfig, true>) => config.get('storage', { infer: true }),
        }),
        TerminusModule,
      ],
      controllers: [
        HealthController,
        DocumentsController,
        DeltasController,
        EventsController,
        AwarenessController,
        HistoryController,
      ],
      providers: [
        { provide: APP_GUARD, useClass: ApiTokenGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
