import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { JsonValue, VectorClock } from '../../contract/types.js';
import { STORAGE_TABLES } from '../storage-tables.js';
import { JsonTextType } from './json-text.type.js';
import { DOCUMENT_KEY, type SyncDocumentRecord } from './sync-document.entity.js';

/** A row of `sync_history_deltas`: a delta compaction removed while `historyRetentionMs` was on, and when. */
export interface SyncHistoryDeltaRecord {
  /** The document it belongs to (part of the key). */
  document: SyncDocumentRecord;
  /** Its place in the document's log when it was stored. */
  seq: number;
  /** The delta's id. */
  id: string;
  /** The author. */
  clientId: string;
  /** The author's own counter. */
  counter: number;
  /** Unix ms as sent by the client. */
  timestamp: number;
  /** JSON data; null when the data is bytes. */
  data: JsonValue | null;
  /** Bytes data; null when the data is JSON. */
  dataBytes: Uint8Array | null;
  /** Its clock. */
  vectorClock: VectorClock;
  /** When compaction removed it: pruned once older than `historyRetentionMs`. */
  removedAt: Date;
}

/** The entity of `sync_history_deltas` (read by history reads only, pruned past retention). */
export const SyncHistoryDeltaEntity = new EntitySchema<SyncHistoryDeltaRecord>({
  name: 'SyncHistoryDeltaRecord',
  tableName: STORAGE_TABLES.historyDeltas,
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
    removedAt: { type: 'datetime', columnType: 'timestamptz', fieldName: 'removed_at', index: true },
  },
  indexes: [{ name: 'sync_history_deltas_author_index', properties: ['document', 'clientId', 'counter', 'seq'] }],
});

/** A row of `sync_history_snapshots`: a snapshot a newer one replaced, with the version it was written at. */
export interface SyncHistorySnapshotRecord {
  /** The document it belongs to (part of the key). */
  document: SyncDocumentRecord;
  /** The version its write took (part of the key). */
  version: number;
  /** The snapshot's bytes. */
  data: Buffer;
  /** Its clock. */
  vectorClock: VectorClock;
  /** When it was saved. */
  createdAt: Date;
  /** When a newer snapshot replaced it: pruned once older than `historyRetentionMs`. */
  replacedAt: Date;
}

/** The entity of `sync_history_snapshots` (read by history reads only, pruned past retention). */
export const SyncHistorySnapshotEntity = new EntitySchema<SyncHistorySnapshotRecord>({
  name: 'SyncHistorySnapshotRecord',
  tableName: STORAGE_TABLES.historySnapshots,
  properties: {
    document: { kind: 'm:1', ...DOCUMENT_KEY },
    version: { type: new BigIntType('number'), columnType: 'bigint', primary: true },
    data: { type: 'blob', columnType: 'bytea' },
    vectorClock: { type: 'json', columnType: 'jsonb', fieldName: 'vector_clock' },
    createdAt: { type: 'datetime', columnType: 'timestamptz(3)', fieldName: 'created_at' },
    replacedAt: { type: 'datetime', columnType: 'timestamptz', fieldName: 'replaced_at', index: true },
  },
});
