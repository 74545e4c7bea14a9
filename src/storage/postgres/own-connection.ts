import type { ClientConfig } from 'pg';
import type { ResolvedStorageOptions } from '../contract/options.js';
import { isPlainObject } from '../contract/validation.js';
import { connectionSettings, settleTls } from './connection-settings.js';
import { describeTarget } from './postgres-errors.js';
import { runStorageMigrations } from './run-storage-migrations.js';
import type { ConnectionPlan } from './storage-connection.js';
import { StoragePool, type StoragePoolSettings } from './storage-pool.js';
import { DEFAULT_SCHEMA } from './storage-tables.js';

/** Connection limits the driver sets unless `mikroOrm` overrides them (ms). */
export const CONNECTION_DEFAULTS = {
  poolMin: 0,
  poolMax: 10,
  connectTimeoutMs: 5_000,
  acquireTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 60_000,
  idleConnectionTimeoutMs: 30_000,
} as const;

/** Client-side bound on a round trip, a little above the statement timeout: it also ends waits on a hung server. */
const QUERY_TIMEOUT_MARGIN_MS = 5_000;

/** The name the driver's connections carry (`application_name` is a startup parameter poolers accept). */
export const APPLICATION_NAME = 'nest-sync-storage';

/**
 * pg settings of `mikroOrm.driverOptions.connection` that the driver reads as bounds, never as startup
 * parameters: a transaction pooler refuses those, and a session `SET` would outlive the transaction there.
 */
const TIMEOUT_SETTINGS = [
  'statement_timeout',
  'idle_in_transaction_session_timeout',
  'query_timeout',
  'connectionTimeoutMillis',
];

/**
 * The driver's pool for a provider: the module's options first, then the pool bounds and pg connection
 * settings of `mikroOrm` (`pool`, `driverOptions.connection`: the names MikroORM and pg give them) over them.
 */
export function storagePoolSettings(
  options: Pick<ResolvedStorageOptions, 'pool' | 'mikroOrm'>,
  connection: ClientConfig,
): StoragePoolSettings {
  const overrides = (options.mikroOrm ?? {}) as { pool?: unknown; driverOptions?: { connection?: unknown } };
  const pool = (isPlainObject(overrides.pool) ? overrides.pool : {}) as Record<string, unknown>;
  const pg = (isPlainObject(overrides.driverOptions?.connection) ? overrides.driverOptions.connection : {}) as Record<
    string,
    unknown
  >;
  const number = (value: unknown, fallback: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
  const statementTimeoutMs = number(pg.statement_timeout, CONNECTION_DEFAULTS.statementTimeoutMs);
  const passThrough = Object.fromEntries(Object.entries(pg).filter(([key]) => !TIMEOUT_SETTINGS.includes(key)));
  return {
    connection: { application_name: APPLICATION_NAME, keepAlive: true, ...passThrough, ...connection },
    min: number(pool.min, options.pool?.min ?? CONNECTION_DEFAULTS.poolMin),
    max: number(pool.max, options.pool?.max ?? CONNECTION_DEFAULTS.poolMax),
    acquireTimeoutMs: number(pool.acquireTimeoutMillis, CONNECTION_DEFAULTS.acquireTimeoutMs),
    connectTimeoutMs: number(
      pg.connectionTimeoutMillis,
      number(pool.createTimeoutMillis, CONNECTION_DEFAULTS.connectTimeoutMs),
    ),
    idleTimeoutMs: number(pool.idleTimeoutMillis, CONNECTION_DEFAULTS.idleConnectionTimeoutMs),
    timeouts: {
      statementTimeoutMs,
      idleInTransactionTimeoutMs: number(
        pg.idle_in_transaction_session_timeout,
        CONNECTION_DEFAULTS.idleInTransactionTimeoutMs,
      ),
    },
    queryTimeoutMs: number(pg.query_timeout, statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS),
  };
}

/** The driver's pool on the module's connection options, TLS settled (start-up I/O). */
export async function ownPoolSettings(options: ResolvedStorageOptions): Promise<StoragePoolSettings> {
  const { sslMode: _, ...connection } = await settleTls(options, storagePoolSettings(options, {}).connectTimeoutMs);
  return storagePoolSettings(options, connection);
}

/** The driver's own pool on the module's connection options: opened at start-up (TLS settled first), ended with the provider. */
export function ownConnectionPlan(options: ResolvedStorageOptions): ConnectionPlan {
  const initial = storagePoolSettings(options, {});
  return poolPlan(options.schema ?? DEFAULT_SCHEMA, describeDatabase(options), initial, () => ownPoolSettings(options));
}

/** A connection on a pool of the driver's own, with `settings` (`settle`: the ones to open it with). */
export function poolPlan(
  schema: string,
  target: string,
  settings: StoragePoolSettings,
  settle: () => Promise<StoragePoolSettings> = async () => settings,
): ConnectionPlan {
  return {
    schema,
    target,
    acquireTimeoutMs: settings.acquireTimeoutMs,
    connectTimeoutMs: settings.connectTimeoutMs,
    async open() {
      const opened = await settle();
      const pool = new StoragePool(opened);
      return {
        pool,
        settings: opened.connection,
        migrate: (events) => runStorageMigrations(pool, schema, events),
        release: () => pool.end(),
      };
    },
  };
}

/** `host:port/db` of the configured server, for messages: never the user, password or full URL. */
export function describeDatabase(options: ResolvedStorageOptions): string {
  const { host, port, database } = connectionSettings(options);
  return describeTarget(host, port, database);
}
