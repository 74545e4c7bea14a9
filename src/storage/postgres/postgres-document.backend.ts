import type { DocumentBackend } from '../contract/backend.js';
import { clockAfterSnapshot, clockCovers } from '../contract/clocks.js';
import { StaleSnapshotError } from '../contract/errors.js';
import type { ChangesSince, DocumentSnapshot, StoredDelta, SyncDocument, VectorClock } from '../contract/types.js';
import type { PreparedDelta } from '../contract/validation.js';
import { PerDocumentQueue } from './per-document-queue.js';
import type { PostgresDatabase, SqlExecutor } from './postgres-database.js';
import { catchUpStatement, inSeqOrderStatement, toStoredDelta, type DeltaRow } from './sql/catch-up.sql.js';
import {
  DOCUMENT_COLUMNS,
  compactDeltasStatement,
  createDocumentStatement,
  insertDeltasStatement,
  lockDocumentStatement,
  saveSnapshotStatement,
} from './sql/document-writes.sql.js';
import { timestampToMs, type SqlStatement } from './sql/sql-fragments.js';
import type { QualifiedTables } from './storage-tables.js';

interface DocumentRow {
  id: string;
  vector_clock: Record<string, number>;
  created_ms: string;
  updated_ms: string;
}

interface SnapshotRow {
  data: Buffer;
  vector_clock: Record<string, number>;
  created_ms: string;
}

/**
 * The postgres driver's documents. Every write to a document first locks its row, so writers of one
 * document run one at a time across every instance: delta sequence numbers follow commit order, clock
 * merges never lose an update, and snapshot checks and compaction see a stable state. Within this
 * process, writes to a document are also queued in call order. Arguments arrive validated.
 */
export class PostgresDocumentBackend implements DocumentBackend {
  private readonly t: QualifiedTables;
  private readonly writes: PerDocumentQueue;

  constructor(private readonly db: PostgresDatabase) {
    this.t = db.tables;
    this.writes = new PerDocumentQueue(db.acquireTimeoutMs);
  }

  getOrCreate(documentId: string): Promise<SyncDocument> {
    return this.writes.run(documentId, async () => {
      for (;;) {
        const [created] = await run<DocumentRow>(this.db, createDocumentStatement(this.t, documentId, Date.now()));
        if (created) return toDocument(created);
        // It existed, or a concurrent call created it first (the insert waited for that commit);
        // if it is deleted before we read it, create it again.
        const existing = await this.get(documentId);
        if (existing) return existing;
      }
    });
  }

  async get(documentId: string): Promise<SyncDocument | null> {
    const [row] = await this.db.query<DocumentRow>(`select ${DOCUMENT_COLUMNS} from ${this.t.documents} where id = ?`, [
      documentId,
    ]);
    return row ? toDocument(row) : null;
  }

  async exists(documentId: string): Promise<boolean> {
    const rows = await this.db.query(`select 1 from ${this.t.documents} where id = ?`, [documentId]);
    return rows.length > 0;
  }

  delete(documentId: string): Promise<boolean> {
    return this.writes.run(documentId, async () => {
      // One statement: the awareness entries go with the document (deltas and snapshot cascade).
      const rows = await this.db.query(
        `with presence as (delete from ${this.t.awareness} where document_id = ?)
         delete from ${this.t.documents} where id = ? returning 1`,
        [documentId, documentId],
      );
      return rows.length > 0;
    });
  }

  async getDocumentIds(limit: number, cursor: string | null): Promise<string[]> {
    const rows =
      cursor === null
        ? await this.db.query<{ id: string }>(`select id from ${this.t.documents} order by id limit ?`, [limit])
        : await this.db.query<{ id: string }>(`select id from ${this.t.documents} where id > ? order by id limit ?`, [
            cursor,
            limit,
          ]);
    return rows.map((row) => row.id);
  }

  addDeltas(documentId: string, deltas: readonly PreparedDelta[]): Promise<number> {
    return this.writes.run(documentId, async () => {
      const now = Date.now();
      // One round trip, one transaction: lock the row, then store and merge in a statement whose
      // snapshot is taken after the lock, so it sees every earlier writer's commit.
      const [, inserted] = await this.db.batch([
        lockDocumentStatement(this.t, documentId, now),
        insertDeltasStatement(this.t, documentId, deltas, now),
      ]);
      const row = inserted?.[0] as { inserted: string } | undefined;
      return row ? Number(row.inserted) : 0;
    });
  }

  async getDeltasSince(documentId: string, since: VectorClock | null): Promise<StoredDelta[]> {
    return this.readDeltas(this.db, documentId, since);
  }

  async *iterateDeltasSince(
    documentId: string,
    since: VectorClock | null,
    batchSize: number,
  ): AsyncIterable<StoredDelta> {
    // Pages follow seq, which is commit order, so a delta committed while we page is never skipped.
    // A full first page means a large catch-up: later pages walk seq order rather than re-reading
    // every author's counter range.
    let afterSeq = -1;
    for (let first = true; ; first = false) {
      const page = { afterSeq, limit: batchSize };
      const statement = first
        ? catchUpStatement(this.t, documentId, since, page)
        : inSeqOrderStatement(this.t, documentId, since, page);
      const rows = await run<DeltaRow>(this.db, statement);
      for (const row of rows) yield toStoredDelta(row);
      if (rows.length < batchSize) return;
      afterSeq = Number(rows[rows.length - 1]!.seq);
    }
  }

  async getChangesSince(documentId: string, since: VectorClock | null): Promise<ChangesSince> {
    return this.db.transaction(
      async (tx) => {
        const [head] = await tx.query<{
          vector_clock: Record<string, number>;
          snapshot_clock: Record<string, number> | null;
        }>(
          `select doc.vector_clock, snapshot.vector_clock as snapshot_clock
           from ${this.t.documents} as doc
           left join ${this.t.snapshots} as snapshot on snapshot.document_id = doc.id
           where doc.id = ?`,
          [documentId],
        );
        if (!head) return { snapshot: null, deltas: [], vectorClock: {} };
        const seen = clockAfterSnapshot(since, head.snapshot_clock);
        const snapshot = seen ? await this.readSnapshot(tx, documentId) : null;
        return {
          snapshot,
          deltas: await this.readDeltas(tx, documentId, seen ?? since),
          vectorClock: head.vector_clock,
        };
      },
      { repeatableRead: true, readOnly: true },
    );
  }

  async getVectorClock(documentId: string): Promise<VectorClock> {
    const [row] = await this.db.query<{ vector_clock: Record<string, number> }>(
      `select vector_clock from ${this.t.documents} where id = ?`,
      [documentId],
    );
    return row?.vector_clock ?? {};
  }

  saveSnapshot(documentId: string, data: Uint8Array, vectorClock: VectorClock): Promise<void> {
    return this.writes.run(documentId, () =>
      this.db.transaction(async (tx) => {
        const now = Date.now();
        await run(tx, lockDocumentStatement(this.t, documentId, now));
        const [previous] = await tx.query<{ vector_clock: Record<string, number> }>(
          `select vector_clock from ${this.t.snapshots} where document_id = ?`,
          [documentId],
        );
        // Compaction may already rely on the stored snapshot: never step back from it.
        if (previous && !clockCovers(vectorClock, previous.vector_clock)) throw new StaleSnapshotError(documentId);
        await run(tx, saveSnapshotStatement(this.t, documentId, data, vectorClock, now));
      }),
    );
  }

  async getSnapshot(documentId: string): Promise<DocumentSnapshot | null> {
    return this.readSnapshot(this.db, documentId);
  }

  compactDeltas(documentId: string, upToClock: VectorClock): Promise<number> {
    return this.writes.run(documentId, () =>
      this.db.transaction(async (tx) => {
        // The same row lock as the writers: no snapshot replacement or delta insert runs meanwhile.
        const locked = await tx.query(`select 1 from ${this.t.documents} where id = ? for no key update`, [documentId]);
        if (locked.length === 0) return 0;
        const [row] = await run<{ removed: string }>(tx, compactDeltasStatement(this.t, documentId, upToClock));
        return Number(row!.removed);
      }),
    );
  }

  private async readDeltas(
    executor: SqlExecutor,
    documentId: string,
    since: VectorClock | null,
  ): Promise<StoredDelta[]> {
    const rows = await run<DeltaRow>(executor, catchUpStatement(this.t, documentId, since));
    return rows.map(toStoredDelta);
  }

  private async readSnapshot(executor: SqlExecutor, documentId: string): Promise<DocumentSnapshot | null> {
    const [row] = await executor.query<SnapshotRow>(
      `select data, vector_clock, ${timestampToMs('created_at')} as created_ms from ${this.t.snapshots} where document_id = ?`,
      [documentId],
    );
    if (!row) return null;
    return {
      data: new Uint8Array(row.data),
      vectorClock: row.vector_clock,
      createdAt: new Date(Number(row.created_ms)),
    };
  }
}

function run<Row extends object>(executor: SqlExecutor, statement: SqlStatement): Promise<Row[]> {
  return executor.query<Row>(statement.sql, statement.params);
}

function toDocument(row: DocumentRow): SyncDocument {
  return {
    id: row.id,
    vectorClock: row.vector_clock,
    createdAt: new Date(Number(row.created_ms)),
    updatedAt: new Date(Number(row.updated_ms)),
  };
}
