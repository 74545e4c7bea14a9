import type { BackendHistoryPoint, BackendVersionPage } from '../contract/backend.js';
import { copyClock, mergeInto } from '../contract/clocks.js';
import { HistoryUnavailableError } from '../contract/errors.js';
import type { ChangesAt, ChangesSince } from '../contract/types.js';
import type { PostgresDatabase, SqlExecutor } from './postgres-database.js';
import { toStoredDelta, type DeltaRow } from './sql/catch-up.sql.js';
import {
  deltasAtStatement,
  eraseStatement,
  historyPointStatement,
  pruneHistoryStatement,
  versionsStatement,
  type PointRow,
  type VersionRow,
} from './sql/history.sql.js';

/** How many kept rows of each history table one pruning statement removes. */
const PRUNE_BATCH = 1_000;

/**
 * The postgres driver's history reads, erase and pruning. The writes that fill the history tables are the
 * snapshot and compaction functions, told by `retain` whether to (see Migration20261207130000_history).
 */
export class PostgresHistory {
  constructor(
    private readonly db: PostgresDatabase,
    private readonly retentionMs: number,
  ) {}

  /** Whether compaction and snapshot replacement keep what they remove. */
  get retains(): boolean {
    return this.retentionMs > 0;
  }

  /** At most `limit` readable versions above `after`, oldest first; one statement. */
  async versions(documentId: string, limit: number, after: number | null): Promise<BackendVersionPage> {
    const rows = await this.db.rows<VersionRow>(
      versionsStatement(this.db.tables, documentId, this.retentionMs, after ?? 0, limit + 1),
    );
    const more = rows.length > limit;
    if (more) rows.length = limit;
    return {
      versions: rows.map((row) => ({
        version: Number(row.version),
        kind: row.kind,
        at: new Date(Number(row.at_ms)),
        clientIds: row.client_ids,
      })),
      next: more ? Number(rows[rows.length - 1]!.version) : null,
    };
  }

  /**
   * The document right after the version `at` names, read in one REPEATABLE READ transaction. The current
   * version is read like `getChangesSince(null)` (`current`); an older one from the snapshot in effect then and
   * the deltas stored by then, live or kept: its cost follows the document's deltas up to that version.
   */
  changesAt(
    documentId: string,
    at: BackendHistoryPoint,
    current: (tx: SqlExecutor) => Promise<ChangesSince & { version: number }>,
  ): Promise<ChangesAt> {
    const t = this.db.tables;
    return this.db.transaction(
      async (tx) => {
        const [point] = await tx.rows<PointRow>(historyPointStatement(t, documentId, at, this.retentionMs));
        if (!point) {
          // The log row of a long-unchanged current version may be pruned already.
          const now = await current(tx);
          if ('version' in at && now.version === at.version) return now;
          throw new HistoryUnavailableError(documentId, 'version' in at ? at.version : null);
        }
        const version = Number(point.version);
        if (point.current) return current(tx);
        if (!point.fresh) throw new HistoryUnavailableError(documentId, version);
        const snapshot =
          point.snapshot_data === null
            ? null
            : { data: point.snapshot_data, vector_clock: point.snapshot_clock!, created_ms: point.snapshot_ms! };
        const snapshotClock = snapshot?.vector_clock ?? {};
        const rows = await tx.rows<DeltaRow>(deltasAtStatement(t, documentId, Number(point.up_to_seq), snapshotClock));
        const deltas = rows.map(toStoredDelta);
        const vectorClock = copyClock(snapshotClock);
        for (const delta of deltas) mergeInto(vectorClock, delta.vectorClock);
        return {
          snapshot: snapshot
            ? {
                data: new Uint8Array(snapshot.data),
                vectorClock: snapshot.vector_clock,
                createdAt: new Date(Number(snapshot.created_ms)),
              }
            : null,
          deltas,
          vectorClock,
          version,
        };
      },
      { repeatableRead: true, readOnly: true },
    );
  }

  /** Deletes every row naming the document in one statement; true when the document existed. */
  async erase(documentId: string): Promise<boolean> {
    const [row] = await this.db.rows<{ erased: number }>(eraseStatement(this.db.tables, documentId));
    return row!.erased > 0;
  }

  /** Removes kept rows past retention, `PRUNE_BATCH` per table and statement, at most ten statements a run. */
  async prune(): Promise<number> {
    if (this.retentionMs === 0) return 0;
    let removed = 0;
    for (let batch = 0; batch < 10; batch++) {
      const [row] = await this.db.rows<{ removed: string }>(
        pruneHistoryStatement(this.db.tables, this.retentionMs, PRUNE_BATCH),
      );
      removed += Number(row!.removed);
      if (Number(row!.removed) === 0) break;
    }
    return removed;
  }
}
