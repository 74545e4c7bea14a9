import * as Y from 'yjs';
import { checkYjsSnapshot, encodeIntegratedState, loadYDoc } from '../../src/yjs/index.js';
import { eventually } from '../fixtures/eventually.js';
import { clientSettled, connectClient, startServer, type TestClient, type TestServer } from './support/hocuspocus.js';
import { pendingItemsOverWriter } from './support/hostile-yjs-updates.js';
import { postgresStorages } from './support/shared-postgres-storage.js';
import { sharedMemoryStorage, type SharedStorage, type SharedStorageFactory } from './support/shared-storage.js';
import { TEXT } from './support/yjs-content.js';

const postgres = postgresStorages();
afterAll(() => postgres.dispose());

const DRIVERS: [string, SharedStorageFactory][] = [
  ['memory', sharedMemoryStorage],
  ['postgres', postgres.create],
];

describe.each(DRIVERS)('hostile Yjs updates through Hocuspocus on the %s driver', (_driver, createStorage) => {
  let storage: SharedStorage;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  const join = async (server: TestServer, documentName: string): Promise<TestClient> => {
    const client = connectClient(server.url, documentName);
    clients.push(client);
    await eventually(() => clientSettled(client), 'the client is synced');
    return client;
  };
  const storedText = async (documentName: string): Promise<string> =>
    (await loadYDoc(storage.documents, documentName)).doc.getText(TEXT).toString();

  beforeAll(async () => {
    storage = await createStorage();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(() => storage?.dispose());

  it('keeps the stored content of a document after an update of pending items that reuse its writer ids', async () => {
    const a = await startServer('A', await storage.forServer());
    servers.push(a);
    const honest = await join(a, 'erase');
    honest.doc.getText(TEXT).insert(0, 'hello world');
    await eventually(async () => (await storedText('erase')) === 'hello world', 'the text is stored');
    const attacker = await join(a, 'erase');
    attacker.provider.documentUpdateHandler(pendingItemsOverWriter(honest.doc.clientID, 20), null);
    await eventually(() => a.document('erase')?.store.pendingStructs != null, 'the server holds the items pending');
    expect(a.document('erase')!.getText(TEXT).toString()).toBe('hello world');

    for (const client of clients.splice(0)) client.destroy();
    await eventually(() => a.document('erase') === undefined, 'the document unloads, snapshotted and compacted');
    const { doc, snapshot, deltas } = await loadYDoc(storage.documents, 'erase');
    expect([snapshot, deltas]).toEqual([true, 0]);
    expect(doc.getText(TEXT).toString()).toBe('hello world');
    expect(doc.store.pendingStructs).toBeNull();
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
