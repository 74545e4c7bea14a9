import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app/app.module.js';
import { configureApp } from './app/configure-app.js';
import type { ResolvedStorageOptions } from './storage/contract/options.js';
import { RESOLVED_STORAGE_OPTIONS } from './storage/storage.internal-constants.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: false });
  configureApp(app, app.get<ResolvedStorageOptions>(RESOLVED_STORAGE_OPTIONS));
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  Logger.log(`sync app listening on port ${port}; API docs at /docs`, 'Bootstrap');

  // On SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, close storage, exit 0.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    Logger.log(`${signal} received, shutting down`, 'Bootstrap');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        Logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`, 'Bootstrap');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

bootstrap().catch((error: unknown) => {
  Logger.error(error instanceof Error ? error.message : String(error), 'Bootstrap');
  process.exit(1);
});
