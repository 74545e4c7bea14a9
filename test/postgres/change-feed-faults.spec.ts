import type { StorageChange, StorageProvider, StoredDelta } from '../../src/index.js';
import { recordChanges, type ChangeRecorder } from '../conformance/change-recorder.js';
import { idsOf, makeDelta } from '../conformance/conformance-helpers.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { fixtureScript } from '../support/built-package.js';
import { delayingProxy, type DelayingProxy } from '../support/delaying-proxy.js';
import { exitOf, killRunning, runNode } from '../support/node-process.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { listeningSessions, runSql } from '../support/sql.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  killRunning();
  await database.drop();
});

/** Terminates every session of the database that listens (the subscribing provider's feed connection). */
async function terminateListeners(): Promise<number> {
  const rows = await runSql<{ ended: boolean }>(
    database.url,
    `select pg_terminate_backend(pid) as ended from pg_stat_activity
     where datname = current_database() and query ilike 'listen %' and pid <> pg_backend_pid()`,
  );
  return rows.length;
}

/** Subscribes, and returns once the subscription follows: a marker written by its own provider came through. */
async function following(provider: StorageProvider, documentId?: string): Promise<ChangeRecorder> {
  const recorder = recordChanges(provider, documentId, { keepResync: true });
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  await provider.awareness.set(documentId ?? 'marker-document', marker, 1, 1);
  await recorder.until((changes) => changes.some((change) => change.clientId === marker));
  recorder.changes.length = 0;
  return recorder;
}

const contentChanges = (changes: readonly StorageChange[], documentId: string): StorageChange[] =>
  changes.filter((change) => change.documentId === documentId && change.kind !== 'awareness');

/** Every stored id announced exactly once, in storage order, by contiguous versions, with no resync. */
function expectCompleteFeed(changes: readonly StorageChange[], stored: readonly string[]): void {
  expect(changes.filter((change) => change.kind === 'resync')).toEqual([]);
  expect(changes.flatMap((change) => change.deltaIds ?? [])).toEqual(stored);
  const versions = changes.map((change) => change.version!);
  expect(versions).toEqual(versions.map((_, index) => versions[0]! + index));
}

describe('the change feed when notifications are lost', () => {
  it('delivers every delta id once with contiguous versions while the listening connection is terminated three times', async () => {
    const schema = uniqueName('lost');
    const writerSide = await database.createProvider({ schema });
    const subscriberSide = await database.createProvider({ schema, migrate: false });
    const documentIds = Array.from({ length: 12 }, (_, index) => `doc-${index}`);
    const perDocument = new Map<string, ChangeRecorder>();
    for (const documentId of documentIds) perDocument.set(documentId, await following(subscriberSide, documentId));
    const everything = await following(subscriberSide);
    await eventually(async () => (await listeningSessions(database.url)) === 1, 'the feed listens');

    let terminated = 0;
    const counters = new Map<string, number>();
    const writer = async (writerIndex: number): Promise<void> => {
      // At least 50 calls each, and on until the connection was terminated three times.
      for (let call = 0; call < 50 || terminated < 3; call++) {
        const documentId = documentIds[(writerIndex * 7 + call * 5) % documentIds.length]!;
        const clientId = `w${writerIndex}`;
        const next = (): StoredDelta => {
          const counter = (counters.get(`${documentId}/${clientId}`) ?? 0) + 1;
          counters.set(`${documentId}/${clientId}`, counter);
          return makeDelta(`${clientId}-${documentId}-${counter}`, clientId, counter);
        };
        if (call % 3 === 0) await writerSide.documents.addDeltas(documentId, [next(), next()]);
        else await writerSide.documents.addDelta(documentId, next());
      }
    };
    const terminations = (async () => {
      for (let round = 0; round < 3; round++) {
        await sleep(100);
        expect(await terminateListeners()).toBe(1);
        terminated++;
        await eventually(async () => (await listeningSessions(database.url)) === 1, 'the feed listens again');
      }
    })();
    await Promise.all([...[0, 1, 2, 3].map(writer), terminations]);

    for (const documentId of documentIds) {
      const stored = idsOf(await writerSide.documents.getDeltasSince(documentId));
      const { version } = (await writerSide.documents.get(documentId))!;
      const own = perDocument.get(documentId)!;
      await own.until((changes) => contentChanges(changes, documentId).at(-1)?.version === version, 20_000);
      expectCompleteFeed(contentChanges(own.changes, documentId), stored);
      await everything.until((changes) => contentChanges(changes, documentId).at(-1)?.version === version, 20_000);
      expectCompleteFeed(contentChanges(everything.changes, documentId), stored);
    }
    expect(everything.changes.filter((change) => change.documentId === null)).toEqual([]);
    for (const recorder of [...perDocument.values(), everything]) recorder.stop();
    await subscriberSide.close();
  }, 60_000);

  it('delivers a change whose writer was killed right after its commit, before it could notify anyone', async () => {
    const schema = uniqueName('killed');
    const subscriberSide = await database.createProvider({ schema });
    const own = await following(subscriberSide, 'killed');
    const everything = await following(subscriberSide);
    const writer = runNode(fixtureScript('feed-killed-writer.mjs'), {
      env: { DATABASE_URL: database.url, DATABASE_SCHEMA: schema, FEED_DOCUMENT: 'killed' },
    });
    expect(await exitOf(writer)).toEqual({ code: null, signal: 'SIGKILL' });
    const expected = {
      documentId: 'killed',
      kind: 'deltas',
      deltaIds: ['k1', 'k2', 'k3'],
      version: 1,
      source: 'remote',
    };
    expect(await own.received(1, 10_000)).toEqual([expected]);
    await everything.until((changes) => contentChanges(changes, 'killed').length > 0, 10_000);
    expect(contentChanges(everything.changes, 'killed')).toEqual([expected]);
    own.stop();
    everything.stop();
    await subscriberSide.close();
  }, 60_000);
});

describe('the change feed when what a subscriber missed was compacted away', () => {
  let proxy: DelayingProxy;

  beforeAll(async () => {
    proxy = await delayingProxy(new URL(database.url));
  });

  afterAll(() => proxy.close());

  it('emits a resync naming the document, then contiguous versions again', async () => {
    const schema = uniqueName('compacted');
    const writerSide = await database.createProvider({ schema });
    // Reads the log only when told to (a hint, a reconnect): while its connection is away, it reads nothing.
    const subscriberSide = await database.createProvider({
      schema,
      migrate: false,
      clientUrl: proxy.url,
      changeFeedMaxDelayMs: 600_000,
    });
    const recorder = await following(subscriberSide, 'doc');
    await eventually(async () => (await listeningSessions(database.url)) === 1, 'the feed listens');
    await writerSide.documents.addDelta('doc', makeDelta('d1', 'a', 1));
    await recorder.until((changes) => contentChanges(changes, 'doc').length === 1);

    // The subscriber loses its connection and cannot reconnect for a while; meanwhile d2 is written and compacted.
    proxy.delayNewConnections(3_000);
    expect(await terminateListeners()).toBe(1);
    await writerSide.documents.addDelta('doc', makeDelta('d2', 'a', 2));
    await writerSide.documents.saveSnapshot('doc', new Uint8Array([2]), { a: 2 });
    expect(await writerSide.documents.compactDeltas('doc', { a: 2 })).toBe(2);
    proxy.delayNewConnections(0);

    await recorder.until((changes) => changes.some((change) => change.kind === 'compacted'), 20_000);
    await writerSide.documents.addDelta('doc', makeDelta('d3', 'a', 3));
    const changes = await recorder.until((all) => all.some((change) => change.deltaIds?.includes('d3')), 20_000);
    expect(contentChanges(changes, 'doc')).toEqual([
      { documentId: 'doc', kind: 'deltas', deltaIds: ['d1'], version: 1, source: 'remote' },
      { documentId: 'doc', kind: 'resync', source: 'local' },
      { documentId: 'doc', kind: 'snapshot', version: 3, source: 'remote' },
      { documentId: 'doc', kind: 'compacted', version: 4, source: 'remote' },
      { documentId: 'doc', kind: 'deltas', deltaIds: ['d3'], version: 5, source: 'remote' },
    ]);
    recorder.stop();
    await subscriberSide.close();
  }, 60_000);
});

describe('the change log', () => {
  it('is pruned past its retention (an hour), keeping the recent versions', async () => {
    const schema = uniqueName('pruned');
    const provider = await database.createProvider({ schema });
    for (const documentId of ['old', 'recent'])
      for (let counter = 1; counter <= 3; counter++)
        await provider.documents.addDelta(documentId, makeDelta(`${documentId}-${counter}`, 'a', counter));
    await runSql(
      database.url,
      `update "${schema}".sync_changes set committed_at = now() - interval '61 minutes' where document_id = 'old'`,
    );
    expect(await provider.pruneChangeLog()).toBe(3);
    const left = await runSql<{ document_id: string; version: string }>(
      database.url,
      `select document_id, version from "${schema}".sync_changes order by position`,
    );
    expect(left).toEqual(['1', '2', '3'].map((version) => ({ document_id: 'recent', version })));
    expect((await provider.documents.get('old'))!.version).toBe(3);
  });
});
