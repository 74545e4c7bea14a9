import type { Configuration, MigrationObject } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import { StorageError, StorageUnavailableError } from '../contract/errors.js';
import { elapsedSince } from '../storage.logger.js';
import { storageMigrations } from './migrations/index.js';
import { hasSqlState } from './postgres-errors.js';
import type { MigrationEvents } from './storage-connection.js';
import type { RunStatement, StoragePool } from './storage-pool.js';
import { MIGRATIONS_TABLE, STORAGE_TABLES, quoteIdentifier } from './storage-tables.js';

/** Where the migrations run: one transaction on a connection that may come from a transaction pooler. */
export type MigrationTarget = Pick<StoragePool, 'transaction'>;

/** The key of the migrations' advisory lock: the one earlier versions held as a session lock, so the two exclude each other. */
const lockKey = (schema: string): string => `nest-sync-storage:migrations:${schema}`;

/**
 * Applies pending migrations in ONE transaction that first takes a transaction-level advisory lock keyed by
 * schema: instances that start together migrate one after the other, and the later ones find nothing to do.
 * The lock ends with the transaction, on whatever server connection ran it, so a transaction pooler
 * (PgBouncer `pool_mode = transaction`) never keeps it, and a process that dies mid-way leaves none behind.
 * The list of pending migrations is read under the lock, which MikroORM's Migrator cannot do (it reads it
 * before its transaction): hence this runner, in the Migrator's own table format. Answers the names applied.
 */
export async function runStorageMigrations(
  target: MigrationTarget,
  schema: string,
  events: MigrationEvents = {},
): Promise<string[]> {
  return target.transaction(async (run) => {
    const [free] = await run<{ locked: boolean }>(
      'select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked',
      [lockKey(schema)],
    );
    // Another instance is migrating: wait for its commit (bounded by the statement timeout).
    if (!free?.locked) {
      events.lockWait?.();
      const waiting = performance.now();
      await run('select pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey(schema)]).catch((error: unknown) => {
        if (!hasSqlState(error, '57014')) throw error;
        throw new StorageUnavailableError(
          `timed out after ${elapsedSince(waiting)} waiting for the storage migration lock held by another session (schema "${schema}"): another instance is still migrating, or a session holds the lock; start again once it is released`,
          { cause: error },
        );
      });
    }
    await ensureMigrationsTable(run, schema);
    const executed = new Set(await executedMigrations(run, schema));
    if (executed.size === 0) await refuseTablesOfAnotherMigrator(run, schema);
    const pending = storageMigrations.filter((migration) => !executed.has(migration.name));
    for (const migration of pending) {
      for (const sql of await migrationQueries(migration, schema)) await run(sql, []);
      await run(`insert into ${migrationsTable(schema)} ("name") values ($1)`, [migration.name]);
    }
    return pending.map((migration) => migration.name);
  });
}

/** The storage's executed and pending migrations in `schema` (all pending while its migrations table is missing). */
export async function readMigrationStatus(
  target: MigrationTarget,
  schema: string,
): Promise<{ executed: string[]; pending: string[] }> {
  return target.transaction(
    async (run) => {
      const [table] = await run<{ found: string | null }>('select to_regclass($1) as found', [migrationsTable(schema)]);
      const executed = table?.found ? await executedMigrations(run, schema) : [];
      const done = new Set(executed);
      return { executed, pending: storageMigrations.map(({ name }) => name).filter((name) => !done.has(name)) };
    },
    { readOnly: true },
  );
}

/**
 * Nothing in this schema's storage migrations table, yet the tables are there: another migrator made them (an
 * app's MikroORM migrations with storageMigrations record them in the app's own table). Say so, and what to do.
 */
async function refuseTablesOfAnotherMigrator(run: RunStatement, schema: string): Promise<void> {
  const [found] = await run<{ table: string | null }>('select to_regclass($1) as table', [
    `${quoteIdentifier(schema)}.${quoteIdentifier(STORAGE_TABLES.documents)}`,
  ]);
  if (found?.table)
    throw new StorageError(
      `the storage tables exist but this schema's storage migrations table is empty: schema "${schema}" was migrated by another migrator (an app's MikroORM migrations with storageMigrations record them in the app's own table). Keep migrating with that one and start with migrate: false, or use a schema of its own for the storage`,
    );
}

const migrationsTable = (schema: string): string => `${quoteIdentifier(schema)}.${quoteIdentifier(MIGRATIONS_TABLE)}`;

async function executedMigrations(run: RunStatement, schema: string): Promise<string[]> {
  const rows = await run<{ name: string }>(`select "name" from ${migrationsTable(schema)} order by "id"`, []);
  return rows.map((row) => row.name);
}

/**
 * The schema and the migrations table, as MikroORM's Migrator makes them (so that either can read what the
 * other ran). Created only when missing: `create ... if not exists` would still ask for the CREATE right.
 */
async function ensureMigrationsTable(run: RunStatement, schema: string): Promise<void> {
  const [found] = await run<{ schema: boolean; table: string | null }>(
    'select exists (select 1 from pg_namespace where nspname = $1) as schema, to_regclass($2) as table',
    [schema, migrationsTable(schema)],
  );
  if (!found?.schema) await run(`create schema ${quoteIdentifier(schema)}`, []);
  if (!found?.table)
    await run(
      `create table ${migrationsTable(schema)} ("id" serial primary key, "name" varchar(255), "executed_at" timestamptz default current_timestamp)`,
      [],
    );
}

/**
 * The SQL of one storage migration for `schema`: its `up()` collects statements with `addSql`, through
 * MikroORM's public Migration API. The storage's migrations read only the schema from their configuration.
 */
async function migrationQueries(migration: MigrationObject, schema: string): Promise<string[]> {
  const config = { get: (key: string) => (key === 'schema' ? schema : undefined) } as unknown as Configuration;
  const MigrationClass = migration.class as unknown as new (driver: never, config: Configuration) => Migration;
  const instance = new MigrationClass(undefined as never, config);
  await instance.up();
  return instance.getQueries().map((query) => {
    if (typeof query !== 'string')
      throw new Error(`storage migration ${migration.name} holds a query that is not SQL text`);
    return query;
  });
}
