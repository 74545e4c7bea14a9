import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app.config.js';
import { InvalidEnvironmentError } from './config/app.config.js';
import { configureApp } from './configure-app.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(await AppModule.forRoot());
  configureApp(app);
  const { host, port } = app.get(ConfigService<AppConfig, true>).get('http', { infer: true });
  await app.listen(port, host);
  Logger.log(`sync app listening on ${host}:${port}; API docs at /docs`, 'Bootstrap');

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
  // A bad environment is the operator's to fix: one line says which variables, without a stack.
  if (error instanceof InvalidEnvironmentError) process.stderr.write(`sync app: ${error.message}\n`);
  else Logger.error(error instanceof Error ? error.message : String(error), 'Bootstrap');
  process.exit(1);
});
