import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { STORAGE_TABLES } from '../storage-tables.js';

/** A row of `sync_documents`: the document clock and the next per-document delta sequence number. */
export interface SyncDocumentRecord {
  id: string;
  vectorClock: Record<string, number>;
  /** The `seq` the next stored delta gets; taken under the row lock, so seq order is commit order. */
  nextSeq: number;
  createdAt: Date;
  updatedAt: Date;
}

export const SyncDocumentEntity = new EntitySchema<SyncDocumentRecord>({
  name: 'SyncDocumentRecord',
  tableName: STORAGE_TABLES.documents,
  properties: {
    id: { type: 'string', columnType: 'text', primary: true },
    vectorClock: { type: 'json', columnType: 'jsonb', fieldName: 'vector_clock', default: '{}' },
    nextSeq: { type: new BigIntType('number'), columnType: 'bigint', fieldName: 'next_seq', default: 0 },
    createdAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'created_at' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'updated_at' },
  },
});
