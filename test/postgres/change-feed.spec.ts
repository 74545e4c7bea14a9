import pg from 'pg';
import type { StorageChange, StorageProvider } from '../../src/index.js';
import { recordChanges, type ChangeRecorder } from '../conformance/change-recorder.js';
import { idsOf, makeDelta } from '../conformance/conformance-helpers.js';
import { eventually } from '../fixtures/eventually.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { listeningSessions } from '../support/sql.js';

let database: TestDatabase;
let schema: string;
let first: StorageProvider;
let second: StorageProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  schema = uniqueName('feed');
  first = await database.createProvider({ schema });
  second = await database.createProvider({ schema, migrate: false });
});

afterAll(async () => {
  await database.drop();
});

/**
 * Subscribes on `provider` and returns once its listening connection hears: it heard a marker write. The
 * `others` subscribed to the same document hear the marker too; they are waited for and cleared as well.
 */
async function listeningRecorder(
  provider: StorageProvider,
  documentId: string,
  others: ChangeRecorder[] = [],
): Promise<ChangeRecorder> {
  const recorder = recordChanges(provider, documentId);
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  await provider.awareness.set(documentId, marker, 1, 1);
  for (const listener of [recorder, ...others]) {
    await listener.until((changes) => changes.some((change) => change.clientId === marker));
    listener.changes.length = 0;
  }
  return recorder;
}

const announced = (changes: readonly StorageChange[]): string[] => changes.flatMap((change) => change.deltaIds ?? []);

describe('the change feed across instances on one database', () => {
  it("delivers another instance's write with its ids, as remote, and the writer's own as local", async () => {
    const onSecond = await listeningRecorder(second, 'shared');
    const onFirst = await listeningRecorder(first, 'shared', [onSecond]);
    await first.documents.addDeltas('shared', [makeDelta('x1', 'x', 1), makeDelta('x2', 'x', 2)]);
    const expected = { documentId: 'shared', kind: 'deltas', deltaIds: ['x1', 'x2'] };
    expect(await onSecond.received(1)).toEqual([{ ...expected, source: 'remote' }]);
    expect(await onFirst.received(1)).toEqual([{ ...expected, source: 'local' }]);
    onFirst.stop();
    onSecond.stop();
  });

  it('announces nothing for a resend, nor for a transaction that rolls back after writing', async () => {
    await first.documents.addDelta('quiet', makeDelta('q1', 'q', 1));
    const onSecond = await listeningRecorder(second, 'quiet');
    expect(await first.documents.addDelta('quiet', makeDelta('q1', 'q', 1))).toBe(false);
    // A writer that calls the write function, NOTIFY included, and then rolls back.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(
        `select * from "${schema}".sync_add_deltas($1, $2, '{0}', '{rolled}', '{q}', '{2}', '{0}', '[{"q":2}]', '\\x31', '{1}', '{false}', 10000, $3, 'elsewhere')`,
        ['quiet', Date.now(), `sync_storage:${schema}`],
      );
      await other.query('rollback');
    } finally {
      await other.end();
    }
    await first.documents.addDelta('quiet', makeDelta('q3', 'q', 3));
    expect(await onSecond.received(1)).toEqual([
      { documentId: 'quiet', kind: 'deltas', deltaIds: ['q3'], source: 'remote' },
    ]);
    onSecond.stop();
  });

  it('keeps commit order per document while both instances write to it at once', async () => {
    const watcher = await listeningRecorder(second, 'race');
    const writes = Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? first : second).documents.addDelta('race', makeDelta(`r${i}`, `w${i % 5}`, Math.floor(i / 5) + 1)),
    );
    await Promise.all(writes);
    const stored = idsOf(await first.documents.getDeltasSince('race'));
    const changes = await watcher.until((all) => announced(all).length >= stored.length);
    expect(announced(changes)).toEqual(stored);
    expect(new Set(changes.map((change) => change.source))).toEqual(new Set(['local', 'remote']));
    watcher.stop();
  });

  it('leaves the ids out of a change too large for a notification, and still announces it', async () => {
    const watcher = await listeningRecorder(second, 'wide');
    const longIds = Array.from({ length: 60 }, (_, i) => makeDelta(`${'i'.repeat(200)}-${i}`, 'w', i + 1));
    expect(await first.documents.addDeltas('wide', longIds)).toBe(60);
    expect(await watcher.received(1)).toEqual([{ documentId: 'wide', kind: 'deltas', source: 'remote' }]);
    watcher.stop();
  });

  it('opens one listening connection on the first subscription and releases it with the last', async () => {
    const own = await database.createProvider({ schema, migrate: false });
    const before = await listeningSessions(database.url);
    const one = await listeningRecorder(own, 'a');
    const two = recordChanges(own);
    expect(await listeningSessions(database.url)).toBe(before + 1);
    one.stop();
    expect(await listeningSessions(database.url)).toBe(before + 1);
    two.stop();
    await eventually(async () => (await listeningSessions(database.url)) === before, 'the listening connection closes');
    await own.close();
  });

  it('tells a new subscription to catch up once its connection listens: writes of other instances may have been missed', async () => {
    const own = await database.createProvider({ schema, migrate: false });
    const feed = recordChanges(own, 'fresh', { keepResync: true });
    expect(await feed.received(1)).toEqual([{ documentId: 'fresh', kind: 'resync', source: 'local' }]);
    // Later subscribers join a connection that already listens: nothing was missed, no resync.
    const later = recordChanges(own, 'fresh', { keepResync: true });
    await own.documents.addDelta('fresh', makeDelta('f1', 'f', 1));
    expect(await later.received(1)).toEqual([
      { documentId: 'fresh', kind: 'deltas', deltaIds: ['f1'], source: 'local' },
    ]);
    feed.stop();
    later.stop();
    await own.close();
  });
});
