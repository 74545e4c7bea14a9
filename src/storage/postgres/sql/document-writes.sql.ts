import type { VectorClock } from '../../contract/types.js';
import type { PreparedDelta } from '../../contract/validation.js';
import type { QualifiedTables } from '../storage-tables.js';
import { MS_TO_TIMESTAMP, timestampToMs, toBuffer, type FeedTarget, type SqlStatement } from './sql-fragments.js';

/**
 * The driver's writes. The locked ones (deltas, snapshots, compaction) call the functions of the second
 * migration: one round trip each, in which the document lock is taken first and every later statement sees
 * the commits made before it was granted. Hand-written SQL rather than MikroORM's QueryBuilder: these are
 * multi-table statements under a lock, and MikroORM's `execute` would format the values into the SQL text.
 */

/** A row of `sync_add_deltas` (or `sync_add_delta`): how many deltas of one call were new, or the event that failed it. */
export interface AddDeltasRow {
  out_call: number;
  out_added: number;
  out_conflict_id: string | null;
  out_existing_id: string | null;
}

/**
 * Stores a group of independent calls (no shared delta id or event across them) in one transaction. Every
 * payload travels in ONE binary parameter (JSON as UTF-8, bytes as they are) cut by lengths in SQL, and the
 * clocks in one JSON array: no value is escaped into an array literal.
 */
export function addDeltasStatement(
  t: QualifiedTables,
  documentId: string,
  calls: readonly (readonly PreparedDelta[])[],
  now: number,
  feed: FeedTarget,
): SqlStatement {
  if (calls.length === 1 && calls[0]!.length === 1) return addDeltaStatement(t, documentId, calls[0]![0]!, now, feed);
  const callOf: number[] = [];
  const ids: string[] = [];
  const clients: string[] = [];
  const counters: number[] = [];
  const timestamps: number[] = [];
  const clocks: string[] = [];
  const payloads: Buffer[] = [];
  const lengths: number[] = [];
  const binary: boolean[] = [];
  calls.forEach((deltas, call) => {
    for (const delta of deltas) {
      callOf.push(call);
      ids.push(delta.id);
      clients.push(delta.clientId);
      counters.push(delta.counter);
      timestamps.push(delta.timestamp);
      clocks.push(JSON.stringify(delta.vectorClock));
      const payload = delta.dataBytes ? toBuffer(delta.dataBytes) : Buffer.from(delta.dataJson!, 'utf8');
      payloads.push(payload);
      lengths.push(payload.byteLength);
      binary.push(delta.dataBytes !== null);
    }
  });
  return {
    name: 'addDeltas',
    sql: `select * from ${t.addDeltas}(?, ?, ?::integer[], ?::text[], ?::text[], ?::bigint[], ?::bigint[],
            ?::jsonb, ?::bytea, ?::integer[], ?::boolean[], ?, ?)`,
    params: [
      documentId,
      now,
      callOf,
      ids,
      clients,
      counters,
      timestamps,
      `[${clocks.join(',')}]`,
      payloads.length === 1 ? payloads[0]! : Buffer.concat(payloads),
      lengths,
      binary,
      feed.channel,
      feed.origin,
    ],
  };
}

/** One call of one delta, the usual write: `sync_add_delta`, the same rules and answer row in less work. */
function addDeltaStatement(
  t: QualifiedTables,
  documentId: string,
  delta: PreparedDelta,
  now: number,
  feed: FeedTarget,
): SqlStatement {
  return {
    name: 'addDelta',
    sql: `select * from ${t.addDelta}(?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::bytea, ?, ?)`,
    params: [
      documentId,
      now,
      delta.id,
      delta.clientId,
      delta.counter,
      delta.timestamp,
      JSON.stringify(delta.vectorClock),
      delta.dataBytes ? null : delta.dataJson,
      delta.dataBytes ? toBuffer(delta.dataBytes) : null,
      feed.channel,
      feed.origin,
    ],
  };
}

/** Replaces the snapshot unless it would step back from the stored one; returns `{ saved }`. */
export function saveSnapshotStatement(
  t: QualifiedTables,
  documentId: string,
  data: Uint8Array,
  vectorClock: VectorClock,
  now: number,
  feed: FeedTarget,
): SqlStatement {
  return {
    name: 'saveSnapshot',
    sql: `select ${t.saveSnapshot}(?, ?, ?, ?::jsonb, ?, ?) as saved`,
    params: [documentId, now, toBuffer(data), JSON.stringify(vectorClock), feed.channel, feed.origin],
  };
}

/** Deletes the deltas covered by both `upToClock` and the snapshot clock; returns `{ removed }`. */
export function compactDeltasStatement(
  t: QualifiedTables,
  documentId: string,
  upToClock: VectorClock,
  feed: FeedTarget,
): SqlStatement {
  return {
    name: 'compactDeltas',
    sql: `select ${t.compactDeltas}(?, ?::jsonb, ?, ?) as removed`,
    params: [documentId, JSON.stringify(upToClock), feed.channel, feed.origin],
  };
}

/** The columns a `SyncDocument` is read from, clock included. */
export function documentColumns(t: QualifiedTables): string {
  return `doc.id, ${timestampToMs('doc.created_at')} as created_ms, ${timestampToMs('doc.updated_at')} as updated_ms,
    (select coalesce(jsonb_object_agg(c.client_id, c.counter), '{}'::jsonb)
     from ${t.clocks} as c where c.document_id = doc.id) as vector_clock`;
}

/** Inserts the document with an empty clock unless it exists; returns the row only when it inserted it. */
export function createDocumentStatement(t: QualifiedTables, documentId: string, now: number): SqlStatement {
  return {
    name: 'createDocument',
    sql: `insert into ${t.documents} as doc (id, next_seq, created_at, updated_at)
          values (?, 0, ${MS_TO_TIMESTAMP}, ${MS_TO_TIMESTAMP})
          on conflict (id) do nothing
          returning ${documentColumns(t)}`,
    params: [documentId, now, now],
  };
}

/** Deletes the document (its deltas, clock and snapshot cascade) and its awareness entries; a row when it existed. */
export function deleteDocumentStatement(t: QualifiedTables, documentId: string, feed: FeedTarget): SqlStatement {
  return {
    name: 'deleteDocument',
    sql: `with presence as (delete from ${t.awareness} where document_id = ?),
          removed as (delete from ${t.documents} where id = ? returning id)
          select pg_notify(?, jsonb_build_object('d', removed.id, 'k', 'deleted', 'o', ?::text)::text) from removed`,
    params: [documentId, documentId, feed.channel, feed.origin],
  };
}
