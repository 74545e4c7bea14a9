import type { StorageProvider } from '../../src/index.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { delayingProxy, type DelayingProxy } from '../support/delaying-proxy.js';
import { listeningSessions, storageSessions } from '../support/sql.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';

let database: TestDatabase;
let proxy: DelayingProxy;
let subscriberSide: StorageProvider;
let writerSide: StorageProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  proxy = await delayingProxy(new URL(database.url));
  const schema = uniqueName('s');
  subscriberSide = await database.createProvider({ schema, clientUrl: proxy.url });
  writerSide = await database.createProvider({ schema });
});

afterAll(async () => {
  proxy?.close();
  await database?.drop();
});

/** One delta written by the other provider, as another app instance on the database would. */
function writeFromAnotherInstance(documentId: string): Promise<boolean> {
  const delta = {
    id: 'd1',
    clientId: 'other-instance',
    timestamp: 1,
    data: new Uint8Array([1]),
    vectorClock: { 'other-instance': 1 },
  };
  return writerSide.documents.addDelta(documentId, delta);
}

describe('the postgres change feed while its first LISTEN connection is still opening', () => {
  it('delivers a write another instance committed meanwhile from the change log, without a resync', async () => {
    // Every new connection of the subscriber's side waits 4 s (its connect timeout is 5 s), its pool's and its
    // listening connection's alike.
    proxy.delayNewConnections(4_000);
    const before = await listeningSessions(database.url);
    const recorder = recordChanges(subscriberSide, 'early', { keepResync: true });
    try {
      // The subscription follows the document once its start is read (its own marker comes after that).
      await subscriberSide.awareness.set('early', 'marker', 1, 1);
      await recorder.until((changes) => changes.some((change) => change.clientId === 'marker'), 20_000);
      expect(await writeFromAnotherInstance('early')).toBe(true);
      await recorder.until((changes) => changes.some((change) => change.kind === 'deltas'), 20_000);
      expect(recorder.changes.filter((change) => change.kind !== 'awareness')).toEqual([
        { documentId: 'early', kind: 'deltas', deltaIds: ['d1'], version: 1, source: 'remote' },
      ]);
      // Delivered by the feed's own reading of the log: no connection listened yet.
      expect(await listeningSessions(database.url)).toBe(before);
    } finally {
      recorder.stop();
      proxy.delayNewConnections(0);
    }
  }, 60_000);

  it('never makes a write of the subscribing provider wait for its listening connection', async () => {
    proxy.delayNewConnections(3_000);
    const before = await listeningSessions(database.url);
    const recorder = recordChanges(subscriberSide, 'own');
    try {
      await subscriberSide.documents.addDelta('own', makeDelta('o1', 'o', 1));
      expect(await listeningSessions(database.url)).toBe(before);
      expect(await recorder.received(1)).toEqual([
        { documentId: 'own', kind: 'deltas', deltaIds: ['o1'], version: 1, source: 'local' },
      ]);
    } finally {
      recorder.stop();
      proxy.delayNewConnections(0);
    }
  });

  it("delivers another instance's write through the same proxy once the connection listens", async () => {
    const recorder = recordChanges(subscriberSide, 'later');
    await eventually(async () => (await listeningSessions(database.url)) > 0, 'the connection listens');
    await writeFromAnotherInstance('later');
    try {
      expect(await recorder.received(1, 5_000)).toEqual([
        { documentId: 'later', kind: 'deltas', deltaIds: ['d1'], version: 1, source: 'remote' },
      ]);
    } finally {
      recorder.stop();
    }
  });
});

describe('an erase right after a subscription whose start is still being read', () => {
  it("delivers the erase's deletion, not a resync: the erase waits for the start read it would otherwise empty", async () => {
    // A database and proxy of its own, so that the sessions counted are this provider's alone.
    const own = await createTestDatabase();
    const ownProxy = await delayingProxy(new URL(own.url));
    try {
      // Idle connections close at once, so the subscription's start read needs a new (held back) connection.
      const provider = await own.createProvider({
        schema: uniqueName('erase'),
        clientUrl: ownProxy.url,
        mikroOrm: { pool: { idleTimeoutMillis: 10 } },
      });
      await provider.documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await provider.documents.addDelta('doc', makeDelta('a2', 'a', 2));
      await eventually(async () => (await storageSessions(own.url)) === 0, 'the pool is empty');
      ownProxy.delayNewConnections(1_000);
      const recorder = recordChanges(provider, 'doc', { keepResync: true });
      try {
        // Once the start read's connection is held at the proxy, the erase's own connection is not.
        await sleep(200);
        ownProxy.delayNewConnections(0);
        expect(await provider.documents.erase('doc')).toBe(true);
        expect(await recorder.received(1, 10_000)).toEqual([
          { documentId: 'doc', kind: 'deleted', version: 3, source: 'local' },
        ]);
      } finally {
        recorder.stop();
      }
    } finally {
      ownProxy.close();
      await own.drop();
    }
  }, 30_000);
});
