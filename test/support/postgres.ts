import pg from 'pg';
import type { ResolvedStorageOptions } from '../../src/storage/contract/options.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { SHARED_SERVER_VARIABLE, startPostgresServer, uniqueName, type PostgresServer } from './postgres-server.js';
import { runSql } from './sql.js';

export { uniqueName } from './postgres-server.js';

/** A database of its own for one test file, on the run's server. */
export interface TestDatabase {
  /** Connection URL of this database (holds the test server's password). */
  readonly url: string;
  /** The server's password, so tests can prove it never shows up in messages. */
  readonly password: string;
  /** A provider on a fresh, migrated schema of this database; closed by `drop()` if still open. */
  createProvider(options?: Omit<Partial<ResolvedStorageOptions>, 'driver'>): Promise<PostgresStorageProvider>;
  /** Runs SQL as the server's superuser on this database (inspection, EXPLAIN, set-up). */
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<Row[]>;
  /** Closes the providers and drops the database (and stops the server if this file started it). */
  drop(): Promise<void>;
}

let privateServer: Promise<PostgresServer> | undefined;
/** Databases of this file on its private server; the server stops when the last one is dropped. */
let privateServerUsers = 0;

/** The server URL: `TEST_DATABASE_URL`, else the run's shared embedded server, else one started for this file. */
async function serverUrl(): Promise<{ url: string; ownServer: boolean }> {
  const configured = process.env.TEST_DATABASE_URL ?? process.env[SHARED_SERVER_VARIABLE];
  if (configured) return { url: configured, ownServer: false };
  privateServer ??= startPostgresServer();
  privateServerUsers++;
  return { url: (await privateServer).url(), ownServer: true };
}

/** Creates a database of its own for the calling test file (falls back to schemas only if CREATE DATABASE is not allowed). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { url: base, ownServer } = await serverUrl();
  const name = uniqueName('sync_test');
  let url = withDatabase(base, name);
  let created = true;
  try {
    await runSql(base, `create database "${name}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    url = base;
    created = false;
  }
  const providers = new Set<PostgresStorageProvider>();
  const schemas = new Set<string>();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return {
    url,
    password: decodeURIComponent(new URL(url).password),
    async createProvider(options = {}) {
      const resolved = resolveStorageOptions({
        driver: 'postgres',
        clientUrl: url,
        schema: uniqueName('s'),
        ...options,
      });
      schemas.add(resolved.schema!);
      // Its start-up lines (test/postgres/start-up-log.spec.ts checks them) would only crowd the test output.
      const provider = new PostgresStorageProvider(resolved, { log: () => undefined, warn: () => undefined });
      providers.add(provider);
      await provider.initialize();
      return provider;
    },
    async query<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []) {
      return (await pool.query<Row>(sql, values)).rows;
    },
    async drop() {
      await Promise.all([...providers].map((provider) => provider.close()));
      // Without a database of its own (no CREATEDB right), the file cleans up its schemas instead.
      if (!created) for (const schema of schemas) await pool.query(`drop schema if exists "${schema}" cascade`);
      await pool.end();
      if (created) await runSql(base, `drop database if exists "${name}" with (force)`);
      if (ownServer && --privateServerUsers === 0 && privateServer) {
        const server = await privateServer;
        privateServer = undefined;
        await server.destroy();
      }
    },
  };
}

/** The same URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
