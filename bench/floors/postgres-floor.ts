import pg from 'pg';
import type { JsonValue, StoredDelta, VectorClock } from '../../src/index.js';
import type * as Awareness from '../../src/storage/postgres/sql/awareness.sql.js';
import type * as CatchUp from '../../src/storage/postgres/sql/catch-up.sql.js';
import type * as Reads from '../../src/storage/postgres/sql/document-reads.sql.js';
import type * as Writes from '../../src/storage/postgres/sql/document-writes.sql.js';
import type { SqlStatement } from '../../src/storage/postgres/sql/sql-fragments.js';
import type * as Tables from '../../src/storage/postgres/storage-tables.js';
import type * as Database from '../../src/storage/postgres/postgres-database.js';
import type * as Options from '../../src/storage/contract/options.js';
import { withCallers } from '../harness/measure.js';
import type { StoragePackage } from '../setup.js';
import { chunk } from '../workload.js';
import type { Floor } from './floor.js';

/** The driver's statement builders, channel and defaults, from the build: the floor sends exactly the driver's SQL. */
type DriverSql = typeof Awareness &
  typeof CatchUp &
  typeof Reads &
  typeof Writes &
  typeof Tables &
  typeof Database &
  typeof Options;
const DRIVER_MODULES = [
  'sql/awareness.sql',
  'sql/catch-up.sql',
  'sql/document-reads.sql',
  'sql/document-writes.sql',
  'storage-tables',
  'postgres-database',
  '../contract/options',
];

export type PostgresFloor = Awaited<ReturnType<typeof openPostgresFloor>>;

/**
 * The postgres driver's floor: the driver's own statements (from its statement builders) sent with plain `pg`
 * and bound parameters, on a pool of the driver's size, to a database the package migrated. Each write is the
 * same function call in one round trip, each read the same query: the ratio shows what the package adds in
 * Node (validation, the write queue, knex and MikroORM's connection handling, mapping rows).
 */
export async function openPostgresFloor(url: string, poolSize: number, pkg: StoragePackage) {
  // The package migrates the floor's database, so both have the same tables and functions.
  await (await pkg.openStorageProvider({ driver: 'postgres', clientUrl: url })).close();
  // Compiled, this file runs from .tmp/bench/floors/; the ESM build is in dist/esm/.
  const load = (name: string) => import(new URL(`../../../dist/esm/storage/postgres/${name}.js`, import.meta.url).href);
  const sql = Object.assign({}, ...(await Promise.all(DRIVER_MODULES.map(load)))) as DriverSql;
  const t = sql.qualifiedTables('public');
  // The author bound the driver passes by default, and an origin of the floor's own.
  const WRITES = { maxAuthors: sql.STORAGE_OPTION_DEFAULTS.maxClockEntries, origin: '0' };
  const AWARENESS = {
    timeoutMs: sql.STORAGE_OPTION_DEFAULTS.awarenessTimeoutMs,
    maxEntries: sql.STORAGE_OPTION_DEFAULTS.maxAwarenessEntriesPerDocument,
  };
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its server must not crash the run; the next query reports it.
  pool.on('error', () => undefined);
  // The two-transaction pattern's deltas take their place from a sequence, as SyncKit's serial ids do.
  await pool.query('create sequence bench_delta_seq');

  /** Runs a driver statement: knex's `?` placeholders become pg's `$n`, the values stay bound parameters. */
  const run = async <Row>(statement: SqlStatement, client: pg.Pool | pg.PoolClient = pool): Promise<Row[]> => {
    let n = 0;
    const text = statement.sql.replace(/\?/g, () => `$${++n}`);
    return (await client.query(text, statement.params as unknown[])).rows;
  };
  const parsed = (rows: CatchUp.DeltaRow[]) => rows.map((row) => JSON.parse(row.data!) as JsonValue).length;

  return {
    async addDeltas(documentId, deltas) {
      const prepared = deltas.map((delta) => ({
        ...delta,
        counter: delta.vectorClock[delta.clientId]!,
        vectorClock: { ...delta.vectorClock },
        dataJson: JSON.stringify(delta.data),
        dataBytes: null,
        json: '',
      }));
      const statement = sql.addDeltasStatement(t, documentId, [prepared], Date.now(), WRITES);
      return (await run<Writes.AddDeltasRow>(statement))[0]?.out_added ?? 0;
    },
    getDeltasSince: async (documentId, since) => parsed(await run(sql.catchUpStatement(t, documentId, since))),
    async readClock(since) {
      const { rows } = await pool.query('select count(*) from jsonb_each_text($1::jsonb)', [JSON.stringify(since)]);
      return Number(rows[0].count);
    },
    async newClientChanges(documentId) {
      const client = await pool.connect();
      try {
        await client.query('begin isolation level repeatable read read only');
        const [head] = await run<{ snapshot_clock: VectorClock }>(sql.changesHeadStatement(t, documentId), client);
        await run(sql.getSnapshotStatement(t, documentId), client);
        // A new client has seen nothing: it gets the snapshot and the deltas the snapshot does not cover.
        const deltas = await run<CatchUp.DeltaRow>(sql.catchUpStatement(t, documentId, head!.snapshot_clock), client);
        await client.query('commit');
        return parsed(deltas);
      } finally {
        client.release();
      }
    },
    async getVectorClock(documentId) {
      const [row] = await run<{ vector_clock: object }>(sql.vectorClockStatement(t, documentId));
      return Object.keys(row!.vector_clock).length;
    },
    compactDeltas: async (documentId, upTo) =>
      Number(
        (await run<{ out_removed: string }>(sql.compactDeltasStatement(t, documentId, upTo, WRITES.origin, false)))[0]!
          .out_removed,
      ),
    async saveSnapshot(documentId, data, clock) {
      const statement = sql.saveSnapshotStatement(t, documentId, data, clock, Date.now(), {
        ...WRITES,
        allowClockAhead: true,
        retain: false,
      });
      const [row] = await run<{ out_saved: boolean }>(statement);
      if (!row!.out_saved) throw new Error('floor: stale snapshot');
    },
    getSnapshot: async (documentId) =>
      (await run<{ data: Buffer }>(sql.getSnapshotStatement(t, documentId)))[0]!.data.byteLength,
    async setAwareness(documentId, clientId, state, clock) {
      const entry = { documentId, clientId, connectionId: null, stateJson: JSON.stringify(state), clock };
      const { timeoutMs, maxEntries } = AWARENESS;
      const statement = sql.setAwarenessStatement(t, entry, Date.now(), timeoutMs, maxEntries);
      return (await run<{ outcome: string }>(statement))[0]!.outcome === 'stored';
    },
    async getAllAwareness(documentId) {
      const rows = await run<Awareness.AwarenessRow>(sql.getAllAwarenessStatement(t, documentId, Date.now()));
      return rows.map((row) => JSON.parse(row.state) as JsonValue).length;
    },
    async pageDocumentIds(pageSize) {
      let count = 0;
      for (let cursor: string | null = null; ;) {
        const page: { id: string }[] = await run(sql.documentIdsStatement(t, pageSize, cursor));
        count += page.length;
        if (page.length < pageSize) return count;
        cursor = page[page.length - 1]!.id;
      }
    },
    /** Set-up, not measured. */
    async createDocuments(documentIds: readonly string[]) {
      for (const part of chunk(documentIds, 10_000))
        await pool.query(
          `insert into sync_documents (id, next_seq, created_at, updated_at)
           select unnest($1::text[]), 0, now(), now()`,
          [part],
        );
    },
    /**
     * SyncKit's pattern, for reference: the delta inserted, then one upsert per clock entry, each statement its
     * own transaction (a crash in between leaves the clock behind the log). The document row must exist.
     */
    async addDeltaInTwoTransactions(documentId: string, delta: StoredDelta) {
      const { id, clientId, timestamp, data, vectorClock } = delta;
      await pool.query(
        `insert into sync_deltas (document_id, seq, id, client_id, counter, "timestamp", data, vector_clock)
         values ($1, nextval('bench_delta_seq'), $2, $3, $4, $5, $6, $7)`,
        [documentId, id, clientId, vectorClock[clientId], timestamp, JSON.stringify(data), JSON.stringify(vectorClock)],
      );
      for (const [client, counter] of Object.entries(vectorClock))
        await pool.query(
          `insert into sync_document_clocks as c (document_id, client_id, counter) values ($1, $2, $3)
           on conflict (document_id, client_id) do update set counter = greatest(c.counter, excluded.counter)`,
          [documentId, client, counter],
        );
    },
    /**
     * Plain LISTEN/NOTIFY, the change feed's floor: `count` autocommitted `pg_notify` calls by `callers` callers,
     * each timed from its answer to a listening connection of the pool hearing it (ms).
     */
    async notifyLatencies(count: number, callers: number) {
      const listener = await pool.connect();
      const [heard, answered] = [new Map<string, number>(), new Map<string, number>()];
      listener.on('notification', ({ payload }) => heard.set(payload!, performance.now()));
      try {
        await listener.query('listen bench_floor');
        await withCallers([...Array(count).keys()], callers, async (n) => {
          await pool.query(`select pg_notify('bench_floor', $1)`, [String(n)]);
          answered.set(String(n), performance.now());
        });
        while (heard.size < count) await new Promise((resolve) => setTimeout(resolve, 2));
        await listener.query('unlisten *');
      } finally {
        listener.release();
      }
      return [...answered].map(([n, at]) => heard.get(n)! - at);
    },
    /** `vacuum analyze` of the floor's database, on its own pool. */
    analyze: async () => void (await pool.query('vacuum analyze')),
    close: () => pool.end(),
  } satisfies Floor & Record<string, unknown>;
}
