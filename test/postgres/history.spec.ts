import { HistoryUnavailableError, type StorageProvider } from '../../src/index.js';
import type { PostgresDatabase } from '../../src/storage/postgres/postgres-database.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { eventually } from '../fixtures/eventually.js';
import { DOCUMENT_STORE, StorageModule, type DocumentStore } from '../../src/index.js';
import { startNestApp } from '../support/nest-app.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

let database: TestDatabase;
let schema: string;
let provider: StorageProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  schema = uniqueName('history');
  provider = await database.createProvider({ schema, historyRetentionMs: 60_000 });
});

afterAll(async () => {
  await provider.close();
  await database.drop();
});

/** How many rows of each table of the storage schema name `text` anywhere in them (read via the catalog). */
async function rowsNaming(text: string): Promise<Record<string, number>> {
  const tables = await database.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'`,
    [schema],
  );
  const found: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [row] = await database.query<{ count: string }>(
      `select count(*) from "${schema}"."${table_name}" as t where strpos(t::text, $1) > 0`,
      [text],
    );
    found[table_name] = Number(row!.count);
  }
  return found;
}

/** The provider's connection, reached into on purpose: the test places a write between a transaction's statements. */
const databaseOf = (of: StorageProvider): PostgresDatabase =>
  (of as unknown as { database: PostgresDatabase }).database;

/** Writes a history of deltas, snapshots and compactions (with retention on, some of it lands in history tables). */
async function writeHistory(documentId: string): Promise<void> {
  const { documents, awareness } = provider;
  for (let round = 1; round <= 3; round++) {
    const deltas = Array.from({ length: 50 }, (_, i) =>
      makeDelta(`${documentId}-${round}-${i}`, 'a', (round - 1) * 50 + i + 1),
    );
    await documents.addDeltas(documentId, deltas);
    const clock = await documents.getVectorClock(documentId);
    await documents.saveSnapshot(documentId, new TextEncoder().encode(`${documentId} round ${round}`), clock);
    await documents.compactDeltas(documentId, clock);
  }
  await awareness.set(documentId, 'alice', { doc: documentId }, 1);
}

describe('history on the postgres driver', () => {
  it('keeps what compaction and snapshot replacement remove in the history tables while retention is on', async () => {
    await writeHistory('kept-doc');
    const [deltas] = await database.query<{ count: string }>(
      `select count(*) from "${schema}".sync_history_deltas where document_id = 'kept-doc'`,
    );
    const [snapshots] = await database.query<{ count: string }>(
      `select count(*) from "${schema}".sync_history_snapshots where document_id = 'kept-doc'`,
    );
    expect({ deltas: Number(deltas!.count), snapshots: Number(snapshots!.count) }).toEqual({
      deltas: 150,
      snapshots: 2,
    });
  });

  it('erase leaves no row naming the document in any table of the storage schema, and spares the others', async () => {
    await writeHistory('erased-doc-7f3a');
    await writeHistory('spared-doc-7f3a');
    const before = await rowsNaming('erased-doc-7f3a');
    expect(before['sync_history_deltas']).toBeGreaterThan(0);
    expect(before['sync_changes']).toBeGreaterThan(0);
    expect(await provider.documents.erase('erased-doc-7f3a')).toBe(true);
    const after = await rowsNaming('erased-doc-7f3a');
    expect(Object.values(after).every((count) => count === 0)).toBe(true);
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['sync_history_deltas', 'sync_history_snapshots']));
    expect((await rowsNaming('spared-doc-7f3a'))['sync_history_deltas']).toBeGreaterThan(0);
    await expect(provider.documents.getChangesAt('erased-doc-7f3a', { version: 1 })).rejects.toThrow(
      HistoryUnavailableError,
    );
  });

  it('the pruning removes kept rows past retention in batches, and those versions can no longer be read', async () => {
    const short = await database.createProvider({ schema: uniqueName('pruned'), historyRetentionMs: 100 });
    try {
      const { documents } = short;
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2 });
      await documents.compactDeltas('doc', { a: 2 });
      await documents.saveSnapshot('doc', new Uint8Array([2]), { a: 2 });
      await new Promise((resolve) => setTimeout(resolve, 250));
      const pruned = await (short as unknown as { pruneHistory(): Promise<number> }).pruneHistory();
      expect(pruned).toBe(3); // two deltas and one snapshot
      await expect(documents.getChangesAt('doc', { version: 1 })).rejects.toThrow(HistoryUnavailableError);
      expect((await documents.getChangesAt('doc', { version: 4 })).snapshot?.data).toEqual(new Uint8Array([2]));
    } finally {
      await short.close();
    }
  });

  it("the module's prune timer empties the history tables once their rows are past historyRetentionMs", async () => {
    const timed = uniqueName('timer');
    const app = await startNestApp(
      StorageModule.forRoot({
        driver: 'postgres',
        clientUrl: database.url,
        schema: timed,
        historyRetentionMs: 200,
        awarenessPruneIntervalMs: 50,
      }),
    );
    try {
      const documents = app.get<DocumentStore>(DOCUMENT_STORE);
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2 });
      await documents.compactDeltas('doc', { a: 2 });
      await documents.saveSnapshot('doc', new Uint8Array([2]), { a: 2 });
      const kept = async (): Promise<number> => {
        const [row] = await database.query<{ count: string }>(
          `select (select count(*) from "${timed}".sync_history_deltas) + (select count(*) from "${timed}".sync_history_snapshots) as count`,
        );
        return Number(row!.count);
      };
      expect(await kept()).toBe(3);
      await eventually(async () => (await kept()) === 0, 'the timer pruned the history');
    } finally {
      await app.close();
    }
  });

  it('delete moves what the document held into the history tables; erase of it, deleted and created again, leaves no row naming it', async () => {
    await writeHistory('reborn-doc-9c1e');
    await provider.documents.addDelta('reborn-doc-9c1e', makeDelta('live-9c1e', 'b', 1));
    expect(await provider.documents.delete('reborn-doc-9c1e')).toBe(true);
    const kept = await database.query<{ ended: boolean; count: string }>(
      `select ended_by > 0 as ended, count(*) from "${schema}".sync_history_deltas where document_id = $1 group by 1`,
      ['reborn-doc-9c1e'],
    );
    // 150 compacted deltas and the one the document still held, all stamped with the deletion.
    expect(kept).toEqual([{ ended: true, count: '151' }]);
    await writeHistory('reborn-doc-9c1e');
    expect((await rowsNaming('reborn-doc-9c1e'))['sync_history_deltas']).toBe(301);
    expect(await provider.documents.erase('reborn-doc-9c1e')).toBe(true);
    const after = await rowsNaming('reborn-doc-9c1e');
    expect(Object.entries(after).filter(([, count]) => count > 0)).toEqual([]);
  });

  it('lists the current version as before once the change-log pruning removed its row, and reads it by time', async () => {
    const pruned = uniqueName('logpruned');
    const own = await database.createProvider({ schema: pruned, historyRetentionMs: 60_000 });
    try {
      const { documents } = own;
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await documents.addDeltas('doc', [makeDelta('b1', 'b', 1), makeDelta('c1', 'c', 1)]);
      await documents.addDelta('idle', makeDelta('a1', 'a', 1));
      await documents.saveSnapshot('idle', new Uint8Array([7]), { a: 1 });
      const before = {
        doc: (await documents.getVersions('doc')).versions.at(-1),
        idle: (await documents.getVersions('idle')).versions.at(-1),
      };
      // Two days old: past both the change log's hour and the history retention.
      await database.query(`update "${pruned}".sync_changes set committed_at = committed_at - interval '2 days'`);
      expect(await (own as unknown as { pruneChangeLog(): Promise<number> }).pruneChangeLog()).toBe(4);
      const shifted = (version: typeof before.doc) => ({
        ...version,
        at: new Date(version!.at.getTime() - 2 * 86_400_000),
      });
      expect((await documents.getVersions('doc')).versions).toEqual([shifted(before.doc)]);
      expect((await documents.getVersions('idle')).versions).toEqual([shifted(before.idle)]);
      expect(before.doc).toMatchObject({ version: 2, kind: 'deltas', clientIds: ['b', 'c'] });
      expect(before.idle).toMatchObject({ version: 2, kind: 'snapshot', clientIds: [] });
      const now = await documents.getChangesAt('doc', { time: new Date() });
      expect({ version: now.version, ids: now.deltas.map((delta) => delta.id) }).toEqual({
        version: 2,
        ids: ['a1', 'b1', 'c1'],
      });
      // Deleted, the idle document's last version stays readable by number, though its log row is gone.
      expect(await documents.delete('idle')).toBe(true);
      const last = await documents.getChangesAt('idle', { version: 2 });
      expect({ snapshot: last.snapshot && Array.from(last.snapshot.data), version: last.version }).toEqual({
        snapshot: [7],
        version: 2,
      });
      // The next write moves the document on: its own row lists it.
      await documents.addDelta('doc', makeDelta('a2', 'a', 2));
      expect((await documents.getVersions('doc')).versions.map((each) => each.version)).toEqual([3]);
    } finally {
      await own.close();
    }
  });

  it('a fork whose target another instance writes while the fork runs is written whole first, or not at all', async () => {
    const shared = uniqueName('forkrace');
    const forker = await database.createProvider({ schema: shared, historyRetentionMs: 60_000 });
    const other = await database.createProvider({ schema: shared, migrate: false });
    try {
      await forker.documents.addDeltas('source', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      await forker.documents.saveSnapshot('source', new Uint8Array([1]), { a: 1 });
      // After the fork's first statement, the other instance writes to the target (not awaited: it may have to
      // wait for the fork), and is given time to commit if nothing holds it back.
      let racing: Promise<boolean> | undefined;
      databaseOf(forker).statementObserver = async () => {
        if (racing) return;
        racing = other.documents.addDelta('target', makeDelta('z1', 'z', 1));
        await new Promise((resolve) => setTimeout(resolve, 200));
      };
      const fork = await forker.documents.forkDocument('source', { version: 2 }, 'target').then(
        () => 'forked',
        (error: unknown) => error,
      );
      databaseOf(forker).statementObserver = undefined;
      expect(await racing).toBe(true);
      const first = await forker.documents.getChangesAt('target', { version: 1 });
      if (fork === 'forked') {
        // The fork took the target's first versions whole; the other write came after it.
        expect({
          snapshot: first.snapshot && Array.from(first.snapshot.data),
          ids: first.deltas.map((d) => d.id),
        }).toEqual({
          snapshot: [1],
          ids: [],
        });
        expect((await forker.documents.getDeltasSince('target')).map((delta) => delta.id)).toEqual(['a2', 'z1']);
      } else {
        expect(fork).toMatchObject({ name: 'StorageValidationError', argument: 'targetId' });
        expect(first.deltas.map((delta) => delta.id)).toEqual(['z1']);
        expect(first.snapshot).toBeNull();
      }
    } finally {
      databaseOf(forker).statementObserver = undefined;
      await other.close();
      await forker.close();
    }
  });

  it('erase reaches the subscribers of another instance as a deletion, through the erase hint', async () => {
    const shared = uniqueName('erasefeed');
    const eraser = await database.createProvider({ schema: shared });
    const watcher = await database.createProvider({ schema: shared, migrate: false });
    try {
      await eraser.documents.addDelta('doc', makeDelta('a1', 'a', 1));
      const one = recordChanges(watcher, 'doc');
      const all = recordChanges(watcher);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await eraser.documents.addDelta('doc', makeDelta('a2', 'a', 2));
      await one.received(1);
      expect(await eraser.documents.erase('doc')).toBe(true);
      const deleted = { documentId: 'doc', kind: 'deleted', version: 3, source: 'remote' };
      expect((await one.received(2))[1]).toEqual(deleted);
      expect(await all.until((changes) => changes.some((change) => change.kind === 'deleted'))).toContainEqual(deleted);
      one.stop();
      all.stop();
    } finally {
      await watcher.close();
      await eraser.close();
    }
  });

  it('an erase hint that storage does not bear out publishes nothing: the document still has its rows', async () => {
    const shared = uniqueName('forgederase');
    const watcher = await database.createProvider({ schema: shared });
    try {
      await watcher.documents.addDelta('doc', makeDelta('a1', 'a', 1));
      const feed = recordChanges(watcher, 'doc');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const forged = JSON.stringify({ o: '12345', e: [['doc', 2, 2 ** 40]] });
      await database.query('select pg_notify($1, $2)', [`sync_storage:${shared}`, forged]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await watcher.documents.addDelta('doc', makeDelta('a2', 'a', 2));
      expect(await feed.received(1)).toEqual([
        { documentId: 'doc', kind: 'deltas', deltaIds: ['a2'], version: 2, source: 'local' },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(feed.changes).toHaveLength(1);
      feed.stop();
    } finally {
      await watcher.close();
    }
  });
});
