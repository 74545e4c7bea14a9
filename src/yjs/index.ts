// The `nest-sync-storage/yjs` entry: needs the optional peer `yjs` (and Hocuspocus for the extension).
export {
  YjsStorageExtension,
  type YjsDocumentHookPayload,
  type YjsHocuspocusInstance,
  type YjsSyncHookPayload,
} from './yjs-storage.extension.js';
export type { PresenceStorage } from './yjs-presence.js';
export { YJS_CLOSE_CODES, YjsUpdateRefusedError, countYjsStructs, type YjsCloseReason } from './yjs-update-limits.js';
export type { ClosableConnection } from './update-admission.js';
export type {
  ResolvedYjsStorageOptions,
  YjsStorage,
  YjsStorageErrorContext,
  YjsStorageExtensionOptions,
  YjsStorageLogger,
} from './yjs-storage.options.js';
export { YjsDeltaWriter, type YjsDeltaWriterErrorContext, type YjsDeltaWriterOptions } from './yjs-delta-writer.js';
export { loadYDoc, catchUpYDoc, snapshotYDoc, type LoadedYDoc } from './yjs-document.js';
export { loadYDocAt, restoreYDocTo, restoreYDocUpdate, type LoadedYDocAt, type YjsRootType } from './yjs-history.js';
export { YjsSnapshotMismatchError, checkYjsSnapshot, encodeIntegratedState } from './yjs-snapshot-check.js';
export {
  newWriterId,
  yjsUpdateToDelta,
  applyChangesToYDoc,
  type AppliedYjsChanges,
  type ApplyYjsChangesOptions,
} from './yjs-updates.js';
export type { CrdtDocumentStore, CrdtSnapshotResult } from '../integrations/crdt-document-store.js';
export type { RetryDelays } from './waiting.js';
