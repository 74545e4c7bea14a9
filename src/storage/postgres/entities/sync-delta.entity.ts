import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { JsonValue, StoredDelta, VectorClock } from '../../contract/types.js';
import { STORAGE_TABLES } from '../storage-tables.js';
import { JsonTextType } from './json-text.type.js';
import { DOCUMENT_KEY, type SyncDocumentRecord } from './sync-document.entity.js';

/**
 * A row of `sync_deltas`, keyed by (document, seq). The payload is `data` (JSON, kept as text) or
 * `dataBytes` (bytes), never both; `toStoredDelta` turns a record into what the stores return.
 */
export interface SyncDeltaRecord {
  /** The document it belongs to (part of the key). */
  document: SyncDocumentRecord;
  /** Its place in the document's log: seq order is commit order. */
  seq: number;
  /** The delta's id, unique within its document. */
  id: string;
  /** The author. */
  clientId: string;
  /** The author's own counter, `vectorClock[clientId]`: `(document, clientId, counter)` is unique. */
  counter: number;
  /** Unix ms as sent by the client. */
  timestamp: number;
  /** JSON data; null when the data is bytes. */
  data: JsonValue | null;
  /** Bytes data; null when the data is JSON. */
  dataBytes: Uint8Array | null;
  /** The clock after this delta, as sent. */
  vectorClock: VectorClock;
}

export const SyncDeltaEntity = new EntitySchema<SyncDeltaRecord>({
  name: 'SyncDeltaRecord',
  tableName: STORAGE_TABLES.deltas,
  properties: {
    document: { kind: 'm:1', ...DOCUMENT_KEY },
    seq: { type: new BigIntType('number'), columnType: 'bigint', primary: true },
    id: { type: 'string', columnType: 'text' },
    clientId: { type: 'string', columnType: 'text', fieldName: 'client_id' },
    counter: { type: new BigIntType('number'), columnType: 'bigint' },
    timestamp: { type: new BigIntType('number'), columnType: 'bigint' },
    data: { type: JsonTextType, nullable: true },
    dataBytes: { type: 'blob', columnType: 'bytea', fieldName: 'data_bytes', nullable: true },
    vectorClock: { type: 'json', columnType: 'jsonb', fieldName: 'vector_clock' },
  },
  uniques: [
    { properties: ['document', 'id'] },
    { name: 'sync_deltas_event_unique', properties: ['document', 'clientId', 'counter'] },
  ],
  checks: [{ name: 'sync_deltas_data_check', expression: '(("data" is null) <> ("data_bytes" is null))' }],
});

/** A delta record as the stores return it. */
export function toStoredDelta(record: SyncDeltaRecord): StoredDelta {
  return {
    id: record.id,
    clientId: record.clientId,
    timestamp: record.timestamp,
    data: record.dataBytes ? new Uint8Array(record.dataBytes) : record.data,
    vectorClock: record.vectorClock,
  };
}
