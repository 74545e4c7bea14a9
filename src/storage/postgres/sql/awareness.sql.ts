import type { QualifiedTables } from '../storage-tables.js';
import { MS_TO_TIMESTAMP, timestampToMs, type FeedTarget, type SqlStatement } from './sql-fragments.js';

/**
 * Awareness statements. Expiry is judged against the application clock passed in (`now`), as in the memory
 * driver. Every statement that removes entries announces each removed entry on the change feed. Plain SQL
 * through knex rather than MikroORM's EntityManager: a write must compare clocks, count a document's live
 * entries under a lock and notify in one round trip (`sync_set_awareness`), and MikroORM's `execute` would
 * format values into the SQL text.
 */

/** An awareness row as pg returns it. */
export interface AwarenessRow {
  document_id: string;
  client_id: string;
  connection_id: string | null;
  state: string;
  clock: string;
  updated_ms: string;
  expires_ms: string;
}

const COLUMNS = `document_id, client_id, connection_id, state, clock,
  ${timestampToMs('updated_at')} as updated_ms, ${timestampToMs('expires_at')} as expires_ms`;

/**
 * Deletes the entries `where` selects (its `?` values in `whereParams`), announces each on the change feed, and
 * answers `{ live, notified }`: how many of them had not expired, and how many were deleted.
 */
function removeWhere(
  name: string,
  t: QualifiedTables,
  where: string,
  whereParams: unknown[],
  now: number,
  feed: FeedTarget,
): SqlStatement {
  return {
    name,
    sql: `with removed as (
            delete from ${t.awareness} where ${where} returning document_id, client_id, expires_at
          ),
          notified as (
            select pg_notify(?, jsonb_build_object('d', document_id, 'k', 'awareness', 'c', client_id, 'o', ?::text)::text)
            from removed
          )
          select count(*) filter (where expires_at > ${MS_TO_TIMESTAMP}) as live, (select count(*) from notified) as notified
          from removed`,
    params: [...whereParams, feed.channel, feed.origin, now],
  };
}

export function getAwarenessStatement(
  t: QualifiedTables,
  documentId: string,
  clientId: string,
  now: number,
): SqlStatement {
  return {
    name: 'getAwareness',
    sql: `select ${COLUMNS} from ${t.awareness} where document_id = ? and client_id = ? and expires_at > ${MS_TO_TIMESTAMP}`,
    params: [documentId, clientId, now],
  };
}

export function getAllAwarenessStatement(t: QualifiedTables, documentId: string, now: number): SqlStatement {
  return {
    name: 'getAllAwareness',
    sql: `select ${COLUMNS} from ${t.awareness} where document_id = ? and expires_at > ${MS_TO_TIMESTAMP} order by client_id`,
    params: [documentId, now],
  };
}

export function getExpiredAwarenessStatement(t: QualifiedTables, now: number): SqlStatement {
  return {
    name: 'getExpiredAwareness',
    sql: `select ${COLUMNS} from ${t.awareness} where expires_at <= ${MS_TO_TIMESTAMP}`,
    params: [now],
  };
}

/** The outcome of a set: 'stored', 'stale' (a live entry has a clock >= the new one) or 'limit'. */
export function setAwarenessStatement(
  t: QualifiedTables,
  entry: { documentId: string; clientId: string; connectionId: string | null; stateJson: string; clock: number },
  now: number,
  timeoutMs: number,
  maxEntries: number,
  feed: FeedTarget,
): SqlStatement {
  return {
    name: 'setAwareness',
    sql: `select ${t.setAwareness}(?, ?, ?, ?, ?::bigint, ?::bigint, ?::bigint, ?::bigint, ?, ?, ?) as outcome`,
    params: [
      entry.documentId,
      entry.clientId,
      entry.connectionId,
      entry.stateJson,
      entry.clock,
      now,
      now + timeoutMs,
      maxEntries,
      // One lock per schema and document: new clients of a document are counted one at a time.
      `nest-sync-storage:awareness:${t.schema}:${entry.documentId}`,
      feed.channel,
      feed.origin,
    ],
  };
}

/** Removes one entry; returns `{ live, notified }` (live: 1 when it had not expired). */
export function removeAwarenessStatement(
  t: QualifiedTables,
  documentId: string,
  clientId: string,
  now: number,
  feed: FeedTarget,
): SqlStatement {
  return removeWhere('removeAwareness', t, 'document_id = ? and client_id = ?', [documentId, clientId], now, feed);
}

/** Removes what one connection wrote, in every document; returns `{ live, notified }`. */
export function removeConnectionAwarenessStatement(
  t: QualifiedTables,
  connectionId: string,
  now: number,
  feed: FeedTarget,
): SqlStatement {
  return removeWhere('removeConnectionAwareness', t, 'connection_id = ?', [connectionId], now, feed);
}

/** Deletes every expired entry; returns `{ notified }`, the number deleted. */
export function pruneAwarenessStatement(t: QualifiedTables, now: number, feed: FeedTarget): SqlStatement {
  return removeWhere('pruneAwareness', t, `expires_at <= ${MS_TO_TIMESTAMP}`, [now], now, feed);
}
