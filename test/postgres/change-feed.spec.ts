import pg from 'pg';
import type { StorageChange, StorageProvider } from '../../src/index.js';
import { recordChanges, type ChangeRecorder } from '../conformance/change-recorder.js';
import { idsOf, makeDelta } from '../conformance/conformance-helpers.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { runSql } from '../support/sql.js';

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
 * Subscribes on `provider` and returns once its feed follows the document: it delivered a marker written
 * after the subscription began. The `others` subscribed to the same document hear the marker too; they are
 * waited for and cleared as well.
 */
async function listeningRecorder(
  provider: StorageProvider,
  documentId: string,
  others: ChangeRecorder[] = [],
): Promise<ChangeRecorder> {
  const recorder = recordChanges(provider, documentId);
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  const heard = (changes: readonly StorageChange[]): boolean => changes.some((change) => change.clientId === marker);
  // Awareness reaches other instances by notification only: sent again until every listener heard it.
  let arrived = false;
  const all = Promise.all([recorder, ...others].map((listener) => listener.until(heard))).then(() => (arrived = true));
  for (let clock = 1; !arrived; clock++) {
    await provider.awareness.set(documentId, marker, 1, clock);
    await Promise.race([all, sleep(200)]);
  }
  for (const listener of [recorder, ...others]) listener.changes.length = 0;
  return recorder;
}

/** The server pids of the sessions that run LISTEN on this database. */
async function listeningPids(): Promise<number[]> {
  const rows = await runSql<{ pid: number }>(
    database.url,
    `select pid from pg_stat_activity where datname = current_database() and query ilike 'listen %' order by pid`,
  );
  return rows.map((row) => row.pid);
}

const announced = (changes: readonly StorageChange[]): string[] => changes.flatMap((change) => change.deltaIds ?? []);

describe('the change feed across instances on one database', () => {
  it('notifies nothing inside a content write: no write function holds the notification lock across its commit', async () => {
    const notifying = await runSql<{ proname: string }>(
      database.url,
      `select p.proname from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
       where n.nspname = $1 and p.prosrc ilike '%pg_notify%' order by p.proname`,
      [schema],
    );
    // The awareness function notifies only when given a channel, and the driver passes none.
    expect(notifying.map((row) => row.proname)).toEqual(['sync_set_awareness']);
  });

  it("delivers another instance's write with its ids and version, as remote, and the writer's own as local", async () => {
    const onSecond = await listeningRecorder(second, 'shared');
    const onFirst = await listeningRecorder(first, 'shared', [onSecond]);
    await first.documents.addDeltas('shared', [makeDelta('x1', 'x', 1), makeDelta('x2', 'x', 2)]);
    const expected = { documentId: 'shared', kind: 'deltas', deltaIds: ['x1', 'x2'], version: 1 };
    expect(await onSecond.received(1)).toEqual([{ ...expected, source: 'remote' }]);
    expect(await onFirst.received(1)).toEqual([{ ...expected, source: 'local' }]);
    onFirst.stop();
    onSecond.stop();
  });

  it('announces nothing for a resend, nor for a transaction that rolls back after writing', async () => {
    await first.documents.addDelta('quiet', makeDelta('q1', 'q', 1));
    const onSecond = await listeningRecorder(second, 'quiet');
    expect(await first.documents.addDelta('quiet', makeDelta('q1', 'q', 1))).toBe(false);
    // A writer that calls the write function (which takes a version and a log position) and then rolls back.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(
        `select * from "${schema}".sync_add_deltas($1, $2, '{0}', '{rolled}', '{q}', '{2}', '{0}', '[{"q":2}]', '\\x31', '{1}', '{false}', 10000, 0)`,
        ['quiet', Date.now()],
      );
      await other.query(`select pg_notify($1, $2)`, [`sync_storage:${schema}`, '{"o":"elsewhere","d":["quiet"]}']);
      await other.query('rollback');
    } finally {
      await other.end();
    }
    await first.documents.addDelta('quiet', makeDelta('q3', 'q', 3));
    expect(await onSecond.received(1)).toEqual([
      { documentId: 'quiet', kind: 'deltas', deltaIds: ['q3'], version: 2, source: 'remote' },
    ]);
    onSecond.stop();
  });

  it('keeps version order per document while both instances write to it at once', async () => {
    const watcher = await listeningRecorder(second, 'race');
    const writes = Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? first : second).documents.addDelta('race', makeDelta(`r${i}`, `w${i % 5}`, Math.floor(i / 5) + 1)),
    );
    await Promise.all(writes);
    const stored = idsOf(await first.documents.getDeltasSince('race'));
    const changes = await watcher.until((all) => announced(all).length >= stored.length);
    expect(announced(changes)).toEqual(stored);
    const versions = changes.map((change) => change.version!);
    expect(versions).toEqual(versions.map((_, i) => versions[0]! + i));
    expect(new Set(changes.map((change) => change.source))).toEqual(new Set(['local', 'remote']));
    watcher.stop();
  });

  it('an all-documents subscription opened right after the last one closed hears every change', async () => {
    const marked = async (recorder: ChangeRecorder, marker: string): Promise<void> => {
      await second.awareness.set('churned', marker, 1, 1);
      await recorder.until((changes) => changes.some((change) => change.clientId === marker));
    };
    const before = recordChanges(second);
    await marked(before, 'before');
    before.stop();
    const after = recordChanges(second);
    await marked(after, 'after');
    await first.documents.addDelta('churned', makeDelta('c1', 'c', 1));
    const changes = await after.until((all) => all.some((change) => change.deltaIds?.includes('c1')));
    expect(changes.filter((change) => change.kind === 'deltas')).toEqual([
      { documentId: 'churned', kind: 'deltas', deltaIds: ['c1'], version: 1, source: 'remote' },
    ]);
    after.stop();
  });

  it('announces a batch too large for one notification with all its ids', async () => {
    const watcher = await listeningRecorder(second, 'wide');
    const longIds = Array.from({ length: 60 }, (_, i) => makeDelta(`${'i'.repeat(200)}-${i}`, 'w', i + 1));
    expect(await first.documents.addDeltas('wide', longIds)).toBe(60);
    expect(await watcher.received(1)).toEqual([
      { documentId: 'wide', kind: 'deltas', deltaIds: idsOf(longIds), version: 1, source: 'remote' },
    ]);
    watcher.stop();
  });

  it('keeps one listening connection while subscriptions come and go, and closes it with the provider', async () => {
    const own = await database.createProvider({ schema, migrate: false });
    const before = await listeningPids();
    const one = await listeningRecorder(own, 'a');
    await eventually(async () => (await listeningPids()).length === before.length + 1, 'the connection listens');
    const opened = (await listeningPids()).filter((pid) => !before.includes(pid));
    one.stop();
    // Subscriptions opened and dropped again and again (SSE clients) reuse the same session.
    for (let i = 0; i < 20; i++) recordChanges(own, `churn-${i}`).stop();
    const again = await listeningRecorder(own, 'a');
    expect((await listeningPids()).filter((pid) => !before.includes(pid))).toEqual(opened);
    again.stop();
    await own.close();
    await eventually(async () => (await listeningPids()).length === before.length, 'the connection closes');
  });

  it('delivers the changes of another instance committed after a subscription began, and never an anonymous resync', async () => {
    const own = await database.createProvider({ schema, migrate: false });
    const document = recordChanges(own, 'fresh', { keepResync: true });
    const everything = recordChanges(own, undefined, { keepResync: true });
    await own.awareness.set('fresh', 'marker', 1, 1);
    await document.until((changes) => changes.some((change) => change.clientId === 'marker'));
    await everything.until((changes) => changes.some((change) => change.clientId === 'marker'));
    await first.documents.addDelta('fresh', makeDelta('f1', 'f', 1));
    const expected = { documentId: 'fresh', kind: 'deltas', deltaIds: ['f1'], version: 1, source: 'remote' };
    expect((await document.received(2)).slice(1)).toEqual([expected]);
    await everything.until((changes) => changes.some((change) => change.deltaIds?.includes('f1')));
    expect(everything.changes.filter((change) => change.documentId === 'fresh').slice(1)).toEqual([expected]);
    expect([...document.changes, ...everything.changes].filter((change) => change.kind === 'resync')).toEqual([]);
    document.stop();
    everything.stop();
    await own.close();
  });
});

describe('a subscription resuming after a version, across instances', () => {
  const remote = (documentId: string, version: number, deltaIds: string[]): StorageChange => ({
    documentId,
    kind: 'deltas',
    deltaIds,
    version,
    source: 'remote',
  });

  it('hears a write of another instance committed between reading the version and subscribing', async () => {
    const { version } = await second.documents.getOrCreate('raced');
    // The write the start race used to lose: committed before the subscription exists, after the read.
    await first.documents.addDelta('raced', makeDelta('r1', 'r', 1));
    const feed = recordChanges(second, 'raced', { keepResync: true, afterVersion: version });
    await first.documents.addDelta('raced', makeDelta('r2', 'r', 2));
    expect(await feed.received(2)).toEqual([remote('raced', 1, ['r1']), remote('raced', 2, ['r2'])]);
    feed.stop();
  });

  it('replays every version after the one given from the log, then goes on live, each once', async () => {
    for (let counter = 1; counter <= 4; counter++)
      await first.documents.addDelta('replayed', makeDelta(`p${counter}`, 'p', counter));
    const plain = await listeningRecorder(second, 'replayed');
    const feed = recordChanges(second, 'replayed', { keepResync: true, afterVersion: 1 });
    await first.documents.addDelta('replayed', makeDelta('p5', 'p', 5));
    expect(await feed.received(4)).toEqual([2, 3, 4, 5].map((v) => remote('replayed', v, [`p${v}`])));
    // A subscriber already following the document is not handed the replay again.
    expect(await plain.received(1)).toEqual([remote('replayed', 5, ['p5'])]);
    await sleep(100);
    expect(feed.changes).toHaveLength(4);
    plain.stop();
    feed.stop();
  });

  it('answers one resync naming the document when versions after the one given were compacted away', async () => {
    for (let counter = 1; counter <= 3; counter++)
      await first.documents.addDelta('compacted', makeDelta(`c${counter}`, 'c', counter));
    await first.documents.saveSnapshot('compacted', new Uint8Array([1]), { c: 3 });
    await first.documents.compactDeltas('compacted', { c: 3 });
    const feed = recordChanges(second, 'compacted', { keepResync: true, afterVersion: 1 });
    await first.documents.addDelta('compacted', makeDelta('c4', 'c', 4));
    expect(await feed.received(2)).toEqual([
      { documentId: 'compacted', kind: 'resync', source: 'local' },
      remote('compacted', 6, ['c4']),
    ]);
    feed.stop();
  });

  it('resumes a document an all-documents subscription follows without losing its rows for that subscription', async () => {
    const own = await database.createProvider({ schema, migrate: false });
    await first.documents.addDelta('both', makeDelta('b1', 'b', 1));
    await first.documents.addDelta('both', makeDelta('b2', 'b', 2));
    const everything = recordChanges(own, undefined, { keepResync: true });
    await own.awareness.set('elsewhere', 'marker', 1, 1);
    await everything.until((changes) => changes.some((change) => change.clientId === 'marker'));
    await first.documents.addDelta('both', makeDelta('b3', 'b', 3));
    const feed = recordChanges(own, 'both', { keepResync: true, afterVersion: 1 });
    await first.documents.addDelta('both', makeDelta('b4', 'b', 4));
    expect(await feed.received(3)).toEqual([2, 3, 4].map((v) => remote('both', v, [`b${v}`])));
    const ofBoth = await everything.until((changes) => changes.filter((c) => c.documentId === 'both').length >= 2);
    expect(ofBoth.filter((change) => change.documentId === 'both')).toEqual(
      [3, 4].map((v) => remote('both', v, [`b${v}`])),
    );
    feed.stop();
    everything.stop();
    await own.close();
  });
});
