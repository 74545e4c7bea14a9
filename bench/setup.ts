import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import type * as StorageEntry from '../src/index.js';
import { startPostgresServer as startTestServer } from '../test/support/postgres-server.js';

/** The package's public exports, typed from the source entry so this compiles before `dist/` exists. */
export type StoragePackage = typeof StorageEntry;

/** Imports the built package by its own name, as a user does: `exports` resolves it to `dist/esm/index.js`. */
export async function loadBuiltPackage(): Promise<StoragePackage> {
  // A variable keeps TypeScript from resolving the name at compile time.
  const packageName: string = 'nest-sync-storage';
  return (await import(packageName)) as StoragePackage;
}

export interface StorageApp {
  provider: StorageEntry.StorageProvider;
  close(): Promise<void>;
}

/** `StorageModule.forRoot(options)` in a Nest application context, and its `STORAGE_PROVIDER`: what an app gets. */
export async function startStorageApp(
  pkg: StoragePackage,
  options: StorageEntry.StorageModuleOptions,
): Promise<StorageApp> {
  // abortOnError: false makes a failed start reject here instead of Nest exiting the process.
  const app = await NestFactory.createApplicationContext(pkg.StorageModule.forRoot(options), {
    logger: ['warn'],
    abortOnError: false,
  });
  return { provider: app.get(pkg.STORAGE_PROVIDER), close: () => app.close() };
}

/** Settings of a server as users run it: every commit flushed to disk before it is acknowledged. */
const DURABLE = { fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on' };

/**
 * The tests' embedded server (one helper for both), durable as a user's server is (`BENCH_FSYNC=off` for the
 * tests' tuning, which hides the cost of flushes), and the run's databases on it, dropped with it by `stop()`.
 */
export async function startPostgresServer() {
  const server = await startTestServer({ settings: process.env.BENCH_FSYNC === 'off' ? {} : DURABLE });
  const admin = new pg.Client({ connectionString: server.url() });
  try {
    await admin.connect();
    const { rows } = await admin.query<{ version: string; fsync: string }>(
      `select current_setting('server_version') as version, current_setting('fsync') as fsync`,
    );
    return {
      version: rows[0]!.version,
      durable: rows[0]!.fsync === 'on',
      /** Creates an empty database and returns its URL (never printed: it holds a password). */
      async createDatabase(label: string): Promise<string> {
        await admin.query(`create database ${admin.escapeIdentifier(`bench_${label}`)}`);
        return server.url(`bench_${label}`);
      },
      stop: () => admin.end().finally(() => server.destroy()),
    };
  } catch (error) {
    await server.destroy();
    throw error;
  }
}

/** A plain pg connection, opened on first use, for the bench's own statements (`analyze`, sizes on disk). */
export function sqlConnection(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  return {
    query: async <Row extends Record<string, unknown>>(sql: string) => (await pool.query<Row>(sql)).rows,
    close: () => pool.end(),
  };
}
