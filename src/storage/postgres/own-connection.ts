import type { ClientConfig } from 'pg';
import type { ResolvedStorageOptions } from '../contract/options.js';
import { isPlainObject } from '../contract/validation.js';
import { connectionSettings, settleTls, type ConnectionSettings } from './connection-settings.js';
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

/** pg's settings for the module's connection options: `clientUrl` taken apart, TLS settled. */
export function pgSettings(settings: ConnectionSettings): ClientConfig {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.dbName,
    ssl: settings.ssl,
  };
}

/** The driver's own pool on the module's connection options: opened at start-up (TLS settled first), ended with the provider. */
export function ownConnectionPlan(options: ResolvedStorageOptions): ConnectionPlan {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  return {
    schema,
    target: describeDatabase(options),
    acquireTimeoutMs: storagePoolSettings(options, {}).acquireTimeoutMs,
    connectTimeoutMs: storagePoolSettings(options, {}).connectTimeoutMs,
    async open() {
      const settled = await settleTls(options, storagePoolSettings(options, {}).connectTimeoutMs);
      const settings = storagePoolSettings(options, pgSettings(settled));
      const pool = new StoragePool(settings);
      return {
        pool,
        settings: settings.connection,
        migrate: (events) => runStorageMigrations(pool, schema, events),
        release: () => pool.end(),
      };
    },
  };
}

/** `host:port/db` of the configured server, for messages: never the user, password or full URL. */
export function describeDatabase(options: ResolvedStorageOptions): string {
  const { host, port, dbName } = connectionSettings(options);
  return describeTarget(host, port, dbName);
}
