import { Logger } from '@nestjs/common';

/**
 * Where the storage tells what it does at start-up and when its database misbehaves: Nest's `Logger` shape.
 * Lines name the driver, `host:port/db`, the schema, migrations and timings; never data, a password or a URL.
 */
export interface StorageLogger {
  /** Start-up and shutdown lines (driver, server, schema, migrations, timings). */
  log(message: string): void;
  /** The database misbehaving: a lost listening connection, a slow start, a refused setting. */
  warn(message: string): void;
}

/** The context of the storage's lines in Nest's log (`[StorageModule]`). */
export const STORAGE_LOG_CONTEXT = 'StorageModule';

/** Nest's `Logger` with the storage's context: it prints through the app's logger (`NestFactory.create(..., { logger })`). */
export function defaultStorageLogger(): StorageLogger {
  return new Logger(STORAGE_LOG_CONTEXT);
}

/** The time since `startedMs` (a `performance.now()`), as a log line shows it: `12 ms`, `3.7 s`. */
export function elapsedSince(startedMs: number): string {
  const ms = performance.now() - startedMs;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
