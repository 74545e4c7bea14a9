// Two Hocuspocus servers on one storage, no Redis: a client on each types, and each sees the other's
// text. With PostgreSQL each server has a provider of its own, as two processes would; the memory
// driver lives in one process, so there both servers share its one provider.
//   npm run example:yjs                      (memory)
//   DATABASE_URL=postgresql://... npm run example:yjs
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { Server } from '@hocuspocus/server';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { YjsStorageExtension, loadYDoc } from 'nest-sync-storage/yjs';
import { openStorage, storageOptions } from './storage-context.js';

const first = await openStorage();
const second = storageOptions.driver === 'postgres' ? await openStorage() : first;

async function startServer(name: string, storage: typeof first): Promise<Server> {
  const extension = new YjsStorageExtension({ storage, snapshotEveryDeltas: 20 });
  // stopOnSignals: false leaves SIGTERM to the host (a Nest app closes itself on it).
  const server = new Server({ name, port: 0, quiet: true, stopOnSignals: false, extensions: [extension] });
  await server.listen();
  return server;
}

function connect(server: Server): { doc: Y.Doc; leave(): void } {
  const doc = new Y.Doc();
  // Node 20 has no global WebSocket: hand the provider the `ws` package.
  const socket = new HocuspocusProviderWebsocket({
    url: `ws://127.0.0.1:${server.address.port}`,
    WebSocketPolyfill: WebSocket,
  });
  const provider = new HocuspocusProvider({ websocketProvider: socket, name: 'notes', document: doc });
  provider.attach();
  return { doc, leave: () => (provider.destroy(), socket.destroy()) };
}

const [a, b] = [await startServer('A', first), await startServer('B', second)];
const alice = connect(a);
const bob = connect(b);
for (const letter of 'Hello from A. ') alice.doc.getText('t').insert(alice.doc.getText('t').length, letter);
bob.doc.getMap('meta').set('title', 'Shared notes');
bob.doc.getText('t').insert(0, 'Hi from B! ');

const expected = 'Hello from A. '.length + 'Hi from B! '.length;
const deadline = Date.now() + 10_000;
const text = (client: typeof alice): string => client.doc.getText('t').toString();
while (text(alice) !== text(bob) || text(alice).length < expected || !alice.doc.getMap('meta').has('title')) {
  if (Date.now() > deadline) throw new Error('the two servers did not converge within 10 s');
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log(`driver: ${storageOptions.driver}`);
console.log(`alice (on A) sees: ${JSON.stringify(text(alice))}`, alice.doc.getMap('meta').toJSON());
console.log(`bob   (on B) sees: ${JSON.stringify(text(bob))}`, bob.doc.getMap('meta').toJSON());

alice.leave();
bob.leave();
await Promise.all([a.destroy(), b.destroy()]); // unloading stores a snapshot of each document
const stored = await loadYDoc(first.documents, 'notes');
console.log(`the store holds: ${JSON.stringify(stored.doc.getText('t').toString())}`);
console.log(`(loaded from a snapshot: ${stored.snapshot}, then ${stored.deltas} deltas)`);
await first.close();
if (second !== first) await second.close();
