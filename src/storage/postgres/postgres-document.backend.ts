import type { BackendHistoryPoint, BackendPage, BackendVersionPage, DocumentBackend } from '../contract/backend.js';
import { clockAfterSnapshot } from '../contract/clocks.js';
import {
  DeltaConflictError,
  documentAuthorsLimitError,
  forkTargetExistsError,
  SnapshotAheadError,
  StaleSnapshotError,
  StorageError,
} from '../contract/errors.js';
import type {
  ChangesAt,
  ChangesSince,
  DocumentSnapshot,
  StoredDelta,
  SyncDocument,
  VectorClock,
} from '../contract/types.js';
import type { PreparedDelta } from '../contract/validation.js';
import type { LoggedChange } from '../changes/postgres-change-feed.js';
import { DocumentWriteQueue, type CallOutcome } from './document-write-queue.js';
import type { PostgresDatabase, SqlExecutor } from './postgres-database.js';
import { SERIALIZATION_FAILURE, sqlState, UNIQUE_VIOLATION } from './postgres-errors.js';
import type { PostgresHistory } from './postgres-history.js';
import {
  catchUpStatement,
  firstPageStatement,
  toStoredDelta,
  unseenEstimateStatement,
  walkStatement,
  type DeltaRow,
} from './sql/catch-up.sql.js';
import {
  changesHeadStatement,
  documentExistsStatement,
  documentIdsStatement,
  getDocumentStatement,
  getSnapshotStatement,
  vectorClockStatement,
} from './sql/document-reads.sql.js';
import {
  addDeltasStatement,
  AUTHORS_LIMIT_SQLSTATE,
  compactDeltasStatement,
  createDocumentStatement,
  deleteDocumentStatement,
  lockDocumentStatement,
  saveSnapshotStatement,
  SNAPSHOT_AHEAD_SQLSTATE,
  type AddDeltasRow,
  type VersionedRow,
} from './sql/document-writes.sql.js';
import type { QualifiedTables } from './storage-tables.js';

interface DocumentRow {
  id: string;
  version: string;
  vector_clock: Record<string, number>;
  created_ms: string;
  updated_ms: string;
}

interface SnapshotRow {
  data: Buffer;
  vector_clock: Record<string, number>;
  created_ms: string;
}

/** Told of each committed content write (`issuedAt`: performance.now() before it was sent). */
export type AnnounceChange = (change: LoggedChange, issuedAt: number) => void;

/**
 * The postgres driver's documents. Every write to a document first locks its row, so writers of one document
 * run one at a time across every instance: delta sequence numbers follow commit order, clock merges never
 * lose an update, and snapshot checks and compaction see a stable state. Within this process the writes to a
 * document go through one queue, which also commits waiting `addDeltas` calls together. Arguments arrive validated.
 */
export class PostgresDocumentBackend implements DocumentBackend {
  private readonly t: QualifiedTables;
  private readonly writes: DocumentWriteQueue;

  constructor(
    private readonly db: PostgresDatabase,
    maxGroupDeltas: number,
    private readonly maxDocumentAuthors: number,
    private readonly announce: AnnounceChange,
    private readonly history: PostgresHistory,
    /** Told of each erase after it committed: other instances learn it from a hint, as no log row is left. */
    private readonly erased: (documentId: string, version: number, position: number) => void,
    /**
     * Resolves once this instance's subscriptions of the document have read where they start: an erase waits
     * for it, since it leaves no log row by which a start read after its commit would know it came later.
     */
    private readonly startsRead: (documentId: string) => Promise<void>,
  ) {
    this.t = db.tables;
    this.writes = new DocumentWriteQueue(db.state, db.acquireTimeoutMs, maxGroupDeltas, (documentId, calls) =>
      this.storeGroup(documentId, calls),
    );
  }

  getOrCreate(documentId: string): Promise<SyncDocument> {
    return this.writes.run(documentId, async () => {
      for (;;) {
        const [created] = await this.db.rows<DocumentRow>(createDocumentStatement(this.t, documentId, Date.now()));
        if (created) return toDocument(created);
        // It existed, or a concurrent call created it first (the insert waited for that commit);
        // if it is deleted before we read it, create it again.
        const existing = await this.get(documentId);
        if (existing) return existing;
      }
    });
  }

  async get(documentId: string): Promise<SyncDocument | null> {
    const [row] = await this.db.rows<DocumentRow>(getDocumentStatement(this.t, documentId));
    return row ? toDocument(row) : null;
  }

  async exists(documentId: string): Promise<boolean> {
    return (await this.db.rows(documentExistsStatement(this.t, documentId))).length > 0;
  }

  /** Locks the document, then deletes it; with retention on, the incarnation it ends stays in the history tables. */
  delete(documentId: string): Promise<boolean> {
    return this.writes.run(documentId, async () => {
      const issuedAt = performance.now();
      const row = await this.db.transaction(async (tx) => {
        // Without a document, the statement still removes the awareness entries under its id.
        await tx.rows(lockDocumentStatement(this.t, documentId));
        const statement = deleteDocumentStatement(this.t, documentId, this.db.feed.origin, this.history.retains);
        return (await tx.rows<VersionedRow>(statement))[0];
      });
      if (!row) return false;
      this.announceRow(documentId, 'deleted', row, issuedAt);
      return true;
    });
  }

  async getDocumentIds(limit: number, cursor: string | null): Promise<string[]> {
    const rows = await this.db.rows<{ id: string }>(documentIdsStatement(this.t, limit, cursor));
    return rows.map((row) => row.id);
  }

  addDeltas(documentId: string, deltas: readonly PreparedDelta[]): Promise<number> {
    return this.writes.addDeltas(documentId, deltas);
  }

  async getDeltasSince(documentId: string, since: VectorClock | null): Promise<StoredDelta[]> {
    return this.readDeltas(this.db, documentId, since);
  }

  async getDeltasPage(
    documentId: string,
    since: VectorClock | null,
    limit: number,
    after: number | null,
  ): Promise<BackendPage> {
    // Pages follow seq, which is commit order, so a delta committed while a client pages is never skipped. The
    // first page of a catch-up walks the log or reads by author, whichever costs less (see firstPageStatement);
    // later ones walk seq order from where the last page stopped.
    let statement = walkStatement(this.t, documentId, since, { afterSeq: after ?? -1, limit: limit + 1 });
    if (after === null && since !== null) {
      const [estimate] = await this.db.rows<{ stored: string; unseen: string; behind: string; by_author: string }>(
        unseenEstimateStatement(this.t, documentId, since, limit + 1),
      );
      statement = firstPageStatement(this.t, documentId, since, limit + 1, {
        stored: Number(estimate!.stored),
        unseen: Number(estimate!.unseen),
        behind: Number(estimate!.behind),
        byAuthor: Number(estimate!.by_author),
      });
    }
    const rows = await this.db.rows<DeltaRow>(statement);
    const more = rows.length > limit;
    if (more) rows.length = limit;
    return { deltas: rows.map(toStoredDelta), next: more ? Number(rows[rows.length - 1]!.seq) : null };
  }

  async getChangesSince(documentId: string, since: VectorClock | null): Promise<ChangesSince> {
    // Three reads in one REPEATABLE READ transaction: the snapshot, the deltas and the clock of one moment.
    return this.db.transaction(async (tx) => this.changesIn(tx, documentId, since), {
      repeatableRead: true,
      readOnly: true,
    });
  }

  getVersions(documentId: string, limit: number, after: number | null): Promise<BackendVersionPage> {
    return this.history.versions(documentId, limit, after);
  }

  getChangesAt(documentId: string, at: BackendHistoryPoint): Promise<ChangesAt> {
    return this.history.changesAt(documentId, at, (tx) => this.currentIn(tx, documentId));
  }

  /**
   * The document now, with its version, read in `tx`'s view. Unlike `getChangesSince(null)` it answers a
   * snapshot whose clock is empty too: its bytes are part of the document (the memory driver answers it alike).
   */
  private async currentIn(tx: SqlExecutor, documentId: string): Promise<ChangesAt> {
    const changes = await this.changesIn(tx, documentId, null);
    return {
      ...changes,
      snapshot: changes.snapshot ?? (await this.readSnapshot(tx, documentId)),
      version: (await this.getIn(tx, documentId))?.version ?? 0,
    };
  }

  /**
   * Removes every row naming the document. Its `deleted` change takes a log position but leaves no log row: this
   * instance publishes it, and others learn it from the erase hint (see PostgresChangeFeed.erased).
   */
  erase(documentId: string): Promise<boolean> {
    return this.writes.run(documentId, async () => {
      const issuedAt = performance.now();
      await this.startsRead(documentId);
      const erased = await this.history.erase(documentId);
      if (!erased) return false;
      const { version, position } = erased;
      const origin = this.db.feed.origin;
      this.announce({ position, documentId, version, kind: 'deleted', deltaCount: null, ids: null, origin }, issuedAt);
      this.erased(documentId, version, position);
      return true;
    });
  }

  /**
   * Reads the source at that point and writes the target in one transaction: the source is read in one
   * REPEATABLE READ view, and the target's row is inserted first (a target another call created meanwhile
   * fails the insert), so the target is written whole or not at all.
   */
  forkDocument(
    sourceId: string,
    at: BackendHistoryPoint,
    targetId: string,
    prepare: (deltas: readonly StoredDelta[]) => PreparedDelta[],
  ): Promise<SyncDocument> {
    return this.writes.run(targetId, async () => {
      const issuedAt = performance.now();
      const written = await this.db
        .transaction(
          async (tx) => {
            const [created] = await tx.rows<DocumentRow>(createDocumentStatement(this.t, targetId, Date.now()));
            if (!created) throw forkTargetExistsError();
            const content = await this.history.changesAtIn(tx, sourceId, at, (view) => this.currentIn(view, sourceId));
            const deltas = prepare(content.deltas);
            const rows: { kind: 'snapshot' | 'deltas'; row: VersionedRow | AddDeltasRow[] }[] = [];
            if (content.snapshot) {
              const { data, vectorClock } = content.snapshot;
              const [row] = await tx.rows<VersionedRow & { out_saved: boolean }>(
                saveSnapshotStatement(this.t, targetId, data, vectorClock, Date.now(), {
                  allowClockAhead: true,
                  maxAuthors: this.maxDocumentAuthors,
                  origin: this.db.feed.origin,
                  retain: this.history.retains,
                }),
              );
              rows.push({ kind: 'snapshot', row: row! });
            }
            if (deltas.length > 0) {
              const added = await tx.rows<AddDeltasRow>(
                addDeltasStatement(this.t, targetId, [deltas], Date.now(), {
                  maxAuthors: this.maxDocumentAuthors,
                  origin: this.db.feed.origin,
                }),
              );
              rows.push({ kind: 'deltas', row: added });
            }
            return { rows, document: await this.getIn(tx, targetId) };
          },
          { repeatableRead: true },
        )
        .catch((error: unknown) => {
          // Another call created the target after this transaction's view was taken.
          if (raisedBy(error, UNIQUE_VIOLATION) || raisedBy(error, SERIALIZATION_FAILURE))
            throw forkTargetExistsError();
          throw error;
        });
      for (const { kind, row } of written.rows)
        if (kind === 'snapshot') this.announceRow(targetId, 'snapshot', row as VersionedRow, issuedAt);
        else this.announceDeltas(targetId, row as AddDeltasRow[], issuedAt);
      return written.document!;
    });
  }

  private async getIn(executor: SqlExecutor, documentId: string): Promise<SyncDocument | null> {
    const [row] = await executor.rows<DocumentRow>(getDocumentStatement(this.t, documentId));
    return row ? toDocument(row) : null;
  }

  private async changesIn(tx: SqlExecutor, documentId: string, since: VectorClock | null): Promise<ChangesSince> {
    const [head] = await tx.rows<{
      vector_clock: Record<string, number>;
      snapshot_clock: Record<string, number> | null;
    }>(changesHeadStatement(this.t, documentId));
    if (!head) return { snapshot: null, deltas: [], vectorClock: {} };
    const seen = clockAfterSnapshot(since, head.snapshot_clock);
    const snapshot = seen ? await this.readSnapshot(tx, documentId) : null;
    return {
      snapshot,
      deltas: await this.readDeltas(tx, documentId, seen ?? since),
      vectorClock: head.vector_clock,
    };
  }

  async getVectorClock(documentId: string): Promise<VectorClock> {
    const [row] = await this.db.rows<{ vector_clock: Record<string, number> }>(
      vectorClockStatement(this.t, documentId),
    );
    return row!.vector_clock;
  }

  saveSnapshot(
    documentId: string,
    data: Uint8Array,
    vectorClock: VectorClock,
    allowClockAhead: boolean,
  ): Promise<void> {
    return this.writes.run(documentId, async () => {
      const issuedAt = performance.now();
      const statement = saveSnapshotStatement(this.t, documentId, data, vectorClock, Date.now(), {
        allowClockAhead,
        maxAuthors: this.maxDocumentAuthors,
        origin: this.db.feed.origin,
        retain: this.history.retains,
      });
      const [row] = await this.db.rows<VersionedRow & { out_saved: boolean }>(statement).catch((error: unknown) => {
        if (raisedBy(error, SNAPSHOT_AHEAD_SQLSTATE)) throw new SnapshotAheadError(documentId);
        if (raisedBy(error, AUTHORS_LIMIT_SQLSTATE))
          throw documentAuthorsLimitError(documentId, this.maxDocumentAuthors);
        throw error;
      });
      if (!row!.out_saved) throw new StaleSnapshotError(documentId);
      this.announceRow(documentId, 'snapshot', row!, issuedAt);
    });
  }

  async getSnapshot(documentId: string): Promise<DocumentSnapshot | null> {
    return this.readSnapshot(this.db, documentId);
  }

  compactDeltas(documentId: string, upToClock: VectorClock): Promise<number> {
    return this.writes.run(documentId, async () => {
      const issuedAt = performance.now();
      const [row] = await this.db.rows<VersionedRow & { out_removed: string }>(
        compactDeltasStatement(this.t, documentId, upToClock, this.db.feed.origin, this.history.retains),
      );
      const removed = Number(row!.out_removed);
      if (removed > 0) this.announceRow(documentId, 'compacted', row!, issuedAt);
      return removed;
    });
  }

  /** Rejects the writes still waiting in this process (the provider is closing). */
  close(): void {
    this.writes.close();
  }

  /**
   * One transaction for the group. The author bound is checked for the whole group at once; when the group
   * would pass it, its calls run again one by one, so the bound refuses only the calls that pass it.
   */
  private async storeGroup(documentId: string, calls: readonly (readonly PreparedDelta[])[]): Promise<CallOutcome[]> {
    try {
      return await this.storeCalls(documentId, calls);
    } catch (error) {
      if (!raisedBy(error, AUTHORS_LIMIT_SQLSTATE)) throw error;
      if (calls.length === 1) return [{ error: documentAuthorsLimitError(documentId, this.maxDocumentAuthors) }];
      const outcomes: CallOutcome[] = [];
      for (const call of calls) outcomes.push(...(await this.storeGroup(documentId, [call])));
      return outcomes;
    }
  }

  private async storeCalls(documentId: string, calls: readonly (readonly PreparedDelta[])[]): Promise<CallOutcome[]> {
    const issuedAt = performance.now();
    const rows = await this.db.rows<AddDeltasRow>(
      addDeltasStatement(this.t, documentId, calls, Date.now(), {
        maxAuthors: this.maxDocumentAuthors,
        origin: this.db.feed.origin,
      }),
    );
    this.announceDeltas(documentId, rows, issuedAt);
    return rows.map((row) =>
      row.out_conflict_id === null
        ? { added: row.out_added }
        : { error: new DeltaConflictError(documentId, row.out_conflict_id, row.out_existing_id!) },
    );
  }

  /** One change per version the group took (calls committed in one transaction share one), ids in storage order. */
  private announceDeltas(documentId: string, rows: readonly AddDeltasRow[], issuedAt: number): void {
    let change: LoggedChange | undefined;
    for (const row of rows) {
      if (row.out_position === null || row.out_added === 0) continue;
      const position = Number(row.out_position);
      if (change?.position !== position) {
        if (change) this.announce(change, issuedAt);
        change = {
          position,
          documentId,
          version: Number(row.out_version),
          kind: 'deltas',
          deltaCount: 0,
          ids: [],
          origin: this.db.feed.origin,
        };
      }
      change.ids!.push(...(row.out_ids ?? []));
      change.deltaCount = change.ids!.length;
    }
    if (change) this.announce(change, issuedAt);
  }

  private announceRow(documentId: string, kind: LoggedChange['kind'], row: VersionedRow, issuedAt: number): void {
    if (row.out_position === null) return;
    const position = Number(row.out_position);
    const version = Number(row.out_version);
    const origin = this.db.feed.origin;
    this.announce({ position, documentId, version, kind, deltaCount: null, ids: null, origin }, issuedAt);
  }

  private async readDeltas(
    executor: SqlExecutor,
    documentId: string,
    since: VectorClock | null,
  ): Promise<StoredDelta[]> {
    const rows = await executor.rows<DeltaRow>(catchUpStatement(this.t, documentId, since));
    return rows.map(toStoredDelta);
  }

  private async readSnapshot(executor: SqlExecutor, documentId: string): Promise<DocumentSnapshot | null> {
    const [row] = await executor.rows<SnapshotRow>(getSnapshotStatement(this.t, documentId));
    if (!row) return null;
    return {
      data: new Uint8Array(row.data),
      vectorClock: row.vector_clock,
      createdAt: new Date(Number(row.created_ms)),
    };
  }
}

/** True when `error` is the driver's wrapping of an exception the storage's SQL raised with `sqlstate`. */
function raisedBy(error: unknown, sqlstate: string): boolean {
  return error instanceof StorageError && sqlState(error.cause) === sqlstate;
}

function toDocument(row: DocumentRow): SyncDocument {
  return {
    id: row.id,
    vectorClock: row.vector_clock,
    createdAt: new Date(Number(row.created_ms)),
    updatedAt: new Date(Number(row.updated_ms)),
    version: Number(row.version),
  };
}
