import type { QualifiedTables } from '../storage-tables.js';
import { MS_TO_TIMESTAMP, timestampToMs, type SqlStatement } from './sql-fragments.js';

/**
 * Awareness statements. Expiry is judged against the application clock passed in (`now`), as in the memory
 * driver. Every statement that removes entries answers which, so the provider announces each after commit
 * (nothing is notified inside a write). Plain SQL through knex rather than MikroORM's EntityManager: a write
 * must compare clocks and count a document's live entries under a lock in one round trip
 * (`sync_set_awareness`), and MikroORM's `execute` would format values into the SQL text.
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

/** A removed entry: its document, its client, and whether it had not expired. */
export interface RemovedAwarenessRow {
  document_id: string;
  client_id: string;
  live: boolean;
}

/** Deletes the entries `where` selects (its `?` values in `whereParams`) and answers one row per entry removed. */
function removeWhere(
  name: string,
  t: QualifiedTables,
  where: string,
  whereParams: unknown[],
  now: number,
): SqlStatement {
  return {
    name,
    sql: `delete from ${t.awareness} where ${where}
          returning document_id, client_id, expires_at > ${MS_TO_TIMESTAMP} as live`,
    params: [...whereParams, now],
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
      // No channel: the function notifies nothing; the provider announces the entry after commit.
      null,
      null,
    ],
  };
}

/** Removes one entry. */
export function removeAwarenessStatement(
  t: QualifiedTables,
  documentId: string,
  clientId: string,
  now: number,
): SqlStatement {
  return removeWhere('removeAwareness', t, 'document_id = ? and client_id = ?', [documentId, clientId], now);
}

/** Removes what one connection wrote, in every document. */
export function removeConnectionAwarenessStatement(
  t: QualifiedTables,
  connectionId: string,
  now: number,
): SqlStatement {
  return removeWhere('removeConnectionAwareness', t, 'connection_id = ?', [connectionId], now);
}

/** Deletes every expired entry. */
export function pruneAwarenessStatement(t: QualifiedTables, now: number): SqlStatement {
  return removeWhere('pruneAwareness', t, `expires_at <= ${MS_TO_TIMESTAMP}`, [now], now);
}
