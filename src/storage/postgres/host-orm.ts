import type { Knex } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver, type MikroORM } from '@mikro-orm/postgresql';
import { StorageValidationError } from '../contract/errors.js';
import type { StorageHostOrm } from '../contract/options.js';
import { checkSchemaName } from '../contract/postgres-options.js';
import { describeTarget } from './postgres-errors.js';
import { runStorageMigrations } from './run-storage-migrations.js';
import type { ConnectionPlan } from './storage-connection.js';
import { createStorageOrm, storageMigrationOptions } from './storage-orm.js';
import { DEFAULT_SCHEMA } from './storage-tables.js';

/** Where the storage migrations run on an app's MikroORM. */
export interface StorageMigrationOptions {
  /** Schema of the storage tables and their `sync_storage_migrations` table. Default: the ORM's `schema`, else `public`. */
  schema?: string;
}

export interface StorageMigrationStatus {
  executed: string[];
  pending: string[];
}

/** knex's own bound on waiting for a pooled connection when the app's ORM sets none. */
const KNEX_ACQUIRE_TIMEOUT_MS = 60_000;

/**
 * The postgres driver on an app's MikroORM (option `orm`): its statements run on the app's pool, its
 * migrations too (in the storage's own table, under the driver's advisory lock), and closing the provider
 * leaves the app's ORM open. The change feed still opens its own LISTEN connection, with the pool's settings.
 */
export function hostOrmPlan(orm: StorageHostOrm, schemaOption: string | undefined): ConnectionPlan {
  const knex = hostOrmKnex(orm);
  const schema = hostOrmSchema(orm, schemaOption);
  const settings = (knex.client as { connectionSettings?: { host?: string; port?: number; database?: string } })
    .connectionSettings;
  const config = knex.client.config as { acquireConnectionTimeout?: number; pool?: { acquireTimeoutMillis?: number } };
  return {
    schema,
    target: describeTarget(settings?.host, settings?.port, settings?.database),
    // As knex decides it: the smaller of the two settings, 60 s when neither is set.
    acquireTimeoutMs: Math.min(
      config.acquireConnectionTimeout ?? Infinity,
      config.pool?.acquireTimeoutMillis ?? Infinity,
      KNEX_ACQUIRE_TIMEOUT_MS,
    ),
    async open() {
      return {
        knex,
        migrate: (events) => runStorageMigrations(createMigrationOrm(orm, schema).migrationOrm, schema, events),
        release: async () => undefined,
      };
    },
  };
}

/** The knex of an app's MikroORM, hence its pool; anything but a MikroORM 6 on PostgreSQL is refused. */
export function hostOrmKnex(orm: unknown): Knex {
  const connection = (orm as { em?: { getConnection?: () => unknown } } | null)?.em?.getConnection?.();
  const knex = (connection as { getKnex?: () => Knex } | undefined)?.getKnex?.();
  if (!knex || (knex.client as { dialect?: string }).dialect !== 'postgresql')
    throw new StorageValidationError(
      'options.orm',
      'must be a MikroORM 6 instance on PostgreSQL (from @mikro-orm/postgresql or @mikro-orm/nestjs)',
    );
  return knex;
}

/** The schema of the storage on an app's ORM: the one asked for, else the ORM's own `schema`, else `public`. */
function hostOrmSchema(orm: StorageHostOrm, schema: string | undefined): string {
  if (schema !== undefined) return schema;
  const configured = (orm.config as { get?: (key: string) => unknown }).get?.('schema');
  return typeof configured === 'string' && configured !== '' ? configured : DEFAULT_SCHEMA;
}

/**
 * A MikroORM that only migrates, on the app ORM's knex and so on its pool (MikroORM 6 reuses a knex instance
 * given as `driverOptions`). It owns no connection: closing it would destroy the app's pool, so nothing does.
 */
function createMigrationOrm(
  orm: StorageHostOrm,
  schemaOption: string | undefined,
): { migrationOrm: MikroORM; schema: string } {
  const knex = hostOrmKnex(orm);
  const schema = checkedSchema(orm, schemaOption);
  const dbName = (orm.config as { get(key: string): unknown }).get('dbName');
  const migrationOrm = createStorageOrm({
    driver: PostgreSqlDriver,
    dbName: typeof dbName === 'string' && dbName !== '' ? dbName : knex.client.database(),
    schema,
    entities: [],
    discovery: { warnWhenNoEntities: false, requireEntitiesArray: true },
    ensureDatabase: false,
    ensureIndexes: false,
    metadataCache: { enabled: false },
    debug: false,
    extensions: [Migrator],
    migrations: storageMigrationOptions(),
    driverOptions: knex,
    // MikroORM would log the reuse of the knex instance; the app's ORM keeps its own logging.
    logger: () => undefined,
  });
  return { migrationOrm, schema };
}

/**
 * Applies the storage's pending migrations on an app's MikroORM, as the driver does at start-up with
 * `migrate: true`: on its pool, in the storage's own `sync_storage_migrations` table, under the driver's
 * advisory lock. The ORM stays open. Answers the names applied (`[]` when there was nothing to do).
 */
export async function migrateStorage(orm: StorageHostOrm, options: StorageMigrationOptions = {}): Promise<string[]> {
  const { migrationOrm, schema } = createMigrationOrm(orm, options.schema);
  return runStorageMigrations(migrationOrm, schema);
}

/** The storage's executed and pending migrations on an app's MikroORM (this creates the migrations table if missing). */
export async function storageMigrationStatus(
  orm: StorageHostOrm,
  options: StorageMigrationOptions = {},
): Promise<StorageMigrationStatus> {
  const { migrator } = createMigrationOrm(orm, options.schema).migrationOrm;
  const executed = (await migrator.getExecutedMigrations()).map((row) => row.name);
  const pending = (await migrator.getPendingMigrations()).map((row) => row.name);
  return { executed, pending };
}

function checkedSchema(orm: StorageHostOrm, schema: string | undefined): string {
  if (schema !== undefined) checkSchemaName(schema, 'options.schema');
  return hostOrmSchema(orm, schema);
}
