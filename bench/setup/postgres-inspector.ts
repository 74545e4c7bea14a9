import pg from 'pg';
import type { VectorClock } from '../../src/index.js';
import { CATCH_UP } from '../floors/postgres-floor.sql.js';

/** Direct access to a database holding the driver's tables, for set-up and diagnostics: never measured. */
export class PostgresInspector {
  private constructor(private readonly pool: pg.Pool) {}

  static open(url: string): PostgresInspector {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pool.on('error', () => undefined);
    return new PostgresInspector(pool);
  }

  /** Fresh planner statistics after a bulk load, so plans never depend on when autovacuum last ran. */
  async analyze(): Promise<void> {
    await this.pool.query('analyze sync_documents, sync_deltas');
  }

  /** How the catch-up query scans the delta table here, e.g. `Seq Scan` or `Index Scan using <index>`. */
  async catchUpPlan(documentId: string, since: VectorClock): Promise<string> {
    const { rows } = await this.pool.query<{ 'QUERY PLAN': string }>(`explain ${CATCH_UP}`, [
      documentId,
      JSON.stringify(since),
    ]);
    const scans = rows
      .map((row) => row['QUERY PLAN'])
      .filter((line) => / on sync_deltas/.test(line))
      .map((line) => /(\w[\w ]*Scan)(?: using (\S+))? on sync_deltas/.exec(line)!)
      .map(([, scan, index]) => (index ? `${scan} using ${index}` : scan!));
    return scans.join(' + ') || 'no scan of sync_deltas';
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
