import type { INestApplication } from '@nestjs/common';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import {
  AWARENESS_STORE,
  DOCUMENT_STORE,
  STORAGE_CHANGES,
  StorageModule,
  StorageValidationError,
  type AwarenessStore,
  type DocumentStore,
  type StorageChangeFeed,
  type PostgresOrmOptions,
} from '../../src/index.js';
import {
  SyncAwarenessEntity,
  SyncDeltaEntity,
  SyncSnapshotEntity,
  migrateStorage,
  storageEntities,
  storageMigrationStatus,
  storageMigrations,
  toStoredDelta,
} from '../../src/postgres.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { closeAfterEach, startNestApp } from '../support/nest-app.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { eventually } from '../fixtures/eventually.js';
import { storageSessions } from '../support/sql.js';
import { tablesIn } from '../support/sql.js';

let database: TestDatabase;
const orms: MikroORM[] = [];

/** An app's own MikroORM, as it would build it (the storage's entities beside its own), in `schema`. */
async function appOrm(schema: string, extra: Partial<Options> = {}): Promise<MikroORM> {
  const orm = await MikroORM.init({
    clientUrl: database.url,
    schema,
    entities: [...storageEntities],
    extensions: [Migrator],
    pool: { min: 0, max: 3 },
    debug: false,
    ...extra,
  });
  orms.push(orm);
  return orm;
}

const storageOn = (options: Omit<PostgresOrmOptions, 'driver'>) =>
  StorageModule.forRoot({ driver: 'postgres', ...options });

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(orms.map((orm) => orm.close(true)));
  await database.drop();
});

describe("the postgres driver on an app's own MikroORM (option orm)", () => {
  const closed = closeAfterEach();

  it("stores and reads on the app's database with the ORM's settings, on a pool of its own that ends with the app", async () => {
    const schema = uniqueName('app');
    const orm = await appOrm(schema);
    const app = await startNestApp(storageOn({ orm }));
    const documents = app.get<DocumentStore>(DOCUMENT_STORE);
    expect(await documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
    expect(await documents.getVectorClock('doc')).toEqual({ a: 1 });
    const [stored] = await orm.em.getConnection().execute(`select count(*)::int as n from "${schema}".sync_deltas`);
    expect(stored).toEqual({ n: 1 });
    expect(await storageSessions(database.url)).toBeGreaterThan(0);
    await app.close();
    // A backend leaves pg_stat_activity a moment after its client hung up.
    await eventually(
      async () => (await storageSessions(database.url)) === 0,
      "the storage's sessions end with the app",
    );
  });

  it('sizes its own pool with the pool option: at most pool.max connections under concurrent calls', async () => {
    const orm = await appOrm(uniqueName('app'));
    const app = closed(await startNestApp(storageOn({ orm, pool: { max: 2 } })));
    const documents = app.get<DocumentStore>(DOCUMENT_STORE);
    await Promise.all(
      Array.from({ length: 12 }, (_, index) => documents.addDelta(`doc${index}`, makeDelta('d1', 'a', 1))),
    );
    const reads = Promise.all(Array.from({ length: 20 }, (_, index) => documents.getVectorClock(`doc${index % 12}`)));
    expect(await storageSessions(database.url)).toBeLessThanOrEqual(2);
    await reads;
    expect(await storageSessions(database.url)).toBe(2);
  });

  it("migrates into the ORM's own schema by default, in the storage's own migrations table", async () => {
    const schema = uniqueName('app');
    const orm = await appOrm(schema);
    closed(await startNestApp(storageOn({ orm })));
    expect(await tablesIn(database.url, schema)).toEqual(
      expect.arrayContaining(['sync_deltas', 'sync_documents', 'sync_storage_migrations']),
    );
    expect(await tablesIn(database.url, schema)).not.toContain('mikro_orm_migrations');
    const applied = await database.query<{ name: string }>(`select name from "${schema}".sync_storage_migrations`);
    expect(applied.map((row) => row.name)).toEqual(storageMigrations.map((migration) => migration.name));
  });

  it("leaves the app's ORM open when the app shuts down", async () => {
    const orm = await appOrm(uniqueName('app'));
    // Connected first (MikroORM 7 connects on first use), so that a close would show.
    expect(await orm.em.getConnection().execute('select 1 as one')).toEqual([{ one: 1 }]);
    const app = await startNestApp(storageOn({ orm }));
    await app.close();
    expect(await orm.isConnected()).toBe(true);
    expect(await orm.em.getConnection().execute('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it("announces changes through a listening connection opened with the app's connection settings", async () => {
    const orm = await appOrm(uniqueName('app'));
    const app = closed(await startNestApp(storageOn({ orm })));
    const recorder = recordChanges(app.get<StorageChangeFeed>(STORAGE_CHANGES), 'fed');
    await app.get<DocumentStore>(DOCUMENT_STORE).addDelta('fed', makeDelta('f1', 'a', 1));
    expect(await recorder.received(1)).toEqual([
      { documentId: 'fed', kind: 'deltas', deltaIds: ['f1'], version: 1, source: 'local' },
    ]);
    recorder.stop();
  });

  it("runs on the tables the app's migrator created from storageMigrations, with migrate: false", async () => {
    const schema = uniqueName('app');
    // No snapshot file: MikroORM 7 writes one into the working directory when it migrates.
    const orm = await appOrm(schema, {
      migrations: { migrationsList: [...storageMigrations], snapshot: false, silent: true },
    });
    await orm.migrator.up();
    const app = closed(await startNestApp(storageOn({ orm, migrate: false })));
    await app.get<DocumentStore>(DOCUMENT_STORE).addDelta('doc', makeDelta('d1', 'a', 1));
    const recorded = await database.query<{ name: string }>(`select name from "${schema}".mikro_orm_migrations`);
    expect(recorded.map((row) => row.name)).toEqual(storageMigrations.map((migration) => migration.name));
    expect(await tablesIn(database.url, schema)).not.toContain('sync_storage_migrations');
  });

  it("reads what the stores return through the app's EntityManager", async () => {
    const orm = await appOrm(uniqueName('app'));
    const app: INestApplication = closed(await startNestApp(storageOn({ orm })));
    const documents = app.get<DocumentStore>(DOCUMENT_STORE);
    const awareness = app.get<AwarenessStore>(AWARENESS_STORE);
    await documents.addDeltas('doc', [
      makeDelta('json', 'a', 1, { data: { text: 'hé\u0000', list: [1, null] } }),
      { ...makeDelta('bytes', 'a', 2), data: new Uint8Array([0, 1, 254, 255]) },
    ]);
    await documents.saveSnapshot('doc', new Uint8Array([7, 7]), { a: 1 });
    await awareness.set('doc', 'alice', { cursor: 3 }, 1);

    const em = orm.em.fork();
    const records = await em.find(SyncDeltaEntity, { document: 'doc' }, { orderBy: { seq: 'asc' } });
    expect(records.map(toStoredDelta)).toEqual(await documents.getDeltasSince('doc', null));
    const snapshot = await em.findOneOrFail(SyncSnapshotEntity, { document: 'doc' });
    expect(new Uint8Array(snapshot.data)).toEqual((await documents.getSnapshot('doc'))!.data);
    const entry = await em.findOneOrFail(SyncAwarenessEntity, { documentId: 'doc', clientId: 'alice' });
    expect(entry.state).toEqual((await awareness.get('doc', 'alice'))!.state);
  });

  it("migrateStorage and storageMigrationStatus run on the app's database, say what they did and leave no connection open", async () => {
    const schema = uniqueName('app');
    const orm = await appOrm(schema);
    const names = storageMigrations.map((migration) => migration.name);
    expect(await storageMigrationStatus(orm)).toEqual({ executed: [], pending: names });
    expect(await migrateStorage(orm)).toEqual(names);
    expect(await migrateStorage(orm)).toEqual([]);
    expect(await storageMigrationStatus(orm, { schema })).toEqual({ executed: names, pending: [] });
    expect(await storageSessions(database.url)).toBe(0);
  });

  it('refuses, at start-up, an object that is not a MikroORM on PostgreSQL', async () => {
    // The shape of MikroORM's SQLite connection: public API only, a platform whose default schema is not `public`.
    const sqlite = {
      em: {
        getConnection: () => ({
          getConnectionOptions: () => ({ database: 'app.db' }),
          getPlatform: () => ({ getDefaultSchemaName: () => undefined }),
        }),
      },
      config: { get: () => undefined },
    };
    await expect(startNestApp(storageOn({ orm: sqlite }))).rejects.toMatchObject({
      constructor: StorageValidationError,
      argument: 'options.orm',
      message: expect.stringContaining('PostgreSQL'),
    });
  });
});
