import type { BackendHistoryPoint, BackendVersionPage } from '../contract/backend.js';
import { copyClock, mergeInto } from '../contract/clocks.js';
import { HistoryUnavailableError } from '../contract/errors.js';
import type { ChangesAt, ChangesSince } from '../contract/types.js';
import type { PostgresDatabase, SqlExecutor } from './postgres-database.js';
import { toStoredDelta, type DeltaRow } from './sql/catch-up.sql.js';
import {
  deltasAtStatement,
  endedLastPointStatement,
  documentHeadStatement,
  eraseStatement,
  givenIncarnation,
  historyPointStatement,
  latestIncarnation,
  lastRowAtStatement,
  pruneHistoryStatement,
  versionsStatement,
  type DocumentHeadRow,
  type IncarnationBounds,
  type LastRowAtRow,
  type LoggedVersion,
  type PointRow,
  type VersionRow,
} from './sql/history.sql.js';

/** How many kept rows of each history table one pruning statement removes. */
const PRUNE_BATCH = 1_000;

/** The live document as a history read starts from it (null: it does not exist). */
interface Head {
  version: number;
  nextSeq: number;
  /** The current version's log row as the change-log pruning kept it, when it removed that row. */
  logged: LoggedVersion | null;
}

/** An incarnation to read, with the live document's head when it is the live one. */
interface Target {
  bounds: IncarnationBounds;
  head: Head | null;
}

/**
 * The postgres driver's history reads, erase and pruning. The writes that fill the history tables are the
 * snapshot and compaction functions, told by `retain` whether to (see Migration20261207130000_history), and
 * `delete`, which keeps the incarnation it ends (see Migration20261207140000_history_after_delete).
 *
 * Which incarnation a read names (docs/CONTRACT.md, History): a version number, the live document's, or
 * while the document does not exist, the incarnation deleted last; a time, the incarnation that existed then.
 */
export class PostgresHistory {
  constructor(
    private readonly db: PostgresDatabase,
    private readonly retentionMs: number,
  ) {}

  /** Whether compaction, snapshot replacement and `delete` keep what they remove. */
  get retains(): boolean {
    return this.retentionMs > 0;
  }

  /** At most `limit` readable versions above `after`, oldest first; one REPEATABLE READ transaction. */
  versions(documentId: string, limit: number, after: number | null): Promise<BackendVersionPage> {
    return this.db.transaction(
      async (tx) => {
        const t = this.db.tables;
        const head = await this.head(tx, documentId);
        const source = latestIncarnation(t, documentId, this.retentionMs);
        const rows = await tx.rows<VersionRow>(
          versionsStatement(t, documentId, source, this.retentionMs, after ?? 0, limit + 1),
        );
        const versions = rows.map((row) => ({
          version: Number(row.version),
          kind: row.kind,
          at: new Date(Number(row.at_ms)),
          clientIds: row.client_ids,
        }));
        // The current version's log row may be pruned already: the document keeps what it said.
        const logged = head?.logged;
        if (logged && logged.version > (after ?? 0) && versions.at(-1)?.version !== logged.version)
          versions.push({
            version: logged.version,
            kind: logged.kind,
            at: new Date(logged.at_ms),
            clientIds: logged.client_ids,
          });
        const more = versions.length > limit;
        if (more) versions.length = limit;
        return { versions, next: more ? versions[versions.length - 1]!.version : null };
      },
      { repeatableRead: true, readOnly: true },
    );
  }

  /**
   * The document right after the version `at` names, read in one REPEATABLE READ transaction. The live
   * document's current version is read like `getChangesSince(null)` (`current`); an older one from the snapshot
   * in effect then and the deltas stored by then, live or kept: its cost follows the incarnation's deltas up to
   * that version (all of them for an ended incarnation). By version: two statements, the incarnation and the
   * version found in one, then the deltas.
   */
  changesAt(
    documentId: string,
    at: BackendHistoryPoint,
    current: (tx: SqlExecutor) => Promise<ChangesSince & { version: number }>,
  ): Promise<ChangesAt> {
    return this.db.transaction((tx) => this.changesAtIn(tx, documentId, at, current), {
      repeatableRead: true,
      readOnly: true,
    });
  }

  /** `changesAt` in a transaction of the caller's (REPEATABLE READ, so that its reads share one view). */
  async changesAtIn(
    tx: SqlExecutor,
    documentId: string,
    at: BackendHistoryPoint,
    current: (tx: SqlExecutor) => Promise<ChangesSince & { version: number }>,
  ): Promise<ChangesAt> {
    const t = this.db.tables;
    const unavailable = (version: number | null) =>
      new HistoryUnavailableError(documentId, 'version' in at ? at.version : version);
    let row: PointRow | undefined;
    if ('version' in at) {
      [row] = await tx.rows<PointRow>(
        historyPointStatement(t, documentId, latestIncarnation(t, documentId, this.retentionMs), at, this.retentionMs),
      );
    } else {
      const found = await this.existingAt(tx, documentId, at.time);
      if (!found) throw unavailable(null);
      if (found === 'current') return current(tx);
      const { bounds, head, deletionFresh } = found;
      const source = givenIncarnation(bounds, head?.version ?? null, head?.nextSeq ?? null, deletionFresh);
      [row] = await tx.rows<PointRow>(historyPointStatement(t, documentId, source, found.point, this.retentionMs));
    }
    const currentVersion = row!.live && row!.current_version !== null ? Number(row!.current_version) : null;
    if (row!.version === null && 'version' in at) {
      // The version's log row may be pruned already: the live document's current one, or the last one of an
      // ended incarnation (current until its delete).
      if (currentVersion === at.version) return current(tx);
      if (row!.live === false && row!.before_pos !== null) {
        const [last] = await tx.rows<PointRow>(
          endedLastPointStatement(t, documentId, Number(row!.before_pos), this.retentionMs),
        );
        if (last && Number(last.version) === at.version) row = last;
      }
    }
    if (!row || row.version === null) throw unavailable(null);
    const version = Number(row.version);
    if (version === currentVersion) return current(tx);
    if (!row.fresh) throw unavailable(version);
    const snapshotClock = row.snapshot_clock ?? {};
    const rows = await tx.rows<DeltaRow>(
      deltasAtStatement(t, documentId, Number(row.ended_by), Number(row.up_to_seq), snapshotClock),
    );
    const deltas = rows.map(toStoredDelta);
    const vectorClock = copyClock(snapshotClock);
    for (const delta of deltas) mergeInto(vectorClock, delta.vectorClock);
    return {
      snapshot:
        row.snapshot_data === null
          ? null
          : {
              data: new Uint8Array(row.snapshot_data),
              vectorClock: snapshotClock,
              createdAt: new Date(Number(row.snapshot_ms)),
            },
      deltas,
      vectorClock,
      version,
    };
  }

  /** Deletes every row naming the document in one statement; its version and erase position when it existed. */
  async erase(documentId: string): Promise<{ version: number; position: number } | null> {
    const [row] = await this.db.rows<{ out_version: string; out_position: string }>(
      eraseStatement(this.db.tables, documentId),
    );
    return row ? { version: Number(row.out_version), position: Number(row.out_position) } : null;
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

  /**
   * The incarnation that existed at `time` (Unix ms) and the position of its last log row by then: 'current'
   * when that is the live document's current version; null when the document did not exist then (deleted,
   * or not written yet).
   */
  private async existingAt(
    tx: SqlExecutor,
    documentId: string,
    time: number,
  ): Promise<(Target & { point: { position: number }; deletionFresh: boolean }) | 'current' | null> {
    const head = await this.head(tx, documentId);
    const logged = head?.logged;
    // The current version's log row was pruned, and it was written by then: nothing of the document came later.
    if (logged && logged.at_ms <= time) return 'current';
    const [row] = await tx.rows<LastRowAtRow>(lastRowAtStatement(this.db.tables, documentId, time, this.retentionMs));
    if (!row || row.kind === 'deleted') return null;
    const position = Number(row.position);
    const before = row.deleted_before === null ? 0 : Number(row.deleted_before);
    if (row.deleted_after === null) {
      if (!head) return null;
      return { bounds: { endedBy: 0, after: before, before: null }, head, point: { position }, deletionFresh: false };
    }
    const endedBy = Number(row.deleted_after);
    return {
      bounds: { endedBy, after: before, before: endedBy },
      head: null,
      point: { position },
      deletionFresh: row.deleted_after_fresh === true,
    };
  }

  /** The live document's head; null when it does not exist. */
  private async head(tx: SqlExecutor, documentId: string): Promise<Head | null> {
    const [row] = await tx.rows<DocumentHeadRow>(documentHeadStatement(this.db.tables, documentId));
    if (!row) return null;
    const version = Number(row.version);
    const logged = row.logged_version?.version === version ? row.logged_version : null;
    return { version, nextSeq: Number(row.next_seq), logged };
  }
}
