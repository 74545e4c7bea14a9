import type { VectorClock } from '../../contract/types.js';
import type { PreparedDelta } from '../../contract/validation.js';
import type { QualifiedTables } from '../storage-tables.js';
import {
  MS_TO_TIMESTAMP,
  TOUCHED_UPDATED_AT,
  mergedClocksSql,
  timestampToMs,
  type SqlStatement,
} from './sql-fragments.js';

/** The columns a `SyncDocument` is read from. */
export const DOCUMENT_COLUMNS = `id, vector_clock, ${timestampToMs('created_at')} as created_ms, ${timestampToMs('updated_at')} as updated_ms`;

/** Inserts the document with the clock `{}` unless it exists; returns the row only when it inserted it. */
export function createDocumentStatement(t: QualifiedTables, documentId: string, now: number): SqlStatement {
  return {
    sql: `insert into ${t.documents} (id, vector_clock, next_seq, created_at, updated_at)
          values (?, '{}', 0, ${MS_TO_TIMESTAMP}, ${MS_TO_TIMESTAMP})
          on conflict (id) do nothing
          returning ${DOCUMENT_COLUMNS}`,
    params: [documentId, now, now],
  };
}

/**
 * Creates the document when missing and locks its row until the transaction ends; every writer of
 * a document takes this lock first. `do update ... where false` locks an existing row without
 * writing a new version of it.
 */
export function lockDocumentStatement(t: QualifiedTables, documentId: string, now: number): SqlStatement {
  return {
    sql: `insert into ${t.documents} as doc (id, vector_clock, next_seq, created_at, updated_at)
          values (?, '{}', 0, ${MS_TO_TIMESTAMP}, ${MS_TO_TIMESTAMP})
          on conflict (id) do update set next_seq = doc.next_seq where false`,
    params: [documentId, now, now],
  };
}

/**
 * Under the document lock: stores the deltas that are new (id not stored, not covered by the
 * snapshot), numbers them from the row's `next_seq`, and merges their clocks into the row, in one
 * statement. Returns one row `{ inserted }`, or none when nothing was new.
 */
export function insertDeltasStatement(
  t: QualifiedTables,
  documentId: string,
  deltas: readonly PreparedDelta[],
  now: number,
): SqlStatement {
  const params: unknown[] = [];
  deltas.forEach((delta, index) => {
    params.push(
      index,
      delta.id,
      delta.clientId,
      delta.counter,
      delta.timestamp,
      delta.dataJson,
      JSON.stringify(delta.vectorClock),
    );
  });
  params.push(documentId, now, documentId);
  const values = deltas.map(() => '(?::int, ?, ?, ?::bigint, ?::bigint, ?, ?::jsonb)').join(', ');
  const sql = `with incoming (ord, id, client_id, counter, "timestamp", data, vector_clock) as (values ${values}),
    inserted as (
      insert into ${t.deltas} (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
      select doc.id, doc.next_seq + incoming.ord, incoming.id, incoming.client_id, incoming.counter,
             incoming."timestamp", incoming.data, incoming.vector_clock
      from incoming
      cross join ${t.documents} as doc
      left join ${t.snapshots} as snapshot on snapshot.document_id = doc.id
      where doc.id = ?
        -- a delta the snapshot covers may have been compacted away: storing it again would revive it
        and incoming.counter > coalesce((snapshot.vector_clock ->> incoming.client_id)::bigint, 0)
      on conflict (document_id, id) do nothing
      returning seq, vector_clock
    )
    update ${t.documents}
    set next_seq = (select max(seq) + 1 from inserted),
        vector_clock = ${mergedClocksSql(`select ${t.documents}.vector_clock as clock union all select vector_clock from inserted`)},
        updated_at = ${TOUCHED_UPDATED_AT}
    where id = ? and exists (select 1 from inserted)
    returning (select count(*) from inserted) as inserted`;
  return { sql, params };
}

/** Under the document lock, after the staleness check: replaces the snapshot and merges its clock into the row. */
export function saveSnapshotStatement(
  t: QualifiedTables,
  documentId: string,
  data: Uint8Array,
  vectorClock: VectorClock,
  now: number,
): SqlStatement {
  const clock = JSON.stringify(vectorClock);
  return {
    sql: `with saved as (
            insert into ${t.snapshots} (document_id, data, vector_clock, created_at)
            values (?, ?, ?::jsonb, ${MS_TO_TIMESTAMP})
            on conflict (document_id) do update
            set data = excluded.data, vector_clock = excluded.vector_clock, created_at = excluded.created_at
          )
          update ${t.documents}
          set vector_clock = ${mergedClocksSql(`select ${t.documents}.vector_clock as clock union all select ?::jsonb`)},
              updated_at = ${TOUCHED_UPDATED_AT}
          where id = ?`,
    params: [documentId, toBuffer(data), clock, now, clock, now, documentId],
  };
}

/**
 * Deletes, per author, the deltas up to the smaller of `upToClock` and the snapshot clock, through
 * the (document_id, client_id, counter) index. No snapshot: no bound, nothing deleted. Returns `{ removed }`.
 */
export function compactDeltasStatement(t: QualifiedTables, documentId: string, upToClock: VectorClock): SqlStatement {
  return {
    sql: `with bound as (
            select entry.key as client_id,
                   least(entry.value::bigint, (snapshot.vector_clock ->> entry.key)::bigint) as counter
            from ${t.snapshots} as snapshot
            cross join lateral jsonb_each_text(?::jsonb) as entry
            where snapshot.document_id = ? and (snapshot.vector_clock ->> entry.key) is not null
          ),
          removed as (
            delete from ${t.deltas} as x
            using bound
            where x.document_id = ? and x.client_id = bound.client_id and x.counter <= bound.counter
            returning 1
          )
          select count(*) as removed from removed`,
    params: [JSON.stringify(upToClock), documentId, documentId],
  };
}

/** MikroORM inlines parameters itself and renders only a `Buffer` as bytea; this wraps without copying. */
function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
