import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { STORAGE_TABLES } from '../storage-tables.js';
import type { SyncDocumentRecord } from './sync-document.entity.js';

/** A row of `sync_deltas`, keyed by (document, seq); `data` is the payload's JSON text. */
export interface SyncDeltaRecord {
  document: SyncDocumentRecord;
  seq: number;
  id: string;
  clientId: string;
  /** The author's own counter, `vectorClock[clientId]`: catch-up reads it through an index. */
  counter: number;
  timestamp: number;
  data: string;
  vectorClock: Record<string, number>;
}

export const SyncDeltaEntity = new EntitySchema<SyncDeltaRecord>({
  name: 'SyncDeltaRecord',
  tableName: STORAGE_TABLES.deltas,
  properties: {
    document: {
      kind: 'm:1',
      entity: 'SyncDocumentRecord',
      primary: true,
      fieldName: 'document_id',
      columnType: 'text',
      deleteRule: 'cascade',
      updateRule: 'cascade',
    },
    seq: { type: new BigIntType('number'), columnType: 'bigint', primary: true },
    id: { type: 'string', columnType: 'text' },
    clientId: { type: 'string', columnType: 'text', fieldName: 'client_id' },
    counter: { type: new BigIntType('number'), columnType: 'bigint' },
    timestamp: { type: new BigIntType('number'), columnType: 'bigint' },
    data: { type: 'text', columnType: 'text' },
    vectorClock: { type: 'json', columnType: 'jsonb', fieldName: 'vector_clock' },
  },
  uniques: [{ properties: ['document', 'id'] }],
  indexes: [{ properties: ['document', 'clientId', 'counter'] }],
});
