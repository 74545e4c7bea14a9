import type { AwarenessBackend } from '../contract/backend.js';
import { awarenessEntriesLimitError } from '../contract/errors.js';
import type { AwarenessEntry, JsonValue } from '../contract/types.js';
import type { PostgresDatabase } from './postgres-database.js';
import {
  getAllAwarenessStatement,
  getAwarenessStatement,
  getExpiredAwarenessStatement,
  pruneAwarenessStatement,
  removeAwarenessStatement,
  removeConnectionAwarenessStatement,
  setAwarenessStatement,
  type AwarenessRow,
  type RemovedAwarenessRow,
} from './sql/awareness.sql.js';
import type { QualifiedTables } from './storage-tables.js';

/**
 * The postgres driver's awareness entries. Expiry is judged by the application clock (`Date.now()` passed
 * in), as in the memory driver, so both drivers agree on when an entry is gone.
 */
export class PostgresAwarenessBackend implements AwarenessBackend {
  private readonly t: QualifiedTables;

  constructor(
    private readonly db: PostgresDatabase,
    private readonly timeoutMs: number,
    private readonly maxEntriesPerDocument: number,
    /** Told of each entry written or removed, after commit. */
    private readonly announce: (documentId: string, clientId: string) => void,
  ) {
    this.t = db.tables;
  }

  async get(documentId: string, clientId: string): Promise<AwarenessEntry | null> {
    const [row] = await this.db.rows<AwarenessRow>(getAwarenessStatement(this.t, documentId, clientId, Date.now()));
    return row ? toEntry(row) : null;
  }

  async getAll(documentId: string): Promise<AwarenessEntry[]> {
    return (await this.db.rows<AwarenessRow>(getAllAwarenessStatement(this.t, documentId, Date.now()))).map(toEntry);
  }

  async set(
    documentId: string,
    clientId: string,
    stateJson: string,
    clock: number,
    connectionId: string | null,
  ): Promise<boolean> {
    const statement = setAwarenessStatement(
      this.t,
      { documentId, clientId, connectionId, stateJson, clock },
      Date.now(),
      this.timeoutMs,
      this.maxEntriesPerDocument,
    );
    const [row] = await this.db.rows<{ outcome: 'stored' | 'stale' | 'limit' }>(statement);
    if (row!.outcome === 'limit') throw awarenessEntriesLimitError(documentId, this.maxEntriesPerDocument);
    if (row!.outcome !== 'stored') return false;
    this.announce(documentId, clientId);
    return true;
  }

  async remove(documentId: string, clientId: string): Promise<boolean> {
    return (await this.removed(removeAwarenessStatement(this.t, documentId, clientId, Date.now()))) > 0;
  }

  async removeAllForConnection(connectionId: string): Promise<number> {
    // Expired entries are removed too, but only live ones count, as in the memory driver.
    return this.removed(removeConnectionAwarenessStatement(this.t, connectionId, Date.now()));
  }

  async getExpired(): Promise<AwarenessEntry[]> {
    return (await this.db.rows<AwarenessRow>(getExpiredAwarenessStatement(this.t, Date.now()))).map(toEntry);
  }

  async pruneExpired(): Promise<number> {
    const rows = await this.db.rows<RemovedAwarenessRow>(pruneAwarenessStatement(this.t, Date.now()));
    for (const row of rows) this.announce(row.document_id, row.client_id);
    return rows.length;
  }

  /** Runs a removal, announces every entry it removed, and answers how many of them had not expired. */
  private async removed(statement: Parameters<PostgresDatabase['rows']>[0]): Promise<number> {
    const rows = await this.db.rows<RemovedAwarenessRow>(statement);
    for (const row of rows) this.announce(row.document_id, row.client_id);
    return rows.filter((row) => row.live).length;
  }
}

function toEntry(row: AwarenessRow): AwarenessEntry {
  return {
    documentId: row.document_id,
    clientId: row.client_id,
    connectionId: row.connection_id,
    state: JSON.parse(row.state) as JsonValue,
    clock: Number(row.clock),
    updatedAt: new Date(Number(row.updated_ms)),
    expiresAt: new Date(Number(row.expires_ms)),
  };
}
