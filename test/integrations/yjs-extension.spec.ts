import * as Y from 'yjs';
import { loadYDoc } from '../../src/yjs/index.js';
import { eventually } from '../fixtures/eventually.js';
import { waitForConvergence } from './support/convergence.js';
import {
  clientSettled,
  joinSynced,
  startServer,
  storedTextOf,
  type TestClient,
  type TestServer,
} from './support/hocuspocus.js';
import { sharedStorageDrivers } from './support/shared-postgres-storage.js';
import { type ServerStorage, type SharedStorage } from './support/shared-storage.js';
import { TEXT } from './support/yjs-content.js';

const DRIVERS = sharedStorageDrivers();

describe.each(DRIVERS)('the Yjs storage extension on the %s driver', (_driver, createStorage) => {
  /** One storage and two server storages for the file (providers cost migrations); a test may make its own. */
  let shared: SharedStorage;
  let storageA: ServerStorage;
  let storageB: ServerStorage;
  let storage: SharedStorage;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  const join = (server: TestServer, documentName: string): Promise<TestClient> =>
    joinSynced(server, documentName, clients);
  const storedText = (documentName: string): Promise<string> => storedTextOf(storage.documents, documentName);

  beforeAll(async () => {
    shared = await createStorage();
    [storageA, storageB] = [await shared.forServer(), await shared.forServer()];
  });
  beforeEach(() => {
    storage = shared;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    for (const held of [storageA, storageB]) {
      held.releaseWrites();
      held.releaseFeed();
    }
    if (storage !== shared) await storage.dispose();
  });
  afterAll(() => shared?.dispose());

  it('stores a client update that waited on content from the other server once that content is pulled', async () => {
    const [a, b] = [await startServer('A', storageA), await startServer('B', storageB)];
    servers.push(a, b);
    const onA = await join(a, 'pending');
    await join(b, 'pending');
    await eventually(() => b.extension.idle, "B's pull after the load is done"); // else it may read "aaa" below
    storageB.holdFeed(); // B does not hear of A's delta yet
    onA.doc.getText(TEXT).insert(0, 'aaa');
    await eventually(async () => (await storedText('pending')) === 'aaa', 'A stored "aaa"');
    // An update that depends on "aaa" reaches B first, as from a client that moved from A to B.
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(onA.doc));
    let dependent: Uint8Array | undefined;
    replica.on('update', (update: Uint8Array) => (dependent = update));
    replica.getText(TEXT).insert(3, 'bbb');
    const onB = b.document('pending')!;
    Y.applyUpdate(onB, dependent!, { source: 'local' });
    expect(onB.store.pendingStructs).not.toBeNull();
    expect(onB.getText(TEXT).toString()).toBe('');

    storageB.releaseFeed(); // B pulls "aaa", and the same transaction integrates "bbb"
    await eventually(async () => (await storedText('pending')) === 'aaabbb', 'the store holds "aaabbb"', 5_000);
  });

  it('stores an update larger than maxDeltaBytes inside a snapshot, and the updates after it as deltas', async () => {
    storage = await createStorage({ maxDeltaBytes: 4096 });
    const [a, b] = [
      await startServer('A', await storage.forServer()),
      await startServer('B', await storage.forServer()),
    ];
    servers.push(a, b);
    const [onA, onB] = [await join(a, 'big'), await join(b, 'big')];
    onA.doc.getText(TEXT).insert(0, 'small. ');
    onA.doc.getText(TEXT).insert(0, 'x'.repeat(20_000));
    onA.doc.getText(TEXT).insert(5, 'after the paste');
    onB.doc.getMap('m').set('from', 'B');
    const rebuilt = await waitForConvergence({ clients, servers, documents: storage.documents, documentName: 'big' });
    expect(rebuilt.getText(TEXT).length).toBe(20_000 + 'small. after the paste'.length);
    const { snapshot, deltas } = await storage.documents.getChangesSince('big', null);
    expect(snapshot!.data.byteLength).toBeGreaterThan(20_000);
    expect(deltas.every((delta) => (delta.data as Uint8Array).byteLength < 4096)).toBe(true);
    expect(a.errors).toContainEqual(
      expect.objectContaining({ operation: 'store', name: 'StorageValidationError', replacedBySnapshot: true }),
    );
  });

  it('reloads a document that unloaded with updates not yet stored, shows them, and stores them in counter order', async () => {
    const a = await startServer('A', storageA, { flushTimeoutMs: 50, snapshotOnUnload: false });
    servers.push(a);
    const first = await join(a, 'reload');
    first.doc.getText(TEXT).insert(0, 'stored. ');
    await eventually(async () => (await storedText('reload')) === 'stored. ', 'the first update is stored');
    storageA.holdWrites(); // the database stops answering
    // One message: a connection's next message waits behind its update's commit.
    first.doc.transact(() => {
      first.doc.getText(TEXT).insert(0, 'queued. ');
      first.doc.getMap('m').set('k', 1);
    });
    await eventually(() => a.document('reload')?.getMap('m').get('k') === 1, 'A applied both updates');
    expect(first.provider.unsyncedChanges).toBeGreaterThan(0); // not stored, so not acknowledged
    first.destroy();
    await eventually(() => a.document('reload') === undefined, 'the document unloads with its queue');

    const second = await join(a, 'reload');
    expect(second.doc.getText(TEXT).toString()).toBe('queued. stored. ');
    second.doc.getText(TEXT).insert(0, 'after. ');
    storageA.releaseWrites();
    await waitForConvergence({ clients: [second], servers, documents: storage.documents, documentName: 'reload' });
    const { deltas } = await storage.documents.getChangesSince('reload', null);
    const writer = a.extension.writerId;
    expect(deltas.map((delta) => delta.id)).toEqual([1, 2, 3].map((counter) => `${writer}:${counter}`));
  });

  it.each([
    ['without', false],
    ['with', true],
  ])(
    'stores the edits of a document that unloaded with an idle writer, %s a snapshot, and loaded again on the same server',
    async (_with, snapshotOnUnload) => {
      const documentName = `again-${snapshotOnUnload}`;
      const a = await startServer('A', storageA, { snapshotOnUnload });
      servers.push(a);
      const first = await join(a, documentName);
      first.doc.getText(TEXT).insert(0, 'one. ');
      await eventually(async () => (await storedText(documentName)) === 'one. ', 'the first edit is stored');
      await eventually(() => a.extension.idle, 'the writer is idle');
      first.destroy();
      await eventually(() => a.document(documentName) === undefined, 'the document unloads');

      const second = await join(a, documentName);
      expect(second.doc.getText(TEXT).toString()).toBe('one. ');
      second.doc.getText(TEXT).insert(5, 'two.');
      await eventually(() => clientSettled(second) && a.extension.idle, 'the second edit is applied and stored');
      expect(await storedText(documentName)).toBe('one. two.');
      const { deltas } = await storage.documents.getChangesSince(documentName, null);
      expect(deltas.map((delta) => delta.id)).toContain(`${a.extension.writerId}:2`);
    },
  );

  it('skips and reports a delta that is not a Yjs update, so the document still opens and stores its edits', async () => {
    const json = { id: 'json-1', clientId: 'someone', timestamp: 1, data: { not: 'yjs' }, vectorClock: { someone: 1 } };
    await storage.documents.addDeltas('mixed', [json]);
    const a = await startServer('A', storageA);
    servers.push(a);
    const client = await join(a, 'mixed');
    client.doc.getText(TEXT).insert(0, 'fine');
    const skippingBadDeltas = async (): Promise<string> =>
      (await loadYDoc(storage.documents, 'mixed', { onBadDelta: () => undefined })).doc.getText(TEXT).toString();
    await eventually(async () => (await skippingBadDeltas()) === 'fine', 'the edit is stored');
    expect(a.errors).toContainEqual(
      expect.objectContaining({ operation: 'apply', name: 'TypeError', deltaId: 'json-1' }),
    );
    await expect(loadYDoc(storage.documents, 'mixed')).rejects.toThrow('holds JSON data, not a Yjs update');
  });

  it('reports a document deleted from storage while it is open', async () => {
    const a = await startServer('A', storageA);
    servers.push(a);
    const client = await join(a, 'doomed');
    client.doc.getText(TEXT).insert(0, 'x');
    await eventually(async () => (await storedText('doomed')) === 'x', 'stored');
    expect(await storage.documents.delete('doomed')).toBe(true);
    await eventually(() => a.errors.some((error) => error.operation === 'deleted'), 'the deletion is reported');
  });
});
