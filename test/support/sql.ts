import pg from 'pg';
import type { DocumentStore } from '../../src/index.js';
import { eventually } from '../fixtures/eventually.js';

/** The `application_name` the postgres driver connects with, which tells its sessions apart. */
export const STORAGE_APPLICATION = 'nest-sync-storage';

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
export function lockTable(url: string, table: string): Promise<{ release(): Promise<void> }> {
  return holdLock(url, `lock table ${table} in exclusive mode`);
}

/** Runs `sql` (which takes a lock) in a transaction left open until released, as another instance mid-write. */
export async function holdLock(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  await client.query(sql, values);
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

/** Sessions of the database of `url` waiting for a lock, whoever they belong to. */
export async function lockWaiters(url: string): Promise<number> {
  const [row] = await runSql<{ waiting: string }>(
    url,
    `select count(*) as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return Number(row!.waiting);
}

/** Sessions of the database of `url` that have run LISTEN (the change feeds' connections); `idle`: waiting for notifications. */
export async function listeningSessions(url: string, { idle = false } = {}): Promise<number> {
  const [row] = await runSql<{ count: string }>(
    url,
    `select count(*) from pg_stat_activity
     where datname = current_database() and ($1::boolean is false or state = 'idle') and query ilike 'listen %'`,
    [idle],
  );
  return Number(row!.count);
}

/** The tables of `schema`, by name. */
export async function tablesIn(url: string, schema: string): Promise<string[]> {
  const rows = await runSql<{ table_name: string }>(
    url,
    'select table_name from information_schema.tables where table_schema = $1 order by table_name',
    [schema],
  );
  return rows.map((row) => row.table_name);
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
