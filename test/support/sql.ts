import pg from 'pg';
import type { DocumentStore } from '../../src/index.js';
import { eventually } from '../fixtures/eventually.js';

/** The `application_name` the postgres driver connects with, which tells its sessions apart. */
const STORAGE_APPLICATION = 'nest-sync-storage';

/** Runs one statement on a connection of its own: set-up, inspection, a superuser's work. */
export async function runSql<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Holds `lock table <table> in exclusive mode` in an open transaction until released: every write to it waits. */
export async function lockTable(url: string, table: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${table} in exclusive mode`);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await client.query('commit').catch(() => undefined);
      await client.end();
    },
  };
}

/** How many of the storage driver's sessions are open (or waiting on a lock) in the database of `url`. */
export async function storageSessions(url: string, { waitingOnLock = false } = {}): Promise<number> {
  const [row] = await runSql<{ sessions: string }>(
    url,
    `select count(*) as sessions from pg_stat_activity
     where datname = current_database() and application_name = $1 and ($2::boolean is false or wait_event_type = 'Lock')`,
    [STORAGE_APPLICATION, waitingOnLock],
  );
  return Number(row!.sessions);
}

/**
 * Makes the database look hung to a postgres provider whose pool holds one connection: a write waits
 * on a lock of the documents table, keeping that connection busy until `release()`.
 */
export async function occupyOnlyConnection(
  url: string,
  schema: string,
  documents: DocumentStore,
): Promise<{ release(): Promise<void> }> {
  const lock = await lockTable(url, `"${schema}".sync_documents`);
  const write = documents
    .addDelta('occupied', {
      id: 'occupied',
      clientId: 'occupier',
      timestamp: 1,
      data: null,
      vectorClock: { occupier: 1 },
    })
    .catch(() => undefined);
  await eventually(
    async () => (await storageSessions(url, { waitingOnLock: true })) === 1,
    'the write waits on the lock',
  );
  return {
    async release() {
      await lock.release();
      await write;
    },
  };
}
