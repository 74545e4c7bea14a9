import type { ClientConfig } from 'pg';
import { StorageValidationError } from '../contract/errors.js';
import type { StorageHostOrm, StoragePoolOptions } from '../contract/options.js';
import { checkSchemaName } from '../contract/postgres-options.js';
import { isPlainObject } from '../contract/validation.js';
import { APPLICATION_NAME, poolPlan, storagePoolSettings } from './own-connection.js';
import { describeTarget } from './postgres-errors.js';
import { readMigrationStatus, runStorageMigrations } from './run-storage-migrations.js';
import type { ConnectionPlan } from './storage-connection.js';
import { StoragePool } from './storage-pool.js';
import { DEFAULT_SCHEMA } from './storage-tables.js';

/** Where the storage migrations run on an app's MikroORM. */
export interface StorageMigrationOptions {
  /** Schema of the storage tables and their `sync_storage_migrations` table. Default: the ORM's `schema`, else `public`. */
  schema?: string;
}

/** What `storageMigrationStatus` answers: the driver's migrations by name, in the order they run. */
export interface StorageMigrationStatus {
  /** Recorded as run in the driver's migrations table. */
  executed: string[];
  /** Not run yet. */
  pending: string[];
}

/** What the driver asks of an app's MikroORM (6 or 7): its public connection and configuration API only. */
interface HostOrmApi {
  em: {
    getConnection(): {
      getConnectionOptions(): { host?: string; port?: number; user?: string; password?: unknown; database?: string };
      getPlatform(): { getDefaultSchemaName(): string | undefined };
    };
  };
  config: { get(key: string): unknown };
}

/**
 * The postgres driver on an app's MikroORM (option `orm`): on the app's database, with its connection
 * settings, in its schema, under its migrations flow; the driver's statements run on a pool of its own
 * (MikroORM 7's public `execute` sends values inlined into the SQL text, and MikroORM 6's runs each call
 * through knex: see docs/BENCHMARKS.md). The app's ORM is never closed by the storage.
 */
export function hostOrmPlan(
  orm: StorageHostOrm,
  schemaOption: string | undefined,
  pool: StoragePoolOptions | undefined,
): ConnectionPlan {
  const connection = hostOrmConnection(orm);
  const schema = hostOrmSchema(orm, schemaOption);
  const settings = storagePoolSettings({ pool }, connection);
  return poolPlan(schema, describeTarget(connection.host, connection.port, connection.database), settings);
}

/**
 * pg's settings for the database of an app's MikroORM 6 or 7 on PostgreSQL, through its public API: the
 * connection's options (host, port, user, password, database) and the TLS of its driver options
 * (`driverOptions.connection` in MikroORM 6, `driverOptions` in 7). Anything else is refused.
 */
export function hostOrmConnection(orm: unknown): ClientConfig {
  const api = orm as Partial<HostOrmApi> | null;
  const connection = typeof api?.em?.getConnection === 'function' ? api.em.getConnection() : undefined;
  // PostgreSQL is the one MikroORM platform whose default schema is `public`.
  if (
    typeof connection?.getConnectionOptions !== 'function' ||
    connection.getPlatform?.().getDefaultSchemaName?.() !== 'public'
  )
    throw new StorageValidationError(
      'options.orm',
      'must be a MikroORM 6 or 7 instance on PostgreSQL (from @mikro-orm/postgresql or @mikro-orm/nestjs)',
    );
  const { host, port, user, password, database } = connection.getConnectionOptions();
  const driverOptions = api!.config!.get('driverOptions');
  const pgOptions = isPlainObject(driverOptions)
    ? isPlainObject(driverOptions.connection)
      ? driverOptions.connection
      : driverOptions
    : {};
  const settings: ClientConfig = {
    host,
    port,
    user,
    password: password as ClientConfig['password'],
    database,
    application_name: APPLICATION_NAME,
  };
  if (pgOptions.ssl !== undefined) settings.ssl = pgOptions.ssl as ClientConfig['ssl'];
  return settings;
}

/** The schema of the storage on an app's ORM: the one asked for, else the ORM's own `schema`, else `public`. */
function hostOrmSchema(orm: StorageHostOrm, schema: string | undefined): string {
  if (schema !== undefined) return schema;
  const configured = (orm.config as { get?: (key: string) => unknown }).get?.('schema');
  return typeof configured === 'string' && configured !== '' ? configured : DEFAULT_SCHEMA;
}

/** A pool of one connection on the app ORM's database, for one migration command; ended by `use`'s end. */
async function withMigrationPool<T>(
  orm: StorageHostOrm,
  schemaOption: string | undefined,
  use: (pool: StoragePool, schema: string) => Promise<T>,
): Promise<T> {
  if (schemaOption !== undefined) checkSchemaName(schemaOption, 'options.schema');
  const connection = hostOrmConnection(orm);
  const settings = storagePoolSettings({}, connection);
  const pool = new StoragePool({ ...settings, min: 0, max: 1 });
  try {
    return await use(pool, hostOrmSchema(orm, schemaOption));
  } finally {
    await pool.end();
  }
}

/**
 * Applies the storage's pending migrations on the database of an app's MikroORM, as the driver does at
 * start-up with `migrate: true`: in the storage's own `sync_storage_migrations` table, in one transaction
 * under the driver's advisory lock, on one connection of its own (closed after). Answers the names applied.
 */
export function migrateStorage(orm: StorageHostOrm, options: StorageMigrationOptions = {}): Promise<string[]> {
  return withMigrationPool(orm, options.schema, (pool, schema) => runStorageMigrations(pool, schema));
}

/** The storage's executed and pending migrations on the database of an app's MikroORM. */
export function storageMigrationStatus(
  orm: StorageHostOrm,
  options: StorageMigrationOptions = {},
): Promise<StorageMigrationStatus> {
  return withMigrationPool(orm, options.schema, (pool, schema) => readMigrationStatus(pool, schema));
}
