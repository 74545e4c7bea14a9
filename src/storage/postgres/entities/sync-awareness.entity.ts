import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { STORAGE_TABLES } from '../storage-tables.js';

/** A row of `sync_awareness`. No foreign key: presence lives beside documents, not inside them. */
export interface SyncAwarenessRecord {
  documentId: string;
  clientId: string;
  connectionId: string | null;
  /** The state's JSON text. */
  state: string;
  clock: number;
  updatedAt: Date;
  expiresAt: Date;
}

export const SyncAwarenessEntity = new EntitySchema<SyncAwarenessRecord>({
  name: 'SyncAwarenessRecord',
  tableName: STORAGE_TABLES.awareness,
  properties: {
    documentId: { type: 'string', columnType: 'text', primary: true, fieldName: 'document_id' },
    clientId: { type: 'string', columnType: 'text', primary: true, fieldName: 'client_id' },
    connectionId: { type: 'string', columnType: 'text', nullable: true, fieldName: 'connection_id', index: true },
    state: { type: 'text', columnType: 'text' },
    clock: { type: new BigIntType('number'), columnType: 'bigint' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'updated_at' },
    expiresAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'expires_at', index: true },
  },
});
