import type { QualifiedTables } from '../storage-tables.js';
import { timestampToMs, type SqlStatement } from './sql-fragments.js';

/**
 * The history statements. A version's row in `sync_changes` says what it was and when; the content right
 * after it is the snapshot in effect then (the current one, or one kept in `sync_history_snapshots`) and the
 * deltas stored by then that snapshot does not cover (live, or kept in `sync_history_deltas`).
 *
 * A document's **incarnations**: versions start again at 1 after a `delete`, so each run of the document's log
 * rows between two `deleted` rows is one incarnation. The history rows of the live one have `ended_by` 0; a
 * `delete` stamps those of the incarnation it ends with its own log position, and moves the deltas and the
 * snapshot the document held there too. A read names the incarnation by `ended_by` and by the log positions
 * that bound it (`after` < position < `before`; `before` null for the live one).
 */

/** One incarnation of a document, as the history reads name it. */
export interface IncarnationBounds {
  /** 0 for the live document; else the log position of the `delete` that ended it. */
  endedBy: number;
  /** Its log rows lie after this position (the `delete` before it; 0: none). */
  after: number;
  /** Its log rows lie before this position; null for the live document. */
  before: number | null;
}

/** The live document's version, next seq and log stamp, as reads by time and `getVersions` start from. */
export interface DocumentHeadRow {
  version: string;
  next_seq: string;
  logged_version: LoggedVersion | null;
}

/** The current version's log row, kept on the document by the change-log pruning when it removed that row. */
export interface LoggedVersion {
  version: number;
  kind: 'deltas' | 'snapshot' | 'compacted';
  at_ms: number;
  client_ids: string[];
}

export function documentHeadStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return {
    name: 'historyHead',
    sql: `select doc.version, doc.next_seq, doc.logged_version from ${t.documents} as doc where doc.id = ?`,
    params: [documentId],
  };
}

/**
 * The document's last log row (any kind) committed at or before a time in Unix ms, where a read by time
 * starts, with the log positions of the `delete`s closest before and after it (null: none): the bounds of
 * its incarnation. One round trip.
 */
export interface LastRowAtRow {
  position: string;
  kind: 'deltas' | 'snapshot' | 'compacted' | 'deleted';
  deleted_before: string | null;
  deleted_after: string | null;
  /** Whether the `delete` after it is within retention. */
  deleted_after_fresh: boolean | null;
}

export function lastRowAtStatement(
  t: QualifiedTables,
  documentId: string,
  timeMs: number,
  retentionMs: number,
): SqlStatement {
  return {
    name: 'historyLastRowAt',
    sql: `select r.position, r.kind, before.position as deleted_before, after.position as deleted_after,
                 after.committed_at >= now() - ?::bigint * interval '1 millisecond' as deleted_after_fresh
          from (select c.document_id, c.position, c.kind from ${t.changes} as c
                where c.document_id = ? and c.committed_at <= timestamptz 'epoch' + ?::bigint * interval '1 millisecond'
                order by c.position desc limit 1) as r
          left join lateral (select z.position from ${t.changes} as z
                             where z.document_id = r.document_id and z.kind = 'deleted' and z.position < r.position
                             order by z.position desc limit 1) as before on true
          left join lateral (select z.position, z.committed_at from ${t.changes} as z
                             where z.document_id = r.document_id and z.kind = 'deleted' and z.position > r.position
                             order by z.position limit 1) as after on true`,
    params: [retentionMs, documentId, timeMs],
  };
}

/**
 * The incarnation a statement reads, as a one-row relation `b`: `ended_by`, its log bounds `after_pos` and
 * `before_pos` (null for the live document), `live`, for the live document its `current_version`, `next_seq`
 * and `logged_version` (null otherwise), and for an ended one whether its `delete` is within retention
 * (`deletion_fresh`). `sql` holds `params` in order.
 */
export interface IncarnationSource {
  sql: string;
  params: unknown[];
}

/**
 * The incarnation version numbers name, worked out in the statement itself: the live document's, or while it
 * does not exist, the one its last `delete` ended (no row matches when there is neither).
 */
export function latestIncarnation(t: QualifiedTables, documentId: string, retentionMs: number): IncarnationSource {
  return {
    sql: `(select case when doc.id is null then d.positions[1] else 0 end as ended_by,
                  coalesce(case when doc.id is null then d.positions[2] else d.positions[1] end, 0) as after_pos,
                  case when doc.id is null then d.positions[1] end as before_pos,
                  doc.id is not null as live, doc.version as current_version, doc.next_seq, doc.logged_version,
                  doc.id is null and d.last_at >= now() - ?::bigint * interval '1 millisecond' as deletion_fresh
           from (select ?::text as id) as p
           left join ${t.documents} as doc on doc.id = p.id
           cross join lateral (
             select array_agg(z.position order by z.position desc) as positions,
                    (array_agg(z.committed_at order by z.position desc))[1] as last_at
             from (select z.position, z.committed_at from ${t.changes} as z
                   where z.document_id = p.id and z.kind = 'deleted' order by z.position desc limit 2) as z
           ) as d)`,
    params: [retentionMs, documentId],
  };
}

/**
 * An incarnation known already: its bounds, for the live document its version and next seq, and for an ended
 * one whether its `delete` is within retention.
 */
export function givenIncarnation(
  bounds: IncarnationBounds,
  current: number | null,
  nextSeq: number | null,
  deletionFresh: boolean,
): IncarnationSource {
  return {
    sql: `(select ?::bigint as ended_by, ?::bigint as after_pos, ?::bigint as before_pos, ?::bigint = 0 as live,
                  ?::bigint as current_version, ?::bigint as next_seq, null::jsonb as logged_version,
                  ?::boolean as deletion_fresh)`,
    params: [bounds.endedBy, bounds.after, bounds.before, bounds.endedBy, current, nextSeq, deletionFresh],
  };
}

/** Rows of the incarnation `b` in the log, as SQL over a row alias. */
function within(alias: string): string {
  return `${alias}.position > b.after_pos and (b.before_pos is null or ${alias}.position < b.before_pos)`;
}

/**
 * Whether log row `c` of incarnation `b` is within retention: written within it, or the last content row of an
 * ended incarnation whose `delete` is within it (`b.deletion_fresh`: that version was current until the
 * delete). Two parameters, each the retention.
 */
function fresh(t: QualifiedTables): string {
  return `(?::bigint > 0 and (c.committed_at >= now() - ?::bigint * interval '1 millisecond'
            or (b.deletion_fresh and not exists (select 1 from ${t.changes} as l where l.document_id = c.document_id
                                                  and l.position > c.position and ${within('l')}))))`;
}

/** A version as `getVersions` reads it. */
export interface VersionRow {
  version: string;
  kind: 'deltas' | 'snapshot' | 'compacted';
  at_ms: string;
  client_ids: string[];
}

/**
 * At most `limit` versions of the incarnation `source` above `after` that are readable: the live document's
 * current one and those within retention, oldest first. Authors come from the deltas each stored, live or kept.
 */
export function versionsStatement(
  t: QualifiedTables,
  documentId: string,
  source: IncarnationSource,
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
                  where b.live and x.document_id = c.document_id and x.seq between c.first_seq and c.last_seq
                union
                select h.client_id from ${t.historyDeltas} as h
                  where h.document_id = c.document_id and h.ended_by = b.ended_by
                    and h.seq between c.first_seq and c.last_seq
              ) as u order by u.client_id)
            else '{}'::text[] end as client_ids
          from ${source.sql} as b
          join ${t.changes} as c on c.document_id = ? and c.kind <> 'deleted' and c.version > ? and ${within('c')}
          where c.version = b.current_version or ${fresh(t)}
          order by c.version limit ?`,
    params: [...source.params, documentId, after, retentionMs, retentionMs, limit],
  };
}

/**
 * The incarnation a point read names and the version it found there: `b`'s columns always (one row), the
 * version's columns null when none matched.
 */
export interface PointRow {
  live: boolean | null;
  ended_by: string | null;
  after_pos: string | null;
  before_pos: string | null;
  current_version: string | null;
  next_seq: string | null;
  logged_version: LoggedVersion | null;
  version: string | null;
  fresh: boolean | null;
  up_to_seq: string | null;
  /** The snapshot in effect right after it (null: none, or the version is the live document's current one). */
  snapshot_data: Buffer | null;
  snapshot_clock: Record<string, number> | null;
  snapshot_ms: string | null;
}

/** Past any seq: the end of an ended incarnation, all of whose deltas are kept. */
const NO_SEQ_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * In incarnation `source`, the version `version`, or its last version at or before log position `position`:
 * whether it is within retention; the last delta position it covers (the first position a later version of
 * the incarnation stored, less one; else the live document's last); and, unless it is the live document's
 * current version, the snapshot in effect then: the newest of the incarnation, live or kept, written at or
 * before it. With the incarnation's own columns, in one round trip.
 */
export function historyPointStatement(
  t: QualifiedTables,
  documentId: string,
  source: IncarnationSource,
  at: { version: number } | { position: number },
  retentionMs: number,
): SqlStatement {
  const match = 'version' in at ? 'c.version = ?::bigint' : 'c.position <= ?::bigint';
  return {
    name: 'historyPoint',
    sql: `select b.live, b.ended_by, b.after_pos, b.before_pos, b.current_version, b.next_seq, b.logged_version,
                 point.version, point.fresh, point.up_to_seq, point.snapshot_data, point.snapshot_clock,
                 point.snapshot_ms
          from ${source.sql} as b
          left join lateral (
            select c.version, ${fresh(t)} as fresh,
                   coalesce((select min(l.first_seq) from ${t.changes} as l
                             where l.document_id = c.document_id and l.kind = 'deltas' and l.position > c.position
                               and ${within('l')}), b.next_seq, ${NO_SEQ_BOUND}) - 1 as up_to_seq,
                   snap.data as snapshot_data, snap.vector_clock as snapshot_clock,
                   ${timestampToMs('snap.created_at')} as snapshot_ms
            from ${t.changes} as c
            -- Each side picks its one row by the key first: a sort of the union would read every kept snapshot's bytes.
            left join lateral (
              select u.data, u.vector_clock, u.created_at from (
                (select x.data, x.vector_clock, x.created_at, x.version from ${t.snapshots} as x
                  where b.live and x.document_id = c.document_id and x.version <= c.version)
                union all
                (select h.data, h.vector_clock, h.created_at, h.version from ${t.historySnapshots} as h
                  where h.document_id = c.document_id and h.ended_by = b.ended_by and h.version <= c.version
                  order by h.version desc limit 1)
              ) as u order by u.version desc limit 1
            ) as snap on c.version is distinct from b.current_version
            where b.ended_by is not null and c.document_id = ? and c.kind <> 'deleted' and ${match}
              and ${within('c')}
            order by c.position desc limit 1
          ) as point on true`,
    params: [...source.params, retentionMs, retentionMs, documentId, 'version' in at ? at.version : at.position],
  };
}

/**
 * The last version of the incarnation a `delete` ended at log position `endedBy`, from the deletion's row
 * (its version less one): for when that version's own row was pruned (it was current longer than the change
 * log keeps rows). All the incarnation's kept deltas are in it, and its newest kept snapshot; it is within
 * retention while the `delete` is.
 */
export function endedLastPointStatement(
  t: QualifiedTables,
  documentId: string,
  endedBy: number,
  retentionMs: number,
): SqlStatement {
  return {
    name: 'historyEndedLastPoint',
    sql: `select false as live, d.position as ended_by, null as after_pos, d.position as before_pos,
                 null as current_version, null as next_seq, null::jsonb as logged_version,
                 d.version - 1 as version,
                 (?::bigint > 0 and d.committed_at >= now() - ?::bigint * interval '1 millisecond') as fresh,
                 ?::bigint - 1 as up_to_seq,
                 snap.data as snapshot_data, snap.vector_clock as snapshot_clock,
                 ${timestampToMs('snap.created_at')} as snapshot_ms
          from ${t.changes} as d
          left join lateral (
            select h.data, h.vector_clock, h.created_at from ${t.historySnapshots} as h
            where h.document_id = d.document_id and h.ended_by = d.position order by h.version desc limit 1
          ) as snap on true
          where d.document_id = ? and d.position = ? and d.kind = 'deleted'`,
    params: [retentionMs, retentionMs, NO_SEQ_BOUND, documentId, endedBy],
  };
}

/**
 * The deltas of incarnation `endedBy`, live or kept, stored at or before position `upToSeq` that
 * `snapshotClock` does not cover, in storage order. For the live document they are read per author, as
 * catch-up reads (a range of each author's counters above the snapshot's, on the (document, author, counter)
 * index of each table), so the cost follows what is returned; an ended incarnation has no authors' rows left
 * and is read whole from the kept deltas.
 */
export function deltasAtStatement(
  t: QualifiedTables,
  documentId: string,
  endedBy: number,
  upToSeq: number,
  snapshotClock: Record<string, number>,
): SqlStatement {
  const columns = (alias: string) =>
    ['seq', 'id', 'client_id', '"timestamp"', 'data', 'data_bytes', 'vector_clock']
      .map((c) => `${alias}.${c}`)
      .join(', ');
  if (endedBy !== 0)
    return {
      name: 'deltasAtEnded',
      sql: `select ${columns('h')} from ${t.historyDeltas} as h
            where h.document_id = ? and h.ended_by = ? and h.seq <= ?
              and h.counter > coalesce((?::jsonb ->> h.client_id)::bigint, 0)
            order by h.seq`,
      params: [documentId, endedBy, upToSeq, JSON.stringify(snapshotClock)],
    };
  const range = (table: string, kept: boolean) => `select ${columns('x')} from ${table} as x
        where x.document_id = author.document_id${kept ? ' and x.ended_by = 0' : ''} and x.client_id = author.client_id
          and x.counter > coalesce((since.clock ->> author.client_id)::bigint, 0) and x.seq <= ?
        offset 0`;
  return {
    name: 'deltasAt',
    sql: `select ${columns('u')}
          from (select ?::jsonb as clock) as since
          cross join ${t.clocks} as author
          cross join lateral ((${range(t.deltas, false)}) union all (${range(t.historyDeltas, true)})) as u
          where author.document_id = ?
          order by u.seq`,
    params: [JSON.stringify(snapshotClock), upToSeq, upToSeq, documentId],
  };
}

/**
 * Removes every row naming the document: awareness, change-log rows, every incarnation's history, and the
 * document (its deltas, snapshot and clocks follow by cascade). Answers the version and a fresh log position
 * (taken, never written: the erase's place in the feed's order) when the document existed.
 */
export function eraseStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return {
    name: 'erase',
    sql: `with presence as (delete from ${t.awareness} where document_id = ?),
          logged as (delete from ${t.changes} where document_id = ?),
          kept_deltas as (delete from ${t.historyDeltas} where document_id = ?),
          kept_snapshots as (delete from ${t.historySnapshots} where document_id = ?),
          removed as (delete from ${t.documents} where id = ? returning version)
          select removed.version + 1 as out_version, nextval(?::regclass) as out_position from removed`,
    params: [documentId, documentId, documentId, documentId, documentId, t.changePositions],
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
