import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { openStorageProvider, StorageError, StorageUnavailableError } from '../../src/index.js';
import { storageEntities, storageMigrations } from '../../src/postgres.js';
import { resolveStorageOptions, type StorageModuleOptions } from '../../src/storage/contract/options.js';
import { PostgresDatabase } from '../../src/storage/postgres/postgres-database.js';
import { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { createTestDatabase, uniqueName, withDatabase, type TestDatabase } from '../support/postgres.js';
import { tablesIn } from '../support/sql.js';
import { storageOrm } from '../support/storage-orm.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

describe('migrations', () => {
  it('instances starting together on an empty schema all start, and the migration runs once', async () => {
    const schema = uniqueName('race');
    const providers = Array.from(
      { length: 4 },
      () => new PostgresStorageProvider(resolveStorageOptions({ driver: 'postgres', clientUrl: database.url, schema })),
    );
    try {
      const outcomes = await Promise.allSettled(providers.map((provider) => provider.initialize()));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const applied = await database.query(`select name from "${schema}".sync_storage_migrations`);
      expect(applied).toHaveLength(storageMigrations.length);
      expect(await providers[3]!.documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
    } finally {
      await Promise.all(providers.map((provider) => provider.close()));
    }
  });

  it('put every table in the configured schema, with ids in code-point (C) collation', async () => {
    const schema = uniqueName('placed');
    await database.createProvider({ schema });
    expect(await tablesIn(database.url, schema)).toEqual([
      'sync_awareness',
      'sync_changes',
      'sync_deltas',
      'sync_document_clocks',
      'sync_documents',
      'sync_history_deltas',
      'sync_history_snapshots',
      'sync_snapshots',
      'sync_storage_migrations',
    ]);
    expect(await tablesIn(database.url, 'public')).toEqual([]);
    const collations = await database.query<{ column_name: string; collation_name: string | null }>(
      `select column_name, collation_name from information_schema.columns
       where table_schema = $1 and table_name = 'sync_deltas' and column_name in ('document_id', 'id', 'client_id')`,
      [schema],
    );
    expect(collations.map((column) => column.collation_name)).toEqual(['C', 'C', 'C']);
  });

  it('leave nothing for MikroORM to change: the entities describe the migrated tables', async () => {
    const schema = uniqueName('diff');
    await database.createProvider({ schema });
    const orm = await storageOrm(database.url, schema);
    try {
      expect((await orm.schema.getUpdateSchemaSQL({ wrap: false, schema })).trim()).toBe('');
    } finally {
      await orm.close(true);
    }
  });

  it('can be run by a host app with the exported entities and migrations list, after which migrate: false starts', async () => {
    const schema = uniqueName('host');
    const orm = await MikroORM.init({
      clientUrl: database.url,
      schema,
      entities: storageEntities,
      extensions: [Migrator],
      migrations: { migrationsList: storageMigrations, snapshot: false, silent: true },
      ensureDatabase: false,
      discovery: { warnWhenNoEntities: false },
    });
    try {
      await orm.migrator.up();
    } finally {
      await orm.close(true);
    }
    const provider = await database.createProvider({ schema, migrate: false });
    expect(await provider.documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
  });

  it('with migrate: false, a schema without the tables fails at start-up naming the schema and the fix', async () => {
    const schema = uniqueName('bare');
    const error = await database.createProvider({ schema, migrate: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toContain(schema);
    expect((error as Error).message).toMatch(/migrat/);
  });
});

describe('connection settings', () => {
  const SETTINGS = {
    name: 'settings',
    sql: `select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle`,
    params: [],
  };
  const openDatabase = async (options: Partial<StorageModuleOptions>) => {
    const db = new PostgresDatabase(
      resolveStorageOptions({ driver: 'postgres', clientUrl: database.url, schema: uniqueName('set'), ...options }),
    );
    await db.open();
    return db;
  };

  it('bound each transaction with SET LOCAL, leave no setting on the session, and let mikroOrm options override them', async () => {
    const settings = async (options: Partial<StorageModuleOptions>) => {
      const db = await openDatabase({ pool: { max: 1 }, ...options });
      try {
        const inside = await db.transaction(async (tx) => (await tx.rows<object>(SETTINGS))[0]);
        // The same (only) connection right after: a pooler could hand it to anyone now.
        const [after] = await db.rows<object>(SETTINGS);
        return { inside, after };
      } finally {
        await db.close();
      }
    };
    const serverDefaults = { statement: '0', idle: '0' };
    expect(await settings({})).toEqual({ inside: { statement: '30s', idle: '1min' }, after: serverDefaults });
    expect(await settings({ mikroOrm: { driverOptions: { connection: { statement_timeout: 1500 } } } })).toEqual({
      inside: { statement: '1500ms', idle: '1min' },
      after: serverDefaults,
    });
  });

  it('connect without session startup parameters: the server sees only the application name', async () => {
    const db = await openDatabase({});
    try {
      const [row] = await db.rows<{ name: string; sources: string[] }>({
        name: 'sources',
        sql: `select current_setting('application_name') as name,
                array(select name from pg_settings where source = 'client' order by name) as sources`,
        params: [],
      });
      expect(row).toEqual({ name: 'nest-sync-storage', sources: expect.not.arrayContaining(['statement_timeout']) });
      expect(row!.sources).not.toContain('idle_in_transaction_session_timeout');
    } finally {
      await db.close();
    }
  });

  it('cancel a statement outside a transaction on the server once it outlasts the statement timeout', async () => {
    const db = await openDatabase({ mikroOrm: { driverOptions: { connection: { statement_timeout: 300 } } } });
    try {
      const marker = uniqueName('sleeper');
      const started = Date.now();
      const error = await db
        .rows({ name: 'sleep', sql: `select pg_sleep(20), '${marker}'`, params: [] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toMatch(/timed out/);
      expect(Date.now() - started).toBeLessThan(10_000);
      const running = await database.query(
        `select 1 from pg_stat_activity where query like $1 and state = 'active' and pid <> pg_backend_pid()`,
        [`%${marker}%`],
      );
      expect(running).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('a write stuck behind a lock held elsewhere times out with StorageUnavailableError instead of hanging', async () => {
    const schema = uniqueName('stuck');
    const provider = await database.createProvider({
      schema,
      mikroOrm: { driverOptions: { connection: { statement_timeout: 300 } } },
    });
    await provider.documents.addDelta('doc', makeDelta('d1', 'a', 1));
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`select 1 from "${schema}".sync_documents where id = 'doc' for update`);
      const error = await provider.documents
        .addDelta('doc', makeDelta('d2', 'a', 2))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toMatch(/timed out/);
    } finally {
      await other.query('rollback');
      await other.end();
    }
    expect(await provider.documents.addDelta('doc', makeDelta('d2', 'a', 2))).toBe(true);
  });
});

describe('start-up', () => {
  it('ignores MIKRO_ORM_* environment variables: the module options decide', async () => {
    const saved = { ...process.env };
    process.env.MIKRO_ORM_SCHEMA = 'hijacked';
    process.env.MIKRO_ORM_CLIENT_URL = 'postgresql://nobody@127.0.0.1:1/nowhere';
    process.env.MIKRO_ORM_POOL_MAX = '1';
    try {
      const schema = uniqueName('env');
      const provider = await database.createProvider({ schema });
      expect(await provider.documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
      expect(await tablesIn(database.url, schema)).toContain('sync_deltas');
      expect(await tablesIn(database.url, 'hijacked')).toEqual([]);
    } finally {
      process.env = saved;
    }
  });

  it('reports a database that does not exist and never creates it', async () => {
    const missing = uniqueName('missing');
    const provider = new PostgresStorageProvider(
      resolveStorageOptions({ driver: 'postgres', clientUrl: withDatabase(database.url, missing) }),
    );
    const error = await provider.initialize().catch((caught: unknown) => caught);
    await provider.close();

    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toMatch(/is unavailable: the database does not exist \(SQLSTATE 3D000\)$/);
    expect((error as Error).message).not.toContain(database.password);
    const found = await database.query(`select 1 from pg_database where datname = $1`, [missing]);
    expect(found).toEqual([]);
  });
  it('openStorageProvider migrates and answers a ready provider, and rejects a database it cannot reach with StorageUnavailableError', async () => {
    const schema = uniqueName('open');
    const provider = await openStorageProvider({ driver: 'postgres', clientUrl: database.url, schema });
    try {
      expect(await provider.documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
      expect(await tablesIn(database.url, schema)).toContain('sync_document_clocks');
    } finally {
      await provider.close();
    }
    const missing = withDatabase(database.url, uniqueName('missing'));
    const failed = await openStorageProvider({ driver: 'postgres', clientUrl: missing }).catch(
      (caught: unknown) => caught,
    );
    expect(failed).toBeInstanceOf(StorageUnavailableError);
  });
});
