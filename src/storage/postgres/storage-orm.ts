import { Utils } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver, SqlSchemaGenerator, type Options } from '@mikro-orm/postgresql';
import type { ResolvedStorageOptions } from '../contract/options.js';
import { connectionSettings, settleTls, type ConnectionSettings } from './connection-settings.js';
import { describeTarget } from './postgres-errors.js';
import { storageEntities } from './entities/index.js';
import { storageMigrations } from './migrations/index.js';
import { runStorageMigrations } from './run-storage-migrations.js';
import type { ConnectionPlan } from './storage-connection.js';
import { DEFAULT_SCHEMA, MIGRATIONS_TABLE } from './storage-tables.js';

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

/** Client-side bound on a query, a little above the server's statement timeout: it also ends waits on a hung server. */
const QUERY_TIMEOUT_MARGIN_MS = 5_000;

const silent = (): void => {};

/**
 * The MikroORM options for a provider: the module's options first, then `mikroOrm` merged over them (the
 * options that decide where data goes were refused in `mikroOrm` at start-up). `clientUrl` reaches MikroORM
 * taken apart, so none of its query string is silently dropped.
 */
export function storageOrmOptions(
  options: ResolvedStorageOptions,
  connection: ConnectionSettings = connectionSettings(options),
): Options {
  const base: Options = {
    driver: PostgreSqlDriver,
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    dbName: connection.dbName,
    schema: options.schema ?? DEFAULT_SCHEMA,
    entities: storageEntities,
    discovery: { warnWhenNoEntities: false, requireEntitiesArray: true },
    // Never create the database, nor read or write files next to the host app.
    ensureDatabase: false,
    ensureIndexes: false,
    metadataCache: { enabled: false },
    forceUtcTimezone: true,
    debug: false,
    extensions: [Migrator],
    migrations: storageMigrationOptions(),
    pool: {
      min: options.pool?.min ?? CONNECTION_DEFAULTS.poolMin,
      max: options.pool?.max ?? CONNECTION_DEFAULTS.poolMax,
      acquireTimeoutMillis: CONNECTION_DEFAULTS.acquireTimeoutMs,
      createTimeoutMillis: CONNECTION_DEFAULTS.connectTimeoutMs,
      idleTimeoutMillis: CONNECTION_DEFAULTS.idleConnectionTimeoutMs,
      // MikroORM 6.0 types the pool without createTimeoutMillis; knex has always taken it.
    } as Options['pool'],
    driverOptions: {
      connection: {
        application_name: 'nest-sync-storage',
        connectionTimeoutMillis: CONNECTION_DEFAULTS.connectTimeoutMs,
        statement_timeout: CONNECTION_DEFAULTS.statementTimeoutMs,
        idle_in_transaction_session_timeout: CONNECTION_DEFAULTS.idleInTransactionTimeoutMs,
        query_timeout: CONNECTION_DEFAULTS.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
        keepAlive: true,
        ssl: connection.ssl,
      },
      // knex would print dropped connections to the console; failures reach callers as StorageUnavailableError.
      log: { warn: silent, error: silent, deprecate: silent, debug: silent },
    },
  };
  return options.mikroOrm ? Utils.mergeConfig(base, options.mikroOrm as Options) : base;
}

/** The Migrator options of the storage: its static list, in its own table (apart from an app's). */
export function storageMigrationOptions(): NonNullable<Options['migrations']> {
  return {
    migrationsList: storageMigrations,
    tableName: MIGRATIONS_TABLE,
    transactional: true,
    allOrNothing: true,
    disableForeignKeys: false,
    snapshot: false,
    silent: true,
  };
}

/** The driver's own MikroORM: opened at start-up (TLS settled first), closed with the provider. */
export function ownOrmPlan(options: ResolvedStorageOptions): ConnectionPlan {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  return {
    schema,
    target: describeDatabase(options),
    acquireTimeoutMs: storageOrmOptions(options).pool?.acquireTimeoutMillis ?? CONNECTION_DEFAULTS.acquireTimeoutMs,
    connectTimeoutMs:
      (storageOrmOptions(options).driverOptions as { connection?: { connectionTimeoutMillis?: number } })?.connection
        ?.connectionTimeoutMillis ?? CONNECTION_DEFAULTS.connectTimeoutMs,
    async open() {
      const orm = createStorageOrm(
        storageOrmOptions(options, await settleTls(options, CONNECTION_DEFAULTS.connectTimeoutMs)),
      );
      return {
        knex: orm.em.getConnection().getKnex(),
        migrate: (events) => runStorageMigrations(orm, schema, events),
        release: () => orm.close(true),
      };
    },
  };
}

/**
 * Builds the ORM without `MikroORM.init`, which loads `.env` into `process.env` and lets `MIKRO_ORM_*`
 * variables override the options given: here the module's options are the only source. No I/O happens
 * until the first query.
 */
export function createStorageOrm(options: Options): MikroORM {
  const orm = new MikroORM(options);
  orm.discoverEntitiesSync();
  SqlSchemaGenerator.register(orm);
  for (const extension of orm.config.get('extensions')) extension.register(orm);
  return orm;
}

/** `host:port/db` of the configured server, for messages: never the user, password or full URL. */
export function describeDatabase(options: ResolvedStorageOptions): string {
  const { host, port, dbName } = connectionSettings(options);
  return describeTarget(host, port, dbName);
}
