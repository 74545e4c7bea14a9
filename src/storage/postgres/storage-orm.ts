import { Utils } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver, type Options } from '@mikro-orm/postgresql';
import type { ResolvedStorageOptions } from '../contract/options.js';
import { connectionSettings } from './connection-settings.js';
import { storageEntities } from './entities/index.js';
import { storageMigrations } from './migrations/index.js';
import { DEFAULT_SCHEMA, MIGRATIONS_TABLE } from './storage-tables.js';

/**
 * A MikroORM's options on the storage's tables, for the MikroORM CLI of this repository (mikro-orm.config.ts:
 * `migration:create`) and for tests that compare the entities with the migrated tables. The driver itself
 * runs on a pool of its own and applies its migrations with `runStorageMigrations`.
 */
export function storageOrmOptions(options: ResolvedStorageOptions): Options {
  const connection = connectionSettings(options);
  const base: Options = {
    driver: PostgreSqlDriver,
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    dbName: connection.database,
    schema: options.schema ?? DEFAULT_SCHEMA,
    entities: storageEntities,
    discovery: { warnWhenNoEntities: false },
    ensureDatabase: false,
    metadataCache: { enabled: false },
    debug: false,
    // MikroORM 7 diffs stored functions too: the storage's write functions are not entities (6 ignores this key).
    ...({ schemaGenerator: { ignoreRoutines: true } } as Partial<Options>),
    extensions: [Migrator],
    migrations: {
      migrationsList: storageMigrations,
      tableName: MIGRATIONS_TABLE,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  };
  return options.mikroOrm ? Utils.mergeConfig(base, options.mikroOrm as Options) : base;
}
