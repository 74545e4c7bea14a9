import type { AwarenessBackend } from '../contract/backend.js';
import type { AwarenessEntry, JsonValue } from '../contract/types.js';
import type { PostgresDatabase } from './postgres-database.js';
import { MS_TO_TIMESTAMP, timestampToMs } from './sql/sql-fragments.js';
import type { QualifiedTables } from './storage-tables.js';

interface AwarenessRow {
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
 * The postgres driver's awareness entries. Expiry is judged by the application clock (`Date.now()`
 * passed in), as in the memory driver, so both drivers agree on when an entry is gone.
 */
export class PostgresAwarenessBackend implements AwarenessBackend {
  private readonly t: QualifiedTables;

  constructor(
    private readonly db: PostgresDatabase,
    private readonly timeoutMs: number,
  ) {
    this.t = db.tables;
  }

  async get(documentId: string, clientId: string): Promise<AwarenessEntry | null> {
    const [row] = await this.db.query<AwarenessRow>(
      `select ${COLUMNS} from ${this.t.awareness} where document_id = ? and client_id = ? and expires_at > ${MS_TO_TIMESTAMP}`,
      [documentId, clientId, Date.now()],
    );
    return row ? toEntry(row) : null;
  }

  async getAll(documentId: string): Promise<AwarenessEntry[]> {
    const rows = await this.db.query<AwarenessRow>(
      `select ${COLUMNS} from ${this.t.awareness} where document_id = ? and expires_at > ${MS_TO_TIMESTAMP} order by client_id`,
      [documentId, Date.now()],
    );
    return rows.map(toEntry);
  }

  async set(
    documentId: string,
    clientId: string,
    stateJson: string,
    clock: number,
    connectionId: string | null,
  ): Promise<boolean> {
    const now = Date.now();
    // An unexpired entry with a clock >= the new one wins; an expired one never blocks.
    const rows = await this.db.query(
      `insert into ${this.t.awareness} as entry (document_id, client_id, connection_id, state, clock, updated_at, expires_at)
       values (?, ?, ?, ?, ?::bigint, ${MS_TO_TIMESTAMP}, ${MS_TO_TIMESTAMP})
       on conflict (document_id, client_id) do update
       set connection_id = excluded.connection_id, state = excluded.state, clock = excluded.clock,
           updated_at = excluded.updated_at, expires_at = excluded.expires_at
       where entry.expires_at <= excluded.updated_at or entry.clock < excluded.clock
       returning 1`,
      [documentId, clientId, connectionId, stateJson, clock, now, now + this.timeoutMs],
    );
    return rows.length > 0;
  }

  async remove(documentId: string, clientId: string): Promise<boolean> {
    const rows = await this.db.query<{ live: boolean }>(
      `delete from ${this.t.awareness} where document_id = ? and client_id = ?
       returning expires_at > ${MS_TO_TIMESTAMP} as live`,
      [documentId, clientId, Date.now()],
    );
    return rows[0]?.live === true;
  }

  async removeAllForConnection(connectionId: string): Promise<number> {
    // Expired entries are removed too, but only live ones count, as in the memory driver.
    const [row] = await this.db.query<{ live: string }>(
      `with removed as (delete from ${this.t.awareness} where connection_id = ? returning expires_at)
       select count(*) filter (where expires_at > ${MS_TO_TIMESTAMP}) as live from removed`,
      [connectionId, Date.now()],
    );
    return Number(row!.live);
  }

  async getExpired(): Promise<AwarenessEntry[]> {
    const rows = await this.db.query<AwarenessRow>(
      `select ${COLUMNS} from ${this.t.awareness} where expires_at <= ${MS_TO_TIMESTAMP}`,
      [Date.now()],
    );
    return rows.map(toEntry);
  }

  async pruneExpired(): Promise<number> {
    const [row] = await this.db.query<{ pruned: string }>(
      `with pruned as (delete from ${this.t.awareness} where expires_at <= ${MS_TO_TIMESTAMP} returning 1)
       select count(*) as pruned from pruned`,
      [Date.now()],
    );
    return Number(row!.pruned);
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
