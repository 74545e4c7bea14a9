import { DeltaConflictError, StorageLimitError, type StorageProvider } from '../../src/index.js';
import { storageMigrations } from '../../src/postgres.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { storageOrm } from '../support/storage-orm.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

/** Applies only the first (version 1) migration to `schema`. */
async function migrateToVersion1(schema: string): Promise<void> {
  const orm = await storageOrm(database.url, schema, { migrations: { migrationsList: storageMigrations.slice(0, 1) } });
  try {
    await orm.migrator.up();
  } finally {
    await orm.close(true);
  }
}

/**
 * Version 1 data, written as version 1 wrote it: a clock per document as one jsonb, deltas whose clocks
 * it merges, a snapshot, awareness, and the one thing version 1 allowed that version 2 forbids: two ids
 * for one event (b3 and b3-again are both (b, 3)).
 */
async function writeVersion1Data(schema: string): Promise<void> {
  const q = (table: string): string => `"${schema}".${table}`;
  await database.query(
    `insert into ${q('sync_documents')} (id, vector_clock, next_seq, created_at, updated_at) values
       ('notes', '{"a": 2, "b": 3, "z": 9}', 5, '2026-11-01T10:00:00Z', '2026-11-02T10:00:00Z'),
       ('empty', '{}', 0, '2026-11-03T10:00:00Z', '2026-11-03T10:00:00Z')`,
  );
  await database.query(
    `insert into ${q('sync_deltas')} (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock) values
       ('notes', 0, 'a1', 'a', 1, 100, '{"op":"insert"}', '{"a": 1}'),
       ('notes', 1, 'b3', 'b', 3, 101, '"\\u0000text"', '{"b": 3, "z": 9}'),
       ('notes', 2, 'a2', 'a', 2, 102, '[1,2]', '{"a": 2, "b": 3}'),
       ('notes', 3, 'b3-again', 'b', 3, 103, 'null', '{"b": 3}'),
       ('notes', 4, 'b2', 'b', 2, 104, '7', '{"b": 2}')`,
  );
  await database.query(
    `insert into ${q('sync_snapshots')} (document_id, data, vector_clock, created_at)
       values ('notes', '\\x0102ff', '{"a": 1}', '2026-11-02T09:00:00Z')`,
  );
  await database.query(
    `insert into ${q('sync_awareness')} (document_id, client_id, connection_id, state, clock, updated_at, expires_at)
       values ('notes', 'alice', 'socket', '{"cursor": 3}', 4, now(), now() + interval '1 hour')`,
  );
}

describe('upgrading a version 1 database', () => {
  let provider: StorageProvider;
  let schema: string;

  beforeAll(async () => {
    schema = uniqueName('upgrade');
    await migrateToVersion1(schema);
    await writeVersion1Data(schema);
    provider = await database.createProvider({ schema });
  });

  it('runs the second migration over the data', async () => {
    const applied = await database.query<{ name: string }>(
      `select name from "${schema}".sync_storage_migrations order by id`,
    );
    expect(applied.map((row) => row.name)).toEqual(storageMigrations.map((migration) => migration.name));
  });

  it('reads every document, clock, delta, snapshot and presence entry back unchanged', async () => {
    const { documents, awareness } = provider;
    expect(await documents.getDocumentIds()).toEqual(['empty', 'notes']);
    expect(await documents.get('notes')).toEqual({
      id: 'notes',
      vectorClock: { a: 2, b: 3, z: 9 },
      createdAt: new Date('2026-11-01T10:00:00Z'),
      updatedAt: new Date('2026-11-02T10:00:00Z'),
      version: 0,
    });
    expect(await documents.getVectorClock('empty')).toEqual({});
    expect(await documents.getDeltasSince('notes')).toEqual([
      { id: 'a1', clientId: 'a', timestamp: 100, data: { op: 'insert' }, vectorClock: { a: 1 } },
      { id: 'b3', clientId: 'b', timestamp: 101, data: '\u0000text', vectorClock: { b: 3, z: 9 } },
      { id: 'a2', clientId: 'a', timestamp: 102, data: [1, 2], vectorClock: { a: 2, b: 3 } },
      { id: 'b2', clientId: 'b', timestamp: 104, data: 7, vectorClock: { b: 2 } },
    ]);
    const snapshot = await documents.getSnapshot('notes');
    expect({ ...snapshot, data: Array.from(snapshot!.data) }).toEqual({
      data: [1, 2, 255],
      vectorClock: { a: 1 },
      createdAt: new Date('2026-11-02T09:00:00Z'),
    });
    expect(await awareness.get('notes', 'alice')).toMatchObject({
      connectionId: 'socket',
      state: { cursor: 3 },
      clock: 4,
    });
  });

  it('keeps the second id of a version 1 event aside, in sync_deltas_superseded, instead of deleting it', async () => {
    const superseded = await database.query<{ id: string; client_id: string; counter: string }>(
      `select id, client_id, counter from "${schema}".sync_deltas_superseded`,
    );
    expect(superseded).toEqual([{ id: 'b3-again', client_id: 'b', counter: '3' }]);
  });

  /** Each author of a document with whether it was marked stored out of counter order. */
  const authorOrder = (documentId: string) =>
    database.query<{ client_id: string; out_of_order: boolean }>(
      `select client_id, out_of_order from "${schema}".sync_document_clocks where document_id = $1 order by client_id`,
      [documentId],
    );

  it('marks the authors it finds stored out of counter order (b stored 3, then 2), so catch-up reads them whole', async () => {
    const authors = await authorOrder('notes');
    expect(authors).toEqual([
      { client_id: 'a', out_of_order: false },
      { client_id: 'b', out_of_order: true },
      { client_id: 'z', out_of_order: false },
    ]);
  });

  it('carries the snapshot clock and the stored deltas over, so writes, catch-up and compaction work on them', async () => {
    const { documents } = provider;
    expect(await documents.addDelta('notes', makeDelta('a1-late', 'a', 1))).toBe(false);
    await expect(documents.addDelta('notes', makeDelta('b2-twin', 'b', 2))).rejects.toBeInstanceOf(DeltaConflictError);
    expect((await documents.getDeltasSince('notes', { a: 2, b: 2 })).map((delta) => delta.id)).toEqual(['b3']);
    expect(await documents.addDelta('notes', makeDelta('c1', 'c', 1))).toBe(true);
    expect(await documents.getVectorClock('notes')).toEqual({ a: 2, b: 3, c: 1, z: 9 });
    expect(await documents.compactDeltas('notes', { a: 5, b: 5 })).toBe(1);
    expect((await documents.getDeltasSince('notes')).map((delta) => delta.id)).toEqual(['b3', 'a2', 'b2', 'c1']);
  });

  it('counts the authors of the documents it finds, so maxDocumentAuthors holds for them too', async () => {
    const bounded = await database.createProvider({ schema, maxDocumentAuthors: 4 });
    // notes: a, b and z from version 1, and c written above.
    expect(await bounded.documents.getVectorClock('notes')).toEqual({ a: 2, b: 3, c: 1, z: 9 });
    await expect(bounded.documents.addDelta('notes', makeDelta('y1', 'y', 1))).rejects.toBeInstanceOf(
      StorageLimitError,
    );
    expect(await bounded.documents.addDelta('notes', makeDelta('a3', 'a', 3))).toBe(true);
    expect(await bounded.documents.addDelta('empty', makeDelta('y1', 'y', 1, { clock: { a: 1, b: 1, c: 1 } }))).toBe(
      true,
    );
    await expect(bounded.documents.addDelta('empty', makeDelta('x1', 'x', 1))).rejects.toBeInstanceOf(
      StorageLimitError,
    );
  });

  it('starts the documents stored before versions at 0: their next content write takes the next one and logs it', async () => {
    const { documents } = provider;
    const feed = recordChanges(provider, 'notes');
    const before = (await documents.get('notes'))!.version;
    expect(await documents.addDelta('notes', makeDelta('a9', 'a', 9))).toBe(true);
    expect((await documents.get('notes'))!.version).toBe(before + 1);
    expect(await feed.received(1)).toEqual([
      { documentId: 'notes', kind: 'deltas', deltaIds: ['a9'], version: before + 1, source: 'local' },
    ]);
    const [last] = await database.query<{ version: string; kind: string }>(
      `select version, kind from "${schema}".sync_changes where document_id = 'notes' order by position desc limit 1`,
    );
    expect(last).toEqual({ version: String(before + 1), kind: 'deltas' });
    feed.stop();
  });

  it('stores a batch with the function the last migrations made, answering its ids in order', async () => {
    const feed = recordChanges(provider, 'batched');
    const id = (n: number): string => `${'i'.repeat(200)}-${n}`;
    const batch = [makeDelta(id(1), 'x', 1), makeDelta(id(2), 'x', 2), makeDelta(id(1), 'x', 1)];
    expect(await provider.documents.addDeltas('batched', batch)).toBe(2);
    expect(await feed.received(1)).toEqual([expect.objectContaining({ kind: 'deltas', deltaIds: [id(1), id(2)] })]);
    feed.stop();
  });

  it('marks authors that store out of counter order from then on, in a lone write and in a batch, with no trigger', async () => {
    const { documents } = provider;
    await documents.addDelta('ordering', makeDelta('y3', 'y', 3));
    await documents.addDelta('ordering', makeDelta('y1', 'y', 1));
    await documents.addDeltas('ordering', [makeDelta('w1', 'w', 1), makeDelta('w3', 'w', 3), makeDelta('w2', 'w', 2)]);
    await documents.addDeltas('ordering', [makeDelta('v1', 'v', 1), makeDelta('v2', 'v', 2)]);
    const authors = await authorOrder('ordering');
    expect(authors).toEqual([
      { client_id: 'v', out_of_order: false },
      { client_id: 'w', out_of_order: true },
      { client_id: 'y', out_of_order: true },
    ]);
    // MikroORM 7 reads triggers into its schema diff: the storage keeps none for an app's schema:update to drop.
    const triggers = await database.query(
      `select tgname from pg_trigger where not tgisinternal and tgrelid = '"${schema}".sync_deltas'::regclass`,
    );
    expect(triggers).toEqual([]);
  });

  it('keeps history for the documents it finds once historyRetentionMs is on: a version before a compaction reads back', async () => {
    const retained = await database.createProvider({ schema, historyRetentionMs: 60_000, migrate: false });
    try {
      const { documents } = retained;
      await documents.addDelta('notes', makeDelta('a10', 'a', 10));
      const before = await documents.getChangesSince('notes', null);
      const version = (await documents.get('notes'))!.version;
      await documents.saveSnapshot('notes', new Uint8Array([9]), await documents.getVectorClock('notes'));
      expect(await documents.compactDeltas('notes', await documents.getVectorClock('notes'))).toBeGreaterThan(0);
      const at = await documents.getChangesAt('notes', { version });
      expect({ snapshot: at.snapshot?.vectorClock, ids: at.deltas.map((delta) => delta.id) }).toEqual({
        snapshot: before.snapshot?.vectorClock,
        ids: before.deltas.map((delta) => delta.id),
      });
    } finally {
      await retained.close();
    }
  });
});

describe('upgrading a database that kept history (Migration20261207130000_history) to keeping it after delete', () => {
  const untilHistory = storageMigrations.findIndex((each) => each.name === 'Migration20261207130000_history') + 1;

  it('attaches the kept rows to the live document; a delete then keeps them, and erase removes them', async () => {
    const schema = uniqueName('histupgrade');
    const orm = await storageOrm(database.url, schema, {
      migrations: { migrationsList: storageMigrations.slice(0, untilHistory) },
    });
    try {
      await orm.migrator.up();
    } finally {
      await orm.close(true);
    }
    // Written by this version's code on the schema as the history migration left it: the writes it uses are
    // the same functions.
    const before = await database.createProvider({ schema, historyRetentionMs: 60_000, migrate: false });
    try {
      await before.documents.addDeltas('notes', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      await before.documents.saveSnapshot('notes', new Uint8Array([1]), { a: 2 });
      await before.documents.compactDeltas('notes', { a: 2 });
      await before.documents.saveSnapshot('notes', new Uint8Array([2]), { a: 2 });
    } finally {
      await before.close();
    }
    const upgraded = await database.createProvider({ schema, historyRetentionMs: 60_000 });
    try {
      const kept = await database.query<{ ended_by: string; count: string }>(
        `select ended_by, count(*) from "${schema}".sync_history_deltas group by 1`,
      );
      expect(kept).toEqual([{ ended_by: '0', count: '2' }]);
      const { documents } = upgraded;
      const ids = async (version: number) =>
        (await documents.getChangesAt('notes', { version })).deltas.map((delta) => delta.id);
      expect(await ids(1)).toEqual(['a1', 'a2']);
      expect(await documents.delete('notes')).toBe(true);
      expect(await ids(1)).toEqual(['a1', 'a2']);
      expect((await documents.getChangesAt('notes', { version: 4 })).snapshot?.data).toEqual(new Uint8Array([2]));
      expect(await documents.erase('notes')).toBe(false);
      const [left] = await database.query<{ count: string }>(
        `select (select count(*) from "${schema}".sync_history_deltas)
              + (select count(*) from "${schema}".sync_history_snapshots) as count`,
      );
      expect(left).toEqual({ count: '0' });
    } finally {
      await upgraded.close();
    }
  });
});
