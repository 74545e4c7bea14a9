import { SyncAwarenessEntity } from './sync-awareness.entity.js';
import { SyncDeltaEntity } from './sync-delta.entity.js';
import { SyncDocumentEntity } from './sync-document.entity.js';
import { SyncSnapshotEntity } from './sync-snapshot.entity.js';

export type { SyncAwarenessRecord } from './sync-awareness.entity.js';
export type { SyncDeltaRecord } from './sync-delta.entity.js';
export type { SyncDocumentRecord } from './sync-document.entity.js';
export type { SyncSnapshotRecord } from './sync-snapshot.entity.js';
export { SyncAwarenessEntity, SyncDeltaEntity, SyncDocumentEntity, SyncSnapshotEntity };

/** Every entity of the postgres driver, for a host app's `entities` option. */
export const storageEntities = [SyncDocumentEntity, SyncDeltaEntity, SyncSnapshotEntity, SyncAwarenessEntity];
