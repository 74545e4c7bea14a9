// The `nest-sync-storage/automerge` entry: needs the optional peer `@automerge/automerge`.
export {
  automergeChangeToDelta,
  storeAutomergeChanges,
  saveAutomergeChanges,
  automergeClock,
  type SavedAutomergeChanges,
} from './automerge-changes.js';
export {
  loadAutomergeDoc,
  catchUpAutomergeDoc,
  snapshotAutomergeDoc,
  type LoadedAutomergeDoc,
  type CaughtUpAutomergeDoc,
} from './automerge-document.js';
export { canonicalAutomergeSave } from './canonical-save.js';
export type { CrdtDocumentStore, CrdtSnapshotResult } from '../integrations/crdt-document-store.js';
