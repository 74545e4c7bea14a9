import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { AwarenessEntry } from '../../contract/types.js';
import { STORAGE_TABLES } from '../storage-tables.js';
import { JsonTextType } from './json-text.type.js';

/**
 * A row of `sync_awareness`: the fields of an `AwarenessEntry`, the state kept as JSON text. No foreign key:
 * presence lives beside documents, not inside them.
 */
export type SyncAwarenessRecord = AwarenessEntry;

export const SyncAwarenessEntity = new EntitySchema<SyncAwarenessRecord>({
  name: 'SyncAwarenessRecord',
  tableName: STORAGE_TABLES.awareness,
  properties: {
    documentId: { type: 'string', columnType: 'text', primary: true, fieldName: 'document_id' },
    clientId: { type: 'string', columnType: 'text', primary: true, fieldName: 'client_id' },
    connectionId: { type: 'string', columnType: 'text', nullable: true, fieldName: 'connection_id', index: true },
    state: { type: JsonTextType },
    clock: { type: new BigIntType('number'), columnType: 'bigint' },
    updatedAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'updated_at' },
    expiresAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'expires_at', index: true },
  },
});
