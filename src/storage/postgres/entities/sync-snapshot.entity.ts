import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { STORAGE_TABLES } from '../storage-tables.js';
import { DOCUMENT_KEY, type SyncDocumentRecord } from './sync-document.entity.js';

/** A row of `sync_snapshots`: at most one snapshot per document. */
export interface SyncSnapshotRecord {
  /** The document it belongs to (its key). */
  document: SyncDocumentRecord;
  /** The snapshot's bytes. */
  data: Buffer;
  /** The clock the snapshot covers. */
  vectorClock: Record<string, number>;
  /** When it was saved. */
  createdAt: Date;
  /** The version the snapshot's write took (0: stored before Migration20261207130000_history). */
  version: number;
}

export const SyncSnapshotEntity = new EntitySchema<SyncSnapshotRecord>({
  name: 'SyncSnapshotRecord',
  tableName: STORAGE_TABLES.snapshots,
  properties: {
    document: { kind: '1:1', owner: true, ...DOCUMENT_KEY },
    data: { type: 'blob', columnType: 'bytea' },
    vectorClock: { type: 'json', columnType: 'jsonb', fieldName: 'vector_clock' },
    createdAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'created_at' },
    version: { type: new BigIntType('number'), columnType: 'bigint', defaultRaw: '0' },
  },
});
