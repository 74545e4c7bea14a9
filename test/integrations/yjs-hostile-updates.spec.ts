import * as Y from 'yjs';
import {
  checkYjsSnapshot,
  countYjsStructs,
  encodeIntegratedState,
  loadYDoc,
  snapshotYDoc,
  yjsUpdateToDelta,
} from '../../src/yjs/index.js';
import { eventually } from '../fixtures/eventually.js';
import {
  clientSettled,
  connectClient,
  joinSynced,
  startServer,
  storedTextOf,
  type ExtensionSettings,
  type TestClient,
  type TestServer,
} from './support/hocuspocus.js';
import { pendingFiller, pendingItemsOverWriter, structCountBomb } from './support/hostile-yjs-updates.js';
import { sharedStorageDrivers } from './support/shared-postgres-storage.js';
import { type ServerStorage, type SharedStorage } from './support/shared-storage.js';
import { MAP, TEXT } from './support/yjs-content.js';

/**
 * The close events a client's WebSocket sees (code and reason). The client leaves on the first one, as
 * an app should on a refusal: its provider would otherwise reconnect, send the update again and be
 * refused again.
 */
function closesOf(client: TestClient): { code: number; reason: string }[] {
  const closes: { code: number; reason: string }[] = [];
  client.socket.on('close', ({ event }: { event: { code: number; reason: string } }) => {
    closes.push({ code: event.code, reason: event.reason });
    client.destroy();
    // The provider scheduled its reconnect before this listener ran, and connect() ignores destroy().
    client.socket.connect = () => Promise.resolve();
  });
  return closes;
}

/** `storage` with the bytes of every snapshot it saves counted. */
function countingSnapshots(storage: ServerStorage): { storage: ServerStorage; readonly bytes: number } {
  let bytes = 0;
  const { documents } = storage;
  const counted: ServerStorage = {
    ...storage,
    documents: {
      ...documents,
      saveSnapshot: (documentId, data, clock) => {
        bytes += data.byteLength;
        return documents.saveSnapshot(documentId, data, clock);
      },
    },
  };
  return {
    storage: counted,
    get bytes() {
      return bytes;
    },
  };
}

const DRIVERS = sharedStorageDrivers();

describe.each(DRIVERS)('hostile Yjs updates through Hocuspocus on the %s driver', (_driver, createStorage) => {
  let storage: SharedStorage;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  const join = (server: TestServer, documentName: string): Promise<TestClient> =>
    joinSynced(server, documentName, clients);
  const storedText = (documentName: string): Promise<string> => storedTextOf(storage.documents, documentName);

  const serve = async (settings: ExtensionSettings = {}, on?: ServerStorage): Promise<TestServer> => {
    const server = await startServer('A', on ?? (await storage.forServer()), settings);
    servers.push(server);
    return server;
  };
  const refusals = (server: TestServer) => server.errors.filter((error) => error.operation === 'refuse');

  beforeAll(async () => {
    storage = await createStorage();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(() => storage?.dispose());

  it('refuses an update whose header claims more structs than it holds before Yjs reads it, closing with 4422', async () => {
    const a = await serve();
    const honest = await join(a, 'bomb');
    honest.doc.getText(TEXT).insert(0, 'kept');
    const attacker = await join(a, 'bomb');
    const closes = closesOf(attacker);
    attacker.provider.documentUpdateHandler(structCountBomb(), null);
    await eventually(() => closes.length > 0, 'the attacker is closed');
    expect(closes[0]).toEqual({ code: 4422, reason: 'Update Too Complex' });
    expect(refusals(a)).toEqual([
      expect.objectContaining({ name: 'YjsUpdateRefusedError', documentId: 'bomb', operation: 'refuse' }),
    ]);
    honest.doc.getText(TEXT).insert(4, '!');
    await eventually(async () => (await storedText('bomb')) === 'kept!', 'the honest client goes on');
  });

  it('refuses an update of more structs than maxUpdateStructs, and a message over maxUpdateBytes', async () => {
    const a = await serve({ maxUpdateStructs: 50, maxUpdateBytes: 4096 });
    const many = await join(a, 'many');
    const manyCloses = closesOf(many);
    many.doc.transact(() => {
      for (let i = 0; i < 60; i++) many.doc.getArray('a').insert(0, [i]); // one update of 60 structs
    });
    await eventually(() => manyCloses.length > 0, 'closed for its structs');
    expect(manyCloses[0]).toEqual({ code: 4422, reason: 'Update Too Complex' });
    const large = await join(a, 'many');
    const largeCloses = closesOf(large);
    large.doc.getText(TEXT).insert(0, 'x'.repeat(5000));
    await eventually(() => largeCloses.length > 0, 'closed for its size');
    expect(largeCloses[0]).toEqual({ code: 4413, reason: 'Update Too Large' });
    const { doc } = await loadYDoc(storage.documents, 'many');
    expect([doc.getArray('a').length, doc.getText(TEXT).length]).toEqual([0, 0]);
  });

  it('drops pending structs past maxPendingBytes and closes the connection that sent them with 4429', async () => {
    const a = await serve({ maxPendingBytes: 4096 });
    const honest = await join(a, 'flood');
    const attacker = await join(a, 'flood');
    const closes = closesOf(attacker);
    for (let n = 0; n < 40 && closes.length === 0; n++) {
      attacker.provider.documentUpdateHandler(pendingFiller(n), null);
      await eventually(() => clientSettled(attacker) || closes.length > 0, 'the filler is applied');
    }
    expect(closes[0]).toEqual({ code: 4429, reason: 'Too Many Pending Updates' });
    expect(a.document('flood')!.store.pendingStructs).toBeNull();
    honest.doc.getText(TEXT).insert(0, 'still stored');
    await eventually(async () => (await storedText('flood')) === 'still stored', 'the honest edit is stored');
  });

  it('refuses an update that would take a document past maxDocumentBytes before it is applied or broadcast', async () => {
    const a = await serve({ maxDocumentBytes: 32 * 1024, maxUpdateBytes: 64 * 1024 });
    const writer = await join(a, 'full');
    const reader = await join(a, 'full');
    writer.doc.getText(TEXT).insert(0, 'a'.repeat(20_000));
    await eventually(async () => (await storedText('full')).length === 20_000, 'the first paste is stored');
    const closes = closesOf(writer);
    writer.doc.getText(TEXT).insert(0, 'b'.repeat(20_000));
    await eventually(() => closes.length > 0, 'the writer is closed');
    expect(closes[0]).toEqual({ code: 4507, reason: 'Document Too Large' });
    expect(a.document('full')!.getText(TEXT).length).toBe(20_000);
    expect(reader.doc.getText(TEXT).toString()).not.toContain('b');
    expect(a.extension.idle).toBe(true);
    expect(await storedText('full')).toBe('a'.repeat(20_000)); // nothing of the refused update is stored
    reader.doc.getText(TEXT).insert(0, 'small. ');
    await eventually(async () => (await storedText('full')).startsWith('small. a'), 'a small edit still fits');
    expect((await storedText('full')).length).toBe(20_007);
  });

  it('refuses with 4503, never acknowledging it, an edit its writer can never store, and stores edits again after a reload', async () => {
    const tight = await createStorage({ maxDeltaBytes: 4096, maxSnapshotBytes: 8192 });
    try {
      const a = await serve({}, await tight.forServer());
      const reader = await join(a, 'stuck');
      const client = connectClient(a.url, 'stuck');
      clients.push(client);
      await eventually(() => clientSettled(client), 'synced');
      const closes = closesOf(client);
      client.doc.getText(TEXT).insert(0, 'x'.repeat(20_000)); // too large for a delta, and for a snapshot
      await eventually(() => closes.length > 0, 'the client is told');
      expect(closes[0]).toEqual({ code: 4503, reason: 'Document Not Stored' });
      expect(client.provider.unsyncedChanges).toBeGreaterThan(0); // never acknowledged
      expect(a.extension.documentsNotStored).toEqual(['stuck']);
      expect(a.errors).toContainEqual(
        expect.objectContaining({ operation: 'store', fatal: true, documentId: 'stuck' }),
      );
      expect(a.extension.idle).toBe(false);
      const readerCloses = closesOf(reader);
      reader.doc.getText(TEXT).insert(0, 'later');
      await eventually(() => readerCloses.length > 0, 'the reader is told too');
      expect(readerCloses[0]).toEqual({ code: 4503, reason: 'Document Not Stored' });
      client.destroy();
      reader.destroy();
      await eventually(() => a.document('stuck') === undefined, 'the document unloads');
      const again = await join(a, 'stuck'); // loaded again: a new writer, from what is stored
      expect(again.doc.getText(TEXT).length).toBe(0);
      again.doc.getText(TEXT).insert(0, 'fresh');
      const stored = async () => (await loadYDoc(tight.documents, 'stuck')).doc.getText(TEXT).toString();
      await eventually(async () => (await stored()) === 'fresh', 'the new edit is stored');
      expect(a.extension.documentsNotStored).toEqual([]);
    } finally {
      for (const client of clients.splice(0)) client.destroy();
      await Promise.all(servers.splice(0).map((server) => server.stop()));
      await tight.dispose();
    }
  });

  it('takes no snapshot while the document holds pending structs from a stored delta, so compaction cannot delete them', async () => {
    const a = await serve({ snapshotEveryDeltas: 1, snapshotEveryBytes: 0 });
    const early = new Y.Doc();
    early.getText(TEXT).insert(0, 'early ');
    const first = Y.encodeStateAsUpdate(early);
    const vector = Y.encodeStateVector(early);
    early.getText(TEXT).insert(6, 'late');
    const second = Y.diffUpdate(Y.encodeStateAsUpdate(early), vector); // depends on `first`
    const outOfOrder = await join(a, 'pending');
    outOfOrder.provider.documentUpdateHandler(second, null); // arrives before what it depends on
    await eventually(() => clientSettled(outOfOrder), 'acknowledged, so stored');
    expect(a.document('pending')!.store.pendingStructs).not.toBeNull();
    const other = await join(a, 'pending');
    for (const word of ['x', 'y', 'z']) {
      other.doc.getMap(MAP).set(word, true); // each stored delta makes a snapshot due
      await eventually(() => clientSettled(other) && a.extension.idle, 'stored');
    }
    const { doc } = await loadYDoc(storage.documents, 'pending');
    Y.applyUpdate(doc, first);
    expect(doc.getText(TEXT).toString()).toBe('early late'); // the pending delta is still in storage
    expect(Object.keys(doc.getMap(MAP).toJSON()).sort()).toEqual(['x', 'y', 'z']);
    outOfOrder.provider.documentUpdateHandler(first, null);
    await eventually(async () => (await storedText('pending')) === 'early late', 'integrated and stored');
  });

  it('writes snapshots of at most three times the bytes clients send, however large each update', async () => {
    const counting = countingSnapshots(await storage.forServer());
    const a = await serve({ snapshotEveryBytes: 16 * 1024, maxUpdateBytes: 64 * 1024 }, counting.storage);
    const client = await join(a, 'storm');
    let sent = 0;
    client.doc.on('update', (update: Uint8Array) => (sent += update.byteLength));
    for (let i = 0; i < 13; i++) {
      client.doc.getText(TEXT).insert(0, String.fromCharCode(97 + i).repeat(20_000));
      await eventually(() => clientSettled(client) && a.extension.idle, 'stored');
    }
    expect(counting.bytes).toBeGreaterThan(0);
    expect(counting.bytes).toBeLessThanOrEqual(3 * sent);
    expect((await storedText('storm')).length).toBe(13 * 20_000);
  });

  it('drops pending items that reuse a writer ids, closing with 4409, so that no client or snapshot loses content', async () => {
    const a = await serve();
    const honest = await join(a, 'erase');
    honest.doc.getText(TEXT).insert(0, 'hello world');
    await eventually(async () => (await storedText('erase')) === 'hello world', 'the text is stored');
    const attacker = await join(a, 'erase');
    const closes = closesOf(attacker);
    attacker.provider.documentUpdateHandler(pendingItemsOverWriter(honest.doc.clientID, 20), null);
    await eventually(() => closes.length > 0, 'the attacker is closed');
    expect(closes[0]).toEqual({ code: 4409, reason: 'Update Reuses Ids' });
    expect(a.document('erase')!.store.pendingStructs).toBeNull();

    const late = await join(a, 'erase'); // Hocuspocus sends it Y.encodeStateAsUpdate of the document
    expect(late.doc.getText(TEXT).toString()).toBe('hello world');
    for (const client of clients.splice(0)) client.destroy();
    await eventually(() => a.document('erase') === undefined, 'the document unloads, snapshotted and compacted');
    const { doc, snapshot, deltas } = await loadYDoc(storage.documents, 'erase');
    expect([snapshot, deltas]).toEqual([true, 0]);
    expect(doc.getText(TEXT).toString()).toBe('hello world');
  });

  it('snapshots a document holding pending items that reuse a writer ids without losing that writer content', async () => {
    const writer = new Y.Doc();
    writer.getText(TEXT).insert(0, 'hello world');
    const { doc, clock } = await loadYDoc(storage.documents, 'pending-snapshot');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer));
    clock['w'] = 1;
    await storage.documents.addDeltas('pending-snapshot', [yjsUpdateToDelta('w', 1, Y.encodeStateAsUpdate(writer))]);
    Y.applyUpdate(doc, pendingItemsOverWriter(writer.clientID, 20));
    expect(doc.store.pendingStructs).not.toBeNull();

    const stored = await snapshotYDoc(storage.documents, 'pending-snapshot', doc, clock);
    expect(stored.compacted).toBe(1);
    const reloaded = await loadYDoc(storage.documents, 'pending-snapshot');
    expect([reloaded.snapshot, reloaded.deltas]).toEqual([true, 0]);
    expect(reloaded.doc.getText(TEXT).toString()).toBe('hello world');
  });
});

describe('the snapshot check', () => {
  it('refuses an encoding that, reloaded, lacks what the live document holds, naming what differs', () => {
    const writer = new Y.Doc();
    writer.getText(TEXT).insert(0, 'hello world');
    const live = new Y.Doc();
    Y.applyUpdate(live, Y.encodeStateAsUpdate(writer));
    Y.applyUpdate(live, pendingItemsOverWriter(writer.clientID, 20));
    expect(() => checkYjsSnapshot('doc', live, Y.encodeStateAsUpdate(live))).toThrow(
      expect.objectContaining({ name: 'YjsSnapshotMismatchError', documentId: 'doc', differs: 'pending structs' }),
    );
    const withoutPending = encodeIntegratedState(live);
    expect(() => checkYjsSnapshot('doc', live, withoutPending)).not.toThrow();
    expect(live.store.pendingStructs).not.toBeNull(); // put back: it may still integrate
  });

  it('refuses an encoding whose content differs though every id is there', () => {
    const live = new Y.Doc();
    live.getMap('m').set('k', 'v');
    const other = new Y.Doc();
    other.clientID = live.clientID;
    other.getMap('n').set('k', 'v'); // the same id under another name
    expect(() => checkYjsSnapshot('doc', live, Y.encodeStateAsUpdate(other))).toThrow(
      expect.objectContaining({ name: 'YjsSnapshotMismatchError', differs: 'content' }),
    );
  });
});

describe('counting the structs of an update before Yjs applies it', () => {
  it('counts every struct, stops past the bound, and tells a header that claims more than the bytes hold', () => {
    const doc = new Y.Doc();
    doc.transact(() => {
      for (let i = 0; i < 60; i++) doc.getArray('a').insert(0, [i]);
    });
    const update = Y.encodeStateAsUpdate(doc);
    expect(countYjsStructs(update, 100)).toBe(60);
    expect(countYjsStructs(update, 59)).toBe('too many');
    expect(countYjsStructs(structCountBomb(), 100_000)).toBe('malformed');
    expect(countYjsStructs(update.subarray(0, update.byteLength - 20), 100)).toBe('malformed');
  });
});
