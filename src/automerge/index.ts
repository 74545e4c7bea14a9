// The `nest-sync-storage/automerge` entry: needs the optional peer `@automerge/automerge`.
export { automergeChangeToDelta, automergeClock } from './automerge-changes.js';
export {
  storeAutomergeChanges,
  saveAutomergeChanges,
  type SavedAutomergeChanges,
  type StoreAutomergeChangesOptions,
} from './automerge-store.js';
export {
  loadAutomergeDoc,
  catchUpAutomergeDoc,
  snapshotAutomergeDoc,
  type LoadAutomergeDocOptions,
  type LoadedAutomergeDoc,
  type CaughtUpAutomergeDoc,
} from './automerge-document.js';
export { loadAutomergeDocAt, restoreAutomergeDoc, type LoadedAutomergeDocAt } from './automerge-history.js';
export { canonicalAutomergeSave } from './canonical-save.js';
export type { CrdtDocumentStore, CrdtSnapshotResult } from '../integrations/crdt-document-store.js';
