import pg from 'pg';
import type { JsonValue, StoredDelta, VectorClock } from '../../src/index.js';
import type { StoragePackage } from '../setup/storage-package.js';
import { withCallers } from '../harness/measure.js';
import { chunk, type DeltaBatch, type DeltaWrite } from '../workload.js';
import type { Floor, FloorOperation } from './floor.js';
import {
  COMPACT,
  CATCH_UP,
  DOCUMENT_WITH_SNAPSHOT,
  GET_ALL_AWARENESS,
  LOCK_DOCUMENT,
  SAVE_SNAPSHOT,
  SCHEMA,
  SET_AWARENESS,
  insertDeltasSql,
  literal,
} from './postgres-floor.sql.js';

interface DeltaRow {
  id: string;
  client_id: string;
  timestamp: string;
  data: string;
  vector_clock: Record<string, number>;
}

const LABELS: Record<FloorOperation, string> = {
  addDelta: 'pg: lock row; INSERT…ON CONFLICT DO NOTHING + clock merge: 1 round trip, 1 transaction',
  addDeltas: 'pg: the same with the batch in one VALUES list',
  catchUp: 'pg: the same catch-up query',
  upToDate: 'pg: the same catch-up query',
  changesSince: 'pg: snapshot row + catch-up query, REPEATABLE READ',
  compact: 'pg: the same DELETE',
  saveSnapshot: 'pg: lock row + stale check + upsert + clock merge',
  loadSnapshot: 'pg: SELECT of the row',
  setAwareness: 'pg: conditional upsert',
  getAllAwareness: 'pg: SELECT … ORDER BY client_id',
  pageIds: 'pg: keyset SELECT … LIMIT',
};

const AWARENESS_TIMEOUT_MS = 30_000;

type ClockHelpers = Pick<StoragePackage, 'clockCovers' | 'mergeClocks'>;

/** The postgres driver's floor: the same atomic work in hand-written SQL over plain `pg`, in its own database. */
export class PostgresFloor implements Floor {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly clocks: ClockHelpers,
  ) {}

  /** Creates the tables in the (empty) database at `url`; the clock helpers are the package's own. */
  static async open(url: string, poolSize: number, clocks: ClockHelpers): Promise<PostgresFloor> {
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    // An idle client losing its server must not crash the run; the next query reports it.
    pool.on('error', () => undefined);
    for (const statement of SCHEMA) await pool.query(statement);
    return new PostgresFloor(pool, clocks);
  }

  label(operation: FloorOperation): string {
    return LABELS[operation];
  }

  async load(documentId: string, deltas: readonly StoredDelta[]): Promise<void> {
    for (const part of chunk(deltas, 5_000)) await this.addDeltas(documentId, part);
  }

  async createDocuments(documentIds: readonly string[]): Promise<void> {
    for (const part of chunk(documentIds, 10_000))
      await this.pool.query(
        `insert into sync_documents (id, created_at, updated_at) select unnest($1::text[]), now(), now()`,
        [part],
      );
  }

  async addDeltaEach(writes: readonly DeltaWrite[]): Promise<number> {
    let inserted = 0;
    for (const { documentId, delta } of writes) {
      const added = await this.addDeltas(documentId, [delta]);
      inserted += added;
    }
    return inserted;
  }

  async addDeltaConcurrently(writes: readonly DeltaWrite[], callers: number): Promise<number> {
    let inserted = 0;
    await withCallers(writes, callers, async ({ documentId, delta }) => {
      const added = await this.addDeltas(documentId, [delta]);
      inserted += added;
    });
    return inserted;
  }

  async addDeltasInBatches(batches: readonly DeltaBatch[]): Promise<number> {
    let inserted = 0;
    for (const { documentId, deltas } of batches) {
      const added = await this.addDeltas(documentId, deltas);
      inserted += added;
    }
    return inserted;
  }

  async getDeltasSince(documentId: string, since: VectorClock): Promise<number> {
    const { rows } = await this.pool.query<DeltaRow>(CATCH_UP, [documentId, JSON.stringify(since)]);
    return rows.map(toDelta).length;
  }

  async getChangesSince(documentId: string, since: VectorClock): Promise<number> {
    return this.transaction('begin isolation level repeatable read read only', async (client) => {
      const { rows } = await client.query<{ data: Buffer | null; snapshot_clock: Record<string, number> | null }>(
        DOCUMENT_WITH_SNAPSHOT,
        [documentId],
      );
      const snapshotClock = rows[0]?.snapshot_clock ?? null;
      let seen: VectorClock = since;
      if (snapshotClock && !this.clocks.clockCovers(since, snapshotClock))
        seen = this.clocks.mergeClocks(since, snapshotClock);
      const deltas = await client.query<DeltaRow>(CATCH_UP, [documentId, JSON.stringify(seen)]);
      return deltas.rows.map(toDelta).length;
    });
  }

  async compactDeltas(documentId: string, upToClock: VectorClock): Promise<number> {
    return this.transaction('begin', async (client) => {
      // Writers of the document wait while its deltas go.
      await client.query('select 1 from sync_documents where id = $1 for no key update', [documentId]);
      const { rows } = await client.query<{ removed: number }>(COMPACT, [documentId, JSON.stringify(upToClock)]);
      return rows[0]!.removed;
    });
  }

  async saveSnapshot(documentId: string, data: Uint8Array, vectorClock: VectorClock): Promise<void> {
    await this.transaction('begin', async (client) => {
      await client.query(LOCK_DOCUMENT, [documentId]);
      const { rows } = await client.query<{ vector_clock: Record<string, number> }>(
        'select vector_clock from sync_snapshots where document_id = $1',
        [documentId],
      );
      if (rows[0] && !this.clocks.clockCovers(vectorClock, rows[0].vector_clock)) throw new Error('stale snapshot');
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      await client.query(SAVE_SNAPSHOT, [documentId, bytes, JSON.stringify(vectorClock)]);
    });
  }

  async getSnapshot(documentId: string): Promise<number> {
    const { rows } = await this.pool.query<{ data: Buffer }>(
      'select data, vector_clock, created_at from sync_snapshots where document_id = $1',
      [documentId],
    );
    return rows[0]!.data.byteLength;
  }

  async setAwareness(documentId: string, clientId: string, state: JsonValue, clock: number): Promise<boolean> {
    const result = await this.pool.query(SET_AWARENESS, [
      documentId,
      clientId,
      JSON.stringify(state),
      clock,
      AWARENESS_TIMEOUT_MS,
    ]);
    return result.rowCount === 1;
  }

  async getAllAwareness(documentId: string): Promise<number> {
    const { rows } = await this.pool.query<{ state: string; clock: string }>(GET_ALL_AWARENESS, [documentId]);
    return rows.map((row) => ({ ...row, state: JSON.parse(row.state) as JsonValue, clock: Number(row.clock) })).length;
  }

  async pageDocumentIds(pageSize: number): Promise<number> {
    let count = 0;
    let cursor: string | null = null;
    for (;;) {
      const page: pg.QueryResult<{ id: string }> =
        cursor === null
          ? await this.pool.query('select id from sync_documents order by id limit $1', [pageSize])
          : await this.pool.query('select id from sync_documents where id > $1 order by id limit $2', [
              cursor,
              pageSize,
            ]);
      const rows = page.rows;
      count += rows.length;
      if (rows.length < pageSize) return count;
      cursor = rows[rows.length - 1]!.id;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** One transaction of insert-if-new and clock merge, as `addDelta`/`addDeltas` promise. */
  private async addDeltas(documentId: string, deltas: readonly StoredDelta[]): Promise<number> {
    const lock = LOCK_DOCUMENT.replace('$1', literal(documentId));
    // Several statements in one query come back as one result each.
    const results = (await this.pool.query(
      `${lock};\n${insertDeltasSql(documentId, deltas)}`,
    )) as unknown as pg.QueryResult<{
      inserted: number;
    }>[];
    return results[1]!.rows[0]?.inserted ?? 0;
  }

  private async transaction<T>(begin: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function toDelta(row: DeltaRow): StoredDelta {
  return {
    id: row.id,
    clientId: row.client_id,
    timestamp: Number(row.timestamp),
    data: JSON.parse(row.data) as JsonValue,
    vectorClock: row.vector_clock,
  };
}
