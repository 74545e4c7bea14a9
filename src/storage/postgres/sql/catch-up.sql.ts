import type { JsonValue, StoredDelta, VectorClock } from '../../contract/types.js';
import type { QualifiedTables } from '../storage-tables.js';
import type { SqlStatement } from './sql-fragments.js';

/** A delta row as pg returns it: int8 columns arrive as strings, bytea as a Buffer, jsonb already parsed. */
export interface DeltaRow {
  seq: string;
  id: string;
  client_id: string;
  timestamp: string;
  data: string | null;
  data_bytes: Buffer | null;
  vector_clock: Record<string, number>;
}

const deltaColumns = (alias: string): string =>
  ['seq', 'id', 'client_id', '"timestamp"', 'data', 'data_bytes', 'vector_clock']
    .map((column) => `${alias}.${column}`)
    .join(', ');

/**
 * The one place that builds catch-up SQL: the deltas of a document that `since` does not cover, in storage
 * (seq) order. It visits only the authors that have stored deltas (a partial index of the clocks table) and,
 * for each one `since` has not caught up with, reads the unseen counter range through the
 * (document, client, counter) index. So it costs `since` (parsed once, looked up per author), the authors
 * with stored deltas (each either named by `since` or returning deltas) and what it returns: never the
 * history, never the authors of the clock without stored deltas. `since` null walks the primary key.
 */
export function catchUpStatement(tables: QualifiedTables, documentId: string, since: VectorClock | null): SqlStatement {
  if (since === null) return walkStatement(tables, documentId, null, { afterSeq: -1, limit: null });
  // a fence: keeps each author a per-author index range instead of a join the planner may turn into a scan
  const sql = `${unseenByAuthor(tables, 'offset 0')}
    order by unseen.seq`;
  return { name: 'catchUp', sql, params: [JSON.stringify(since), documentId] };
}

/**
 * Catch-up that walks the deltas in seq order from `afterSeq` and filters by `since`: every delta when
 * `since` is null, and the later pages of a large catch-up, where per-author ranges would be re-read.
 */
export function walkStatement(
  tables: QualifiedTables,
  documentId: string,
  since: VectorClock | null,
  page: { afterSeq: number; limit: number | null },
): SqlStatement {
  const params: unknown[] = [];
  let from = `${tables.deltas} as x`;
  let filter = '';
  if (since !== null) {
    from = `(select ?::jsonb as clock) as since cross join ${from}`;
    filter = 'and x.counter > coalesce((since.clock ->> x.client_id)::bigint, 0)';
    params.push(JSON.stringify(since));
  }
  params.push(documentId, page.afterSeq);
  if (page.limit !== null) params.push(page.limit);
  return {
    name: 'catchUpWalk',
    sql: `select ${deltaColumns('x')} from ${from}
      where x.document_id = ? and x.seq > ? ${filter}
      order by x.seq ${page.limit === null ? '' : 'limit ?'}`,
    params,
  };
}

/** What the first page's choice is made from: the document's stored deltas and, for `since`, what each way reads. */
export interface UnseenEstimate {
  /** How many deltas the document stores. */
  stored: number;
  /** At most how many of them `since` has not seen. */
  unseen: number;
  /** How many authors with stored deltas `since` is behind on: one index probe each when reading by author. */
  behind: number;
  /**
   * At most how many deltas reading by author takes: per author `since` is behind on, its unseen deltas up to the
   * page's size, or all of them for an author that stored deltas out of counter order.
   */
  byAuthor: number;
}

/**
 * The estimate of the first page's choice, for a page of `limit` rows, from the authors' rows alone: per author
 * with stored deltas, its count and, when `since` is behind on it, the smaller of that count and the counters
 * it has not seen. Costs the authors with stored deltas.
 */
export function unseenEstimateStatement(
  tables: QualifiedTables,
  documentId: string,
  since: VectorClock,
  limit: number,
): SqlStatement {
  return {
    name: 'unseenEstimate',
    sql: `select coalesce(sum(author.stored_deltas), 0)::int8 as stored,
        coalesce(sum(behind.unseen), 0)::int8 as unseen,
        count(behind.unseen)::int8 as behind,
        coalesce(sum(case when author.out_of_order then behind.unseen else least(behind.unseen, ?::int8) end)
          filter (where behind.unseen is not null), 0)::int8 as by_author
      from (select ?::jsonb as clock) as since
      cross join ${tables.clocks} as author
      left join lateral (
        select least(author.stored_deltas, author.counter - coalesce((since.clock ->> author.client_id)::bigint, 0))
          as unseen
        where author.counter > coalesce((since.clock ->> author.client_id)::bigint, 0)
      ) as behind on true
      where author.document_id = ? and author.stored_deltas > 0`,
    params: [limit, JSON.stringify(since), documentId],
  };
}

/**
 * What one author's index probe costs, in rows a walk skips. Measured on PostgreSQL 18 (a 20,000-delta seen
 * prefix, 1,000 to 10,000 authors behind by one delta): a probe took 6-9 µs, a skipped row 0.5-0.9 µs, so
 * reading by author wins below about 2,000 authors behind there. See docs/SQL.md, "The first page of a catch-up".
 */
export const AUTHOR_PROBE_ROWS = 10;

/**
 * The first page of a catch-up with `since`, `limit` rows, whichever way reads less:
 * - by author: for each author `since` is behind on, its first `limit` unseen deltas by counter through the
 *   (document, client, counter) index, merged by seq and cut at `limit`. An author that stored its deltas in
 *   counter order has them in seq order too, so its first `limit` by counter are its first by seq; one that
 *   did not (`out_of_order`) is read whole. Costs the authors `since` is behind on and about `limit` rows each.
 * - walking the log in seq order from the start, skipping what `since` has seen, until `limit` rows: costs at
 *   most the seen deltas and the page, and only the page for a client far behind or new.
 * A walk is assumed to skip every seen delta, its worst case; it is chosen when that costs less than the
 * authors' probes and rows (a new client, a client behind on most authors of a large document). Either way the
 * page no longer costs every unseen delta: that took 133-163 ms at 200,000 deltas (issue 23, finding 6).
 */
export function firstPageStatement(
  tables: QualifiedTables,
  documentId: string,
  since: VectorClock,
  limit: number,
  estimate: UnseenEstimate,
): SqlStatement {
  const walkCost = estimate.stored - estimate.unseen + limit;
  if (estimate.behind * AUTHOR_PROBE_ROWS + estimate.byAuthor >= walkCost)
    return walkStatement(tables, documentId, since, { afterSeq: -1, limit });
  const cut = 'order by x.counter limit case when author.out_of_order then null else ?::int8 end';
  const sql = `${unseenByAuthor(tables, cut)}
    order by unseen.seq
    limit ?`;
  return { name: 'catchUpFirstPage', sql, params: [JSON.stringify(since), limit, documentId, limit] };
}

/**
 * The deltas `since` (parameter 1, JSON) has not seen, read per author of the document (its last parameter)
 * through the (document, client, counter) index; `cut` ends each author's range (a fence, or an order and limit).
 */
function unseenByAuthor(tables: QualifiedTables, cut: string): string {
  return `select ${deltaColumns('unseen')}
    from (select ?::jsonb as clock) as since
    cross join ${tables.clocks} as author
    cross join lateral (
      select ${deltaColumns('x')}
      from ${tables.deltas} as x
      where x.document_id = author.document_id
        and x.client_id = author.client_id
        and x.counter > coalesce((since.clock ->> author.client_id)::bigint, 0)
      ${cut}
    ) as unseen
    where author.document_id = ?
      and author.stored_deltas > 0
      and author.counter > coalesce((since.clock ->> author.client_id)::bigint, 0)`;
}

export function toStoredDelta(row: DeltaRow): StoredDelta {
  return {
    id: row.id,
    clientId: row.client_id,
    timestamp: Number(row.timestamp),
    // A copy: pg's Buffer may be a view of a shared slab.
    data: row.data_bytes ? new Uint8Array(row.data_bytes) : (JSON.parse(row.data!) as JsonValue),
    vectorClock: row.vector_clock,
  };
}
