import * as Y from 'yjs';
import { HistoryUnavailableError } from '../../src/index.js';
import { loadYDocAt, restoreYDocTo, restoreYDocUpdate } from '../../src/yjs/index.js';
import { eventually } from '../fixtures/eventually.js';
import { joinSynced, startServer, storedTextOf, type TestClient, type TestServer } from './support/hocuspocus.js';
import { postgresStorages } from './support/shared-postgres-storage.js';
import { sharedMemoryStorage, type SharedStorage, type SharedStorageFactory } from './support/shared-storage.js';
import { content, LIST, MAP, TEXT } from './support/yjs-content.js';

const postgres = postgresStorages();
afterAll(() => postgres.dispose());

const RETAINED = { historyRetentionMs: 60 * 60 * 1000 };

describe('restoreYDocUpdate with real Yjs', () => {
  it('makes a document that moved on show an old state again, text, map and list, as a mergeable update', () => {
    const current = new Y.Doc();
    current.getText(TEXT).insert(0, 'hello world');
    current.getMap(MAP).set('title', 'first');
    current.getArray(LIST).push([1, 2]);
    const old = new Y.Doc();
    Y.applyUpdate(old, Y.encodeStateAsUpdate(current));
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(current));
    current.getText(TEXT).delete(0, 6);
    current.getText(TEXT).insert(0, 'goodbye ');
    current.getMap(MAP).set('title', 'second');
    current.getMap(MAP).set('extra', true);
    current.getArray(LIST).delete(0, 1);
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(current));
    expect(content(current)).not.toEqual(content(old));

    const update = restoreYDocUpdate(current, old);
    Y.applyUpdate(current, update);
    Y.applyUpdate(replica, update);
    expect(content(current)).toEqual(content(old));
    expect(content(replica)).toEqual(content(old));
  });
});

describe.each([
  ['memory', sharedMemoryStorage],
  ['postgres', postgres.create],
] as [string, SharedStorageFactory][])('Yjs history on the %s driver', (_driver, createStorage) => {
  let storage: SharedStorage;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    storage = await createStorage(RETAINED);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(() => storage.dispose());

  const join = (server: TestServer, documentName: string): Promise<TestClient> =>
    joinSynced(server, documentName, clients);
  const storedText = (documentName: string): Promise<string> => storedTextOf(storage.documents, documentName);

  it('restoring a version through the server makes every connected client and storage show the old content', async () => {
    const server = await startServer('A', await storage.forServer());
    servers.push(server);
    const [alice, bob] = [await join(server, 'restored'), await join(server, 'restored')];
    alice.doc.getText(TEXT).insert(0, 'the draft we liked');
    await eventually(async () => (await storedText('restored')) === 'the draft we liked', 'the draft is stored');
    const liked = (await storage.documents.get('restored'))!.version;
    alice.doc.getText(TEXT).delete(0, 3);
    alice.doc.getText(TEXT).insert(0, 'a');
    await eventually(async () => (await storedText('restored')) === 'a draft we liked', 'the edit is stored');
    bob.doc.getText(TEXT).insert(bob.doc.getText(TEXT).length, ', or not');
    await eventually(async () => (await storedText('restored')) === 'a draft we liked, or not', 'the edits are stored');

    const at = await loadYDocAt(storage.documents, 'restored', { version: liked });
    expect(at.doc.getText(TEXT).toString()).toBe('the draft we liked');
    await restoreYDocTo(storage.documents, 'restored', { version: liked }, server.document('restored')!);

    await eventually(
      () => [alice, bob].every((client) => client.doc.getText(TEXT).toString() === 'the draft we liked'),
      'both clients show the restored text',
    );
    await eventually(async () => (await storedText('restored')) === 'the draft we liked', 'the restore is stored');
    expect((await storage.documents.get('restored'))!.version).toBeGreaterThan(liked);
  });

  it('loadYDocAt rejects a version never written with HistoryUnavailableError', async () => {
    await expect(loadYDocAt(storage.documents, 'never-written', { version: 1 })).rejects.toThrow(
      HistoryUnavailableError,
    );
  });
});
