import type { QualifiedTables } from '../storage-tables.js';
import type { SqlStatement } from './sql-fragments.js';

/**
 * The change feed's statements. Every content write appends one row to `sync_changes` under the document
 * lock, in the same transaction: its document, the version it took, its kind and (deltas) the seq range it
 * stored. `position` is taken under that lock too, so one document's rows follow its commit order. The feed
 * reads this log; the notifications sent after commit only tell it when to read.
 */

/** A row of the change log as the feed reads it. */
export interface ChangeLogRow {
  position: string;
  document_id: string;
  version: string;
  kind: 'deltas' | 'snapshot' | 'compacted' | 'deleted';
  /** The provider that wrote it. */
  origin: string;
  /** `deltas`: how many deltas that version stored. */
  delta_count: number | null;
  /**
   * `deltas` of a followed document: the ids still stored, in storage order (fewer than `delta_count` when
   * compaction removed some, none when the document was deleted since). Null otherwise.
   */
  ids: string[] | null;
}

/** The columns of a log row `c`; ids only where `followed` (an SQL condition on `c`) holds. */
function logColumns(t: QualifiedTables, followed: string): string {
  return `c.position, c.document_id, c.version, c.kind, c.origin, (c.last_seq - c.first_seq + 1)::integer as delta_count,
    case when c.kind = 'deltas' and ${followed} then
      case when not exists (select 1 from ${t.changes} as z
                            where z.document_id = c.document_id and z.kind = 'deleted' and z.position > c.position)
           then coalesce((select array_agg(x.id order by x.seq) from ${t.deltas} as x
                          where x.document_id = c.document_id and x.seq between c.first_seq and c.last_seq), '{}')
           else '{}'::text[] end
    end as ids`;
}

/** Where the log ends now: the feed reads what comes after it. */
export function changeLogEndStatement(t: QualifiedTables): SqlStatement {
  return { name: 'changeLogEnd', sql: `select coalesce(max(position), 0) as position from ${t.changes}`, params: [] };
}

/**
 * The rows after `after`, in position order, at most `limit`; or, with `holes`, the rows at those positions
 * (skipped earlier: a transaction that had taken its position had not committed yet). Ids are read for the
 * `documents` given, or for every document when `documents` is null. Two statements rather than one with an
 * OR, so that each is one range or point lookup on the position index.
 */
export function readChangeLogStatement(
  t: QualifiedTables,
  from: { after: number; limit: number } | { holes: readonly number[] },
  documents: readonly string[] | null,
): SqlStatement {
  const where = 'holes' in from ? 'c.position = any(?::bigint[])' : 'c.position > ?';
  return {
    name: 'holes' in from ? 'readChangeLogHoles' : 'readChangeLog',
    sql: `select ${logColumns(t, '(?::text[] is null or c.document_id = any(?::text[]))')}
          from ${t.changes} as c
          where ${where}
          order by c.position${'holes' in from ? '' : ' limit ?'}`,
    params: 'holes' in from ? [documents, documents, from.holes] : [documents, documents, from.after, from.limit],
  };
}

/** One document's rows with a position in (`after`, `upTo`], in order, at most `limit`: a gap being filled. */
export function readDocumentChangesStatement(
  t: QualifiedTables,
  documentId: string,
  after: number,
  upTo: number,
  limit: number,
): SqlStatement {
  return {
    name: 'readDocumentChanges',
    sql: `select ${logColumns(t, 'true')}
          from ${t.changes} as c
          where c.document_id = ? and c.position > ? and c.position <= ?
          order by c.position limit ?`,
    params: [documentId, after, upTo, limit],
  };
}

/**
 * One document's rows after `afterVersion` of its current incarnation (after its last `deleted` row up to
 * `upTo`: versions start again at 1 after a delete), with positions in (`after`, `upTo`], in order, at most
 * `limit`: what a subscriber resuming from that version missed. Primary-key range scan.
 */
export function readDocumentChangesAfterVersionStatement(
  t: QualifiedTables,
  documentId: string,
  afterVersion: number,
  range: { after: number; upTo: number; limit: number },
): SqlStatement {
  return {
    name: 'readDocumentChangesAfterVersion',
    sql: `select ${logColumns(t, 'true')}
          from ${t.changes} as c
          where c.document_id = ? and c.position > ? and c.position <= ? and c.version > ?
            and c.position > coalesce((select max(d.position) from ${t.changes} as d
                                        where d.document_id = c.document_id and d.kind = 'deleted' and d.position <= ?), 0)
          order by c.position limit ?`,
    params: [documentId, range.after, range.upTo, afterVersion, range.upTo, range.limit],
  };
}

/**
 * Sends hints on the channel, one notification per payload, in a statement of its own after the writes
 * committed. Its commit does not wait for the WAL flush: a hint lost in a crash costs only latency (the feed
 * polls), and PostgreSQL's notification lock is then held for microseconds, not a disk flush.
 */
export function sendHintsStatement(channel: string, payloads: readonly string[]): SqlStatement {
  return {
    name: 'sendHints',
    sql: `select count(pg_notify(?, p.payload)) as sent
          from (select set_config('synchronous_commit', 'off', true)) as s, unnest(?::text[]) as p(payload)`,
    params: [channel, payloads],
  };
}

/**
 * Removes up to `limit` of the oldest rows written more than `retentionMs` ago (the database clock). A
 * subscriber that fell further behind than that gets a `resync` for the documents it missed.
 */
export function pruneChangeLogStatement(t: QualifiedTables, retentionMs: number, limit: number): SqlStatement {
  return {
    name: 'pruneChangeLog',
    sql: `with removed as (
            delete from ${t.changes} as c
            where c.position = any(array(
              select o.position from (select position, committed_at from ${t.changes} order by position limit ?) as o
              where o.committed_at < now() - ? * interval '1 millisecond'))
            returning 1
          )
          select count(*) as removed from removed`,
    params: [limit, retentionMs],
  };
}

/** Where a new subscription to a document starts: its last log position and its current version (0: none). */
export function documentStartStatement(t: QualifiedTables, documentId: string): SqlStatement {
  return {
    name: 'documentStart',
    sql: `select coalesce((select max(c.position) from ${t.changes} as c where c.document_id = ?), 0) as position,
                 coalesce((select doc.version from ${t.documents} as doc where doc.id = ?), 0) as version`,
    params: [documentId, documentId],
  };
}

/** A document's last log row at or before `upTo`, its version 0 if it was a delete: where its delivery stood then. */
export function documentStartAtStatement(t: QualifiedTables, documentId: string, upTo: number): SqlStatement {
  return {
    name: 'documentStartAt',
    sql: `select c.position, case when c.kind = 'deleted' then 0 else c.version end as version
          from ${t.changes} as c where c.document_id = ? and c.position <= ?
          order by c.position desc limit 1`,
    params: [documentId, upTo],
  };
}
