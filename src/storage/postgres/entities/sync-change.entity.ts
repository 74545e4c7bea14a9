import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { STORAGE_TABLES } from '../storage-tables.js';

/**
 * One version of a document, a row of `sync_changes` (the change log the feed reads): which write took it
 * and, for deltas, the seq range it stored. Not a relation of the document: a `deleted` row outlives it.
 */
export interface SyncChangeRecord {
  /** The document the write changed. */
  documentId: string;
  /** Taken under the document lock: one document's rows follow its commit order. */
  position: number;
  /** The document version the write took. */
  version: number;
  /** What the write did, as `StorageChange.kind` says it. */
  kind: 'deltas' | 'snapshot' | 'compacted' | 'deleted';
  /** `deltas`: the seq of the first delta it stored; otherwise null. */
  firstSeq: number | null;
  /** `deltas`: the seq of the last delta it stored; otherwise null. */
  lastSeq: number | null;
  /** The provider that wrote it (a random bigint per provider). */
  origin: string;
  /** When the write's transaction wrote the row (old rows are pruned by age). */
  committedAt: Date;
}

export const SyncChangeEntity = new EntitySchema<SyncChangeRecord>({
  name: 'SyncChangeRecord',
  tableName: STORAGE_TABLES.changes,
  properties: {
    documentId: { type: 'string', columnType: 'text', primary: true, fieldName: 'document_id' },
    position: { type: new BigIntType('number'), columnType: 'bigint', primary: true, autoincrement: false },
    version: { type: new BigIntType('number'), columnType: 'bigint' },
    kind: { type: 'string', columnType: 'text' },
    firstSeq: { type: new BigIntType('number'), columnType: 'bigint', fieldName: 'first_seq', nullable: true },
    lastSeq: { type: new BigIntType('number'), columnType: 'bigint', fieldName: 'last_seq', nullable: true },
    origin: { type: new BigIntType('string'), columnType: 'bigint' },
    committedAt: { type: 'datetime', columnType: 'timestamptz', fieldName: 'committed_at', defaultRaw: 'now()' },
  },
  indexes: [
    { name: 'sync_changes_position_index', properties: ['position'] },
    { name: 'sync_changes_version_index', properties: ['documentId', 'version'] },
    {
      name: 'sync_changes_deleted_index',
      properties: ['documentId', 'position'],
      expression: `create index "sync_changes_deleted_index" on "sync_changes" ("document_id", "position") where "kind" = 'deleted'`,
    },
  ],
});
