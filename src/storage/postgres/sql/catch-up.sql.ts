import type { JsonValue, StoredDelta, VectorClock } from '../../contract/types.js';
import type { QualifiedTables } from '../storage-tables.js';
import type { SqlStatement } from './sql-fragments.js';

/** A delta row as pg returns it: int8 columns arrive as strings, jsonb already parsed. */
export interface DeltaRow {
  seq: string;
  id: string;
  client_id: string;
  timestamp: string;
  data: string;
  vector_clock: Record<string, number>;
}

/** A page of catch-up: deltas after `afterSeq` (exclusive), at most `limit`. */
export interface CatchUpPage {
  afterSeq: number;
  limit: number;
}

const deltaColumns = (alias: string): string =>
  ['seq', 'id', 'client_id', '"timestamp"', 'data', 'vector_clock'].map((column) => `${alias}.${column}`).join(', ');

/**
 * The one place that builds catch-up SQL: the deltas of a document that `since` does not cover,
 * in commit (seq) order.
 *
 * - `since` null: every delta, walking the primary key (document_id, seq).
 * - otherwise, by author: for each client whose document counter is ahead of `since`, an index range
 *   on (document_id, client_id, counter > since[client]). An up-to-date client touches only the
 *   document row, and the cost follows what is returned, not the length of the history.
 */
export function catchUpStatement(
  tables: QualifiedTables,
  documentId: string,
  since: VectorClock | null,
  page?: CatchUpPage,
): SqlStatement {
  if (since === null) return inSeqOrderStatement(tables, documentId, null, page);
  // Parameters in the order their `?` appear: since, afterSeq (inside the lateral), document id, limit.
  const params: unknown[] = [JSON.stringify(since)];
  if (page) params.push(page.afterSeq);
  params.push(documentId);
  if (page) params.push(page.limit);
  const seqFilter = page ? 'and x.seq > ?' : '';
  const limit = page ? 'limit ?' : '';
  const sql = `select ${deltaColumns('unseen')}
    from (select ?::jsonb as clock) as since
    cross join ${tables.documents} as doc
    cross join lateral jsonb_each_text(doc.vector_clock) as author(client_id, counter)
    cross join lateral (
      select ${deltaColumns('x')}
      from ${tables.deltas} as x
      where x.document_id = doc.id
        and x.client_id = author.client_id
        and x.counter > coalesce((since.clock ->> author.client_id)::bigint, 0)
        ${seqFilter}
      -- a fence: keeps this a per-author index range instead of a join the planner may turn into a scan
      offset 0
    ) as unseen
    where doc.id = ?
      and author.counter::bigint > coalesce((since.clock ->> author.client_id)::bigint, 0)
    order by unseen.seq
    ${limit}`;
  return { sql, params };
}

/**
 * Catch-up that walks the deltas in seq order and filters by `since`: for the later pages of a
 * large catch-up, where most deltas are unseen and per-author ranges would be re-read on every page.
 */
export function inSeqOrderStatement(
  tables: QualifiedTables,
  documentId: string,
  since: VectorClock | null,
  page?: CatchUpPage,
): SqlStatement {
  const params: unknown[] = [documentId];
  let filters = '';
  if (page) {
    filters += ' and x.seq > ?';
    params.push(page.afterSeq);
  }
  if (since !== null) {
    filters += ` and x.counter > coalesce((?::jsonb ->> x.client_id)::bigint, 0)`;
    params.push(JSON.stringify(since));
  }
  let limit = '';
  if (page) {
    limit = ' limit ?';
    params.push(page.limit);
  }
  return {
    sql: `select ${deltaColumns('x')} from ${tables.deltas} as x where x.document_id = ?${filters} order by x.seq${limit}`,
    params,
  };
}

export function toStoredDelta(row: DeltaRow): StoredDelta {
  return {
    id: row.id,
    clientId: row.client_id,
    timestamp: Number(row.timestamp),
    data: JSON.parse(row.data) as JsonValue,
    vectorClock: row.vector_clock,
  };
}
