import { SyncAwarenessEntity } from './sync-awareness.entity.js';
import { SyncChangeEntity } from './sync-change.entity.js';
import { SyncDeltaEntity } from './sync-delta.entity.js';
import { SyncDocumentClockEntity } from './sync-document-clock.entity.js';
import { SyncDocumentEntity } from './sync-document.entity.js';
import { SyncHistoryDeltaEntity, SyncHistorySnapshotEntity } from './sync-history.entity.js';
import { SyncSnapshotEntity } from './sync-snapshot.entity.js';

export type { SyncAwarenessRecord } from './sync-awareness.entity.js';
export type { SyncChangeRecord } from './sync-change.entity.js';
export type { SyncDeltaRecord } from './sync-delta.entity.js';
export type { SyncDocumentClockRecord } from './sync-document-clock.entity.js';
export type { SyncDocumentRecord } from './sync-document.entity.js';
export type { SyncSnapshotRecord } from './sync-snapshot.entity.js';
export type { SyncHistoryDeltaRecord, SyncHistorySnapshotRecord } from './sync-history.entity.js';
export { toStoredDelta } from './sync-delta.entity.js';
export { JsonTextType } from './json-text.type.js';
export {
  SyncAwarenessEntity,
  SyncChangeEntity,
  SyncDeltaEntity,
  SyncDocumentClockEntity,
  SyncDocumentEntity,
  SyncSnapshotEntity,
  SyncHistoryDeltaEntity,
  SyncHistorySnapshotEntity,
};

/** Every entity of the postgres driver, for a host app's `entities` option. */
export const storageEntities = [
  SyncDocumentEntity,
  SyncDocumentClockEntity,
  SyncDeltaEntity,
  SyncSnapshotEntity,
  SyncAwarenessEntity,
  SyncChangeEntity,
  SyncHistoryDeltaEntity,
  SyncHistorySnapshotEntity,
];
