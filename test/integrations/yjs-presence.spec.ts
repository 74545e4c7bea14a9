import type { AwarenessStore } from '../../src/index.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { joinSynced, startServer, type TestClient, type TestServer } from './support/hocuspocus.js';
import { sharedStorageDrivers } from './support/shared-postgres-storage.js';
import { type ServerStorage, type SharedStorage } from './support/shared-storage.js';

const DRIVERS = sharedStorageDrivers();

/** The awareness states a client sees of the other clients, by their `user` field. */
const usersSeenBy = ({ provider, doc }: TestClient): string[] =>
  [...provider.awareness!.getStates()]
    .filter(([clientId, state]) => clientId !== doc.clientID && typeof state?.user === 'string')
    .map(([, state]) => state.user as string)
    .sort();

/** A server's storage whose presence rows are counted per client, as the database would see the writes. */
function countingRows(storage: ServerStorage): { storage: ServerStorage; writes: Map<string, number> } {
  const writes = new Map<string, number>();
  const awareness = storage.awareness as AwarenessStore;
  const counted = {
    ...awareness,
    getAll: awareness.getAll.bind(awareness),
    remove: awareness.remove.bind(awareness),
    set: (documentId: string, clientId: string, state: Parameters<AwarenessStore['set']>[2], clock: number) => {
      writes.set(clientId, (writes.get(clientId) ?? 0) + 1);
      return awareness.set(documentId, clientId, state, clock);
    },
  };
  return { storage: { ...storage, awareness: counted }, writes };
}

describe.each(DRIVERS)('presence and messages across Hocuspocus servers on the %s driver', (_driver, createStorage) => {
  let shared: SharedStorage;
  let storageA: ServerStorage;
  let storageB: ServerStorage;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  const join = (server: TestServer, documentName: string): Promise<TestClient> =>
    joinSynced(server, documentName, clients);
  const twoServers = async (): Promise<[TestServer, TestServer]> => {
    const [a, b] = [await startServer('A', storageA), await startServer('B', storageB)];
    servers.push(a, b);
    return [a, b];
  };

  beforeAll(async () => {
    shared = await createStorage();
    [storageA, storageB] = [await shared.forServer(), await shared.forServer()];
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(() => shared?.dispose());

  it('shows each client the presence of the clients on the other server, both ways', async () => {
    const [a, b] = await twoServers();
    const [ann, bob] = [await join(a, 'room'), await join(b, 'room')];
    ann.provider.setAwarenessField('user', 'ann');
    bob.provider.setAwarenessField('user', 'bob');
    await eventually(() => usersSeenBy(ann).includes('bob'), 'ann on A sees bob on B');
    await eventually(() => usersSeenBy(bob).includes('ann'), 'bob on B sees ann on A');
    ann.provider.setAwarenessField('user', 'ann again');
    await eventually(() => usersSeenBy(bob).join() === 'ann again', "bob sees ann's latest state");
  });

  it('removes the presence of a client that disconnects from the clients on the other server', async () => {
    const [a, b] = await twoServers();
    const [ann, bob] = [await join(a, 'leaving'), await join(b, 'leaving')];
    ann.provider.setAwarenessField('user', 'ann');
    await eventually(() => usersSeenBy(bob).includes('ann'), 'bob sees ann');
    ann.destroy();
    await eventually(() => usersSeenBy(bob).length === 0, 'ann is gone for bob');
    expect(await storageA.awareness!.getAll('leaving')).toEqual([]);
  });

  it('shows a client joining on the other server the presence set before it joined', async () => {
    const [a, b] = await twoServers();
    const ann = await join(a, 'joiners');
    ann.provider.setAwarenessField('user', 'ann');
    await eventually(async () => (await storageA.awareness!.getAll('joiners')).length === 1, "ann's row is stored");
    const late = await join(b, 'joiners'); // B loads the document now: it learns of ann from her row
    await eventually(() => usersSeenBy(late).includes('ann'), 'the late joiner on B sees ann without her moving');
  });

  it('writes a client’s presence row at most once per second while the relay carries every move', async () => {
    const counting = countingRows(storageA);
    const a = await startServer('A', counting.storage);
    const b = await startServer('B', storageB);
    servers.push(a, b);
    const [ann, bob] = [await join(a, 'cursor'), await join(b, 'cursor')];
    const startedAt = Date.now();
    for (let move = 1; move <= 60; move++) {
      ann.provider.setAwarenessField('user', `ann@${move}`);
      await sleep(25); // 40 Hz for 1.5 s
    }
    await eventually(() => usersSeenBy(bob).join() === 'ann@60', 'bob sees the last move');
    const seconds = (Date.now() - startedAt) / 1000;
    const rowWrites = counting.writes.get(String(ann.doc.clientID)) ?? 0;
    expect(rowWrites).toBeGreaterThan(0);
    expect(rowWrites).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
  });

  it('delivers a stateless broadcast on one server to the document’s clients on the other', async () => {
    const [a, b] = await twoServers();
    await join(a, 'news');
    const onB = await join(b, 'news');
    const received: string[] = [];
    onB.provider.on('stateless', ({ payload }: { payload: string }) => received.push(payload));
    a.server.hocuspocus.documents.get('news')!.broadcastStateless('from A');
    await eventually(() => received.includes('from A'), 'the client on B receives the message from A');
    expect(received).toEqual(['from A']);
  });

  it('closes a document’s connections on every server when one server closes them', async () => {
    const [a, b] = await twoServers();
    const [onA, onB, other] = [await join(a, 'closing'), await join(b, 'closing'), await join(b, 'untouched')];
    const closed = new Map<TestClient, number>();
    for (const client of [onA, onB, other])
      client.provider.on('close', () => closed.set(client, (closed.get(client) ?? 0) + 1));
    await a.extension.closeConnections('closing');
    await eventually(() => closed.has(onA) && closed.has(onB), 'both clients of the document were closed');
    await sleep(100); // the other document's client would have been closed by now
    expect(closed.has(other)).toBe(false);
  });
});
