import type { QualifiedTables } from '../storage-tables.js';
import { timestampToMs, type SqlStatement } from './sql-fragments.js';

/**
 * The history statements. A version's row in `sync_changes` says what it was and when; the content right
 * after it is the snapshot in effect then (the current one, or one kept in `sync_history_snapshots`) and the
 * deltas stored by then that snapshot does not cover (live, or kept in `sync_history_deltas`). Only rows
 * logged since the document's last deletion count: versions start again at 1 after one.
 */

/** The position of the document's last deletion in the log (0: none), as SQL over the `?` document id. */
const SINCE_DELETED = (t: QualifiedTables): string =>
  `coalesce((select max(z.position) from ${t.changes} as z where z.document_id = ? and z.kind = 'deleted'), 0)`;

/** A version as `getVersions` reads it. */
export interface VersionRow {
  version: string;
  kind: 'deltas' | 'snapshot' | 'compacted';
  at_ms: string;
  client_ids: string[];
}

/**
 * At most `limit` versions above `after` that are readable: the current one, and (retention on) those
 * committed within `retentionMs`, oldest first. Authors come from the deltas each stored, live or kept.
 */
export function versionsStatement(
  t: QualifiedTables,
  documentId: string,
  retentionMs: number,
  after: number,
  limit: number,
): SqlStatement {
  return {
    name: 'getVersions',
    sql: `select c.version, c.kind, ${timestampToMs('c.committed_at')} as at_ms,
            case when c.kind = 'deltas' then array(
              select u.client_id from (
                select x.client_id from ${t.deltas} as x
                  where x.document_id = c.document_id and x.seq between c.first_seq and c.last_seq
                union
                select h.client_id from ${t.historyDeltas} as h
                  where h.document_id = c.document_id and h.seq between c.first_seq and c.last_seq
              ) as u order by u.client_id)
            else '{}'::text[] end as client_ids
          from ${t.changes} as c
          join ${t.documents} as doc on doc.id = c.document_id
          where c.document_id = ? and c.kind <> 'deleted' and c.version > ?
            and c.position > ${SINCE_DELETED(t)}
            and (c.version = doc.version or (?::bigint > 0 and c.committed_at >= now() - ?::bigint * interval '1 millisecond'))
          order by c.version limit ?`,
    params: [documentId, after, documentId, retentionMs, retentionMs, limit],
  };
}

/** The version a history point names, as found in the log. */
export interface PointRow {
  version: string;
  current: boolean;
  fresh: boolean;
  up_to_seq: string;
  /** The snapshot in effect right after it (null: none, or the version is the current one). */
  snapshot_data: Buffer | null;
  snapshot_clock: Record<string, number> | null;
  snapshot_ms: string | null;
}

/**
 * The logged version `at` names (by number, or the last committed at or before a time in Unix ms); whether it
 * is the current one or within `retentionMs`; the last delta position it covers (the first position a later
 * version stored, less one, or the document's last); and, for a past version, the snapshot in effect then:
 * the newest, current or kept, written at or before it. One round trip.
 */
export function historyPointStatement(
  t: QualifiedTables,
  documentId: string,
  at: { version: number } | { time: number },
  retentionMs: number,
): SqlStatement {
  const match =
    'version' in at ? 'c.version = ?' : `c.committed_at <= timestamptz 'epoch' + ?::bigint * interval '1 millisecond'`;
  return {
    name: 'historyPoint',
    sql: `select c.version, c.version = doc.version as current,
                 (?::bigint > 0 and c.committed_at >= now() - ?::bigint * interval '1 millisecond') as fresh,
                 coalesce((select min(l.first_seq) from ${t.changes} as l
                           where l.document_id = c.document_id and l.kind = 'deltas' and l.version > c.version
                             and l.position > c.position), doc.next_seq) - 1 as up_to_seq,
                 snap.data as snapshot_data, snap.vector_clock as snapshot_clock,
                 ${timestampToMs('snap.created_at')} as snapshot_ms
          from ${t.changes} as c
          join ${t.documents} as doc on doc.id = c.document_id
          -- Each side picks its one row by the key first: a sort of the union would read every kept snapshot's bytes.
          left join lateral (
            select u.data, u.vector_clock, u.created_at from (
              (select x.data, x.vector_clock, x.created_at, x.version from ${t.snapshots} as x
                where x.document_id = c.document_id and x.version <= c.version)
              union all
              (select h.data, h.vector_clock, h.created_at, h.version from ${t.historySnapshots} as h
                where h.document_id = c.document_id and h.version <= c.version order by h.version desc limit 1)
            ) as u order by u.version desc limit 1
          ) as snap on c.version <> doc.version
          where c.document_id = ? and c.kind <> 'deleted' and ${match}
            and c.position > ${SINCE_DELETED(t)}
          order by c.version desc limit 1`,
    params: [retentionMs, retentionMs, documentId, 'version' in at ? at.version : at.time, documentId],
  };
}

/**
 * The deltas, live or kept, stored at or before position `upToSeq` that `snapshotClock` does not cover, in
 * storage order. Read per author, as catch-up reads (a range of each author's counters above the snapshot's,
 * on the (document, author, counter) index of each table), so the cost follows what is returned, not the
 * history before it.
 */
export function deltasAtStatement(
  t: QualifiedTables,
  documentId: string,
  upToSeq: number,
  snapshotClock: Record<string, number>,
): SqlStatement {
  const columns = (alias: string) =>
    ['seq', 'id', 'client_id', '"timestamp"', 'data', 'data_bytes', 'vector_clock']
      .map((c) => `${alias}.${c}`)
      .join(', ');
  const range = (table: string) => `select ${columns('x')} from ${table} as x
        where x.document_id = author.document_id and x.client_id = author.client_id
          and x.counter > coalesce((since.clock ->> author.client_id)::bigint, 0) and x.seq <= ?
        offset 0`;
  return {
    name: 'deltasAt',
    sql: `select ${columns('u')}
          from (select ?::jsonb as clock) as since
          cross join ${t.clocks} as author
          cross join lateral ((${range(t.deltas)}) union all (${range(t.historyDeltas)})) as u
          where author.document_id = ?
          order by u.seq`,
    params: [JSON.stringify(snapshotClock), upToSeq, upToSeq, documentId],
  };
}

/**
 * Removes every row naming the document: awareness, change-log rows, and the document (its deltas, snapshot,
 * clocks and history follow by cascade). Answers whether the document existed.
 */
export function eraseStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return {
    name: 'erase',
    sql: `with presence as (delete from ${t.awareness} where document_id = ?),
          logged as (delete from ${t.changes} where document_id = ?),
          removed as (delete from ${t.documents} where id = ? returning 1)
          select count(*)::integer as erased from removed`,
    params: [documentId, documentId, documentId],
  };
}

/** Removes up to `limit` kept deltas and snapshots that left the live tables more than `retentionMs` ago. */
export function pruneHistoryStatement(t: QualifiedTables, retentionMs: number, limit: number): SqlStatement {
  return {
    name: 'pruneHistory',
    sql: `with deltas as (
            delete from ${t.historyDeltas} where ctid = any(array(
              select ctid from ${t.historyDeltas} where removed_at < now() - ?::bigint * interval '1 millisecond' limit ?))
            returning 1
          ),
          snapshots as (
            delete from ${t.historySnapshots} where ctid = any(array(
              select ctid from ${t.historySnapshots} where replaced_at < now() - ?::bigint * interval '1 millisecond' limit ?))
            returning 1
          )
          select (select count(*) from deltas) + (select count(*) from snapshots) as removed`,
    params: [retentionMs, limit, retentionMs, limit],
  };
}
