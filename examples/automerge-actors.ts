// Two Automerge actors edit offline and store their changes; a third loads the merged document;
// a snapshot then compacts the log.
//   npm run example:automerge                (memory)
//   DATABASE_URL=postgresql://... npm run example:automerge
import * as A from '@automerge/automerge';
import {
  catchUpAutomergeDoc,
  loadAutomergeDoc,
  saveAutomergeChanges,
  snapshotAutomergeDoc,
} from 'nest-sync-storage/automerge';
import { openStorage, storageOptions } from './storage-context.js';

type Todo = {
  title: string;
  items: { text: string; done: boolean }[];
};

const storage = await openStorage();
const { documents } = storage;
const id = `todo-${Date.now()}`;

let alice = A.from<Todo>({ title: 'Todo', items: [] });
let bob = A.clone(alice); // a new actor id
const aliceSaved = await saveAutomergeChanges(documents, id, alice);

alice = A.change(alice, (doc) => void doc.items.push({ text: 'buy milk', done: false }));
bob = A.change(bob, (doc) => {
  doc.items.push({ text: 'call mom', done: false });
  doc.title = 'Todo (shared)';
});
const fromAlice = await saveAutomergeChanges(documents, id, alice, { since: aliceSaved.heads });
const fromBob = await saveAutomergeChanges(documents, id, bob);
console.log(`driver: ${storageOptions.driver}`);
const changes = (count: number) => `${count} change${count === 1 ? '' : 's'}`;
const were = (count: number) => (count === 1 ? 'was' : 'were');
console.log(
  `alice stored ${changes(fromAlice.stored)}; bob sent ${changes(fromBob.sent)}, of which ${fromBob.stored} ${were(fromBob.stored)} new`,
);

const carol = await loadAutomergeDoc<Todo>(documents, id);
console.log('carol loads:', JSON.stringify(carol.doc), 'clock:', carol.clock);

const caughtUp = await catchUpAutomergeDoc(documents, id, alice);
console.log(`alice catches up with ${caughtUp.applied} change:`, JSON.stringify(caughtUp.doc));

const snapshot = await snapshotAutomergeDoc(documents, id, carol.doc);
const reloaded = await loadAutomergeDoc<Todo>(documents, id);
console.log(
  `snapshot of ${snapshot.bytes} bytes; ${snapshot.compacted} deltas compacted; reload:`,
  JSON.stringify(reloaded.doc),
);
await storage.close();
