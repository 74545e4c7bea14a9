import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { STORAGE_TABLES } from '../storage-tables.js';
import { DOCUMENT_KEY, type SyncDocumentRecord } from './sync-document.entity.js';

/**
 * One entry of a document's clock, a row of `sync_document_clocks`: a write touches only the entries its
 * deltas carry. It also holds the author's counter in the stored snapshot's clock, and how many of its
 * deltas are stored (catch-up visits only authors with stored deltas).
 */
export interface SyncDocumentClockRecord {
  /** The document it belongs to (part of the key). */
  document: SyncDocumentRecord;
  /** The author (part of the key). */
  clientId: string;
  /** The author's counter in the document clock. */
  counter: number;
  /** The author's counter in the stored snapshot's clock (0 without one). */
  snapshotCounter: number;
  /** How many of the author's deltas are stored (0: catch-up skips the author). */
  storedDeltas: number;
}

export const SyncDocumentClockEntity = new EntitySchema<SyncDocumentClockRecord>({
  name: 'SyncDocumentClockRecord',
  tableName: STORAGE_TABLES.clocks,
  properties: {
    document: { kind: 'm:1', ...DOCUMENT_KEY },
    clientId: { type: 'string', columnType: 'text', primary: true, fieldName: 'client_id' },
    counter: { type: new BigIntType('number'), columnType: 'bigint' },
    snapshotCounter: {
      type: new BigIntType('number'),
      columnType: 'bigint',
      fieldName: 'snapshot_counter',
      defaultRaw: '0',
    },
    storedDeltas: { type: new BigIntType('number'), columnType: 'bigint', fieldName: 'stored_deltas', defaultRaw: '0' },
  },
  indexes: [
    {
      name: 'sync_document_clocks_authors_index',
      // MikroORM 6.0 requires `properties` even beside an expression, which is what defines the index.
      properties: ['document', 'clientId'],
      expression: `create index "sync_document_clocks_authors_index" on "sync_document_clocks" ("document_id", "client_id") include ("counter") where "stored_deltas" > 0`,
    },
  ],
});
