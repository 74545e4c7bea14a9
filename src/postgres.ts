/**
 * `nest-sync-storage/postgres`: the PostgreSQL pieces for an app's own MikroORM 6 or 7: the entities (for its
 * `entities`), the migrations (for its `migrationsList`) and the helpers that run them on its pool.
 * Importing this loads MikroORM; the root entry never does.
 */
export {
  storageEntities,
  SyncDocumentEntity,
  SyncDocumentClockEntity,
  SyncDeltaEntity,
  SyncSnapshotEntity,
  SyncAwarenessEntity,
  SyncChangeEntity,
  SyncHistoryDeltaEntity,
  SyncHistorySnapshotEntity,
  JsonTextType,
  toStoredDelta,
} from './storage/postgres/entities/index.js';
export type {
  SyncDocumentRecord,
  SyncDocumentClockRecord,
  SyncDeltaRecord,
  SyncSnapshotRecord,
  SyncAwarenessRecord,
  SyncChangeRecord,
  SyncHistoryDeltaRecord,
  SyncHistorySnapshotRecord,
} from './storage/postgres/entities/index.js';
export { storageMigrations } from './storage/postgres/migrations/index.js';
export { MIGRATIONS_TABLE as STORAGE_MIGRATIONS_TABLE, STORAGE_TABLES } from './storage/postgres/storage-tables.js';
export {
  migrateStorage,
  storageMigrationStatus,
  type StorageMigrationOptions,
  type StorageMigrationStatus,
} from './storage/postgres/host-orm.js';
