import { createHash } from 'node:crypto';
import type { DocumentBackend, StorageLimits } from './backend.js';
import { StorageValidationError } from './errors.js';
import type {
  ChangesAt,
  ChangesSince,
  DeltasPage,
  DocumentIdPage,
  DocumentSnapshot,
  DocumentStore,
  DocumentVersionPage,
  HistoryPoint,
  SaveSnapshotOptions,
  StoredDelta,
  SyncDocument,
  VectorClock,
} from './types.js';
import {
  checkClock,
  checkCursor,
  checkDelta,
  checkHistoryPoint,
  checkId,
  checkOptions,
  checkPageSize,
  checkSince,
  checkSnapshotData,
  type PreparedDelta,
} from './validation.js';

const DEFAULT_ID_PAGE = 1000;
const DEFAULT_DELTA_PAGE = 1000;
const DEFAULT_VERSION_PAGE = 100;
const VERSION_CURSOR_KIND = 'v';

/**
 * `getDeltasPage`'s `after`: the decimal storage position of the previous page's last delta, then a check
 * derived from the document id and that position, so that a cursor no page returned (a bare number, one
 * of another document) is refused instead of paging from wherever it points.
 */
const DELTA_CURSOR = /^(0|[1-9][0-9]{0,14})\.([A-Za-z0-9_-]{11})$/;

/** The public `DocumentStore`: checks every argument once, then hands it to exactly one driver's backend. */
export class ValidatedDocumentStore implements DocumentStore {
  constructor(
    private readonly backend: DocumentBackend,
    private readonly limits: StorageLimits,
  ) {}

  async getOrCreate(documentId: string): Promise<SyncDocument> {
    return this.backend.getOrCreate(checkId('documentId', documentId));
  }

  async get(documentId: string): Promise<SyncDocument | null> {
    return this.backend.get(checkId('documentId', documentId));
  }

  async exists(documentId: string): Promise<boolean> {
    return this.backend.exists(checkId('documentId', documentId));
  }

  async delete(documentId: string): Promise<boolean> {
    return this.backend.delete(checkId('documentId', documentId));
  }

  async getDocumentIds(options?: DocumentIdPage): Promise<string[]> {
    const { limit, cursor } = checkOptions<DocumentIdPage>('options', options);
    return this.backend.getDocumentIds(checkPageSize('limit', limit, DEFAULT_ID_PAGE), checkCursor('cursor', cursor));
  }

  async *iterateDocumentIds(options?: { pageSize?: number }): AsyncIterable<string> {
    const pageSize = checkPageSize(
      'pageSize',
      checkOptions<{ pageSize: number }>('options', options).pageSize,
      DEFAULT_ID_PAGE,
    );
    let cursor: string | null = null;
    for (;;) {
      const page = await this.backend.getDocumentIds(pageSize, cursor);
      yield* page;
      if (page.length < pageSize) return;
      cursor = page[page.length - 1]!;
    }
  }

  async addDelta(documentId: string, delta: StoredDelta): Promise<boolean> {
    const id = checkId('documentId', documentId);
    const prepared = checkDelta('delta', delta, this.limits);
    return (await this.backend.addDeltas(id, [prepared])) === 1;
  }

  async addDeltas(documentId: string, deltas: readonly StoredDelta[]): Promise<number> {
    const id = checkId('documentId', documentId);
    if (!Array.isArray(deltas)) throw new StorageValidationError('deltas', 'must be an array of deltas');
    if (deltas.length > this.limits.maxBatchDeltas)
      throw new StorageValidationError(
        'deltas',
        `has ${deltas.length} deltas, over the limit of ${this.limits.maxBatchDeltas}`,
      );
    const unique = new Map<string, PreparedDelta>();
    for (let index = 0; index < deltas.length; index++) {
      const prepared = checkDelta(`deltas[${index}]`, deltas[index], this.limits);
      if (!unique.has(prepared.id)) unique.set(prepared.id, prepared);
    }
    if (unique.size === 0) return 0;
    return this.backend.addDeltas(id, [...unique.values()]);
  }

  async getDeltasSince(documentId: string, since?: VectorClock | null): Promise<StoredDelta[]> {
    return this.backend.getDeltasSince(checkId('documentId', documentId), this.since(since));
  }

  async getDeltasPage(
    documentId: string,
    since?: VectorClock | null,
    options?: { limit?: number; after?: string | null },
  ): Promise<DeltasPage> {
    const id = checkId('documentId', documentId);
    const clock = this.since(since);
    const { limit, after } = checkOptions<{ limit: number; after: string | null }>('options', options);
    const pageSize = checkPageSize('limit', limit, DEFAULT_DELTA_PAGE);
    const page = await this.backend.getDeltasPage(id, clock, pageSize, parseCursor(id, after, ''));
    return { deltas: page.deltas, next: page.next === null ? null : cursorOf(id, page.next, '') };
  }

  async *iterateDeltasSince(
    documentId: string,
    since?: VectorClock | null,
    options?: { batchSize?: number },
  ): AsyncIterable<StoredDelta> {
    const id = checkId('documentId', documentId);
    const clock = this.since(since);
    const batchSize = checkPageSize(
      'batchSize',
      checkOptions<{ batchSize: number }>('options', options).batchSize,
      DEFAULT_DELTA_PAGE,
    );
    for (let after: number | null = null; ;) {
      const page = await this.backend.getDeltasPage(id, clock, batchSize, after);
      yield* page.deltas;
      if (page.next === null) return;
      after = page.next;
    }
  }

  async getChangesSince(documentId: string, since?: VectorClock | null): Promise<ChangesSince> {
    return this.backend.getChangesSince(checkId('documentId', documentId), this.since(since));
  }

  async getVectorClock(documentId: string): Promise<VectorClock> {
    return this.backend.getVectorClock(checkId('documentId', documentId));
  }

  async saveSnapshot(
    documentId: string,
    data: Uint8Array,
    vectorClock: VectorClock,
    options?: SaveSnapshotOptions,
  ): Promise<void> {
    const id = checkId('documentId', documentId);
    const bytes = checkSnapshotData('data', data, this.limits.maxSnapshotBytes);
    const clock = checkClock('vectorClock', vectorClock, this.limits.maxClockEntries);
    const { refuseClockAhead = false } = checkOptions<SaveSnapshotOptions>('options', options);
    if (typeof refuseClockAhead !== 'boolean')
      throw new StorageValidationError('options.refuseClockAhead', 'must be true or false');
    return this.backend.saveSnapshot(id, bytes, clock, !refuseClockAhead);
  }

  async getSnapshot(documentId: string): Promise<DocumentSnapshot | null> {
    return this.backend.getSnapshot(checkId('documentId', documentId));
  }

  async compactDeltas(documentId: string, upToClock: VectorClock): Promise<number> {
    const id = checkId('documentId', documentId);
    return this.backend.compactDeltas(id, checkClock('upToClock', upToClock, this.limits.maxClockEntries));
  }

  async getVersions(
    documentId: string,
    options?: { limit?: number; after?: string | null },
  ): Promise<DocumentVersionPage> {
    const id = checkId('documentId', documentId);
    const { limit, after } = checkOptions<{ limit: number; after: string | null }>('options', options);
    const pageSize = checkPageSize('limit', limit, DEFAULT_VERSION_PAGE);
    const page = await this.backend.getVersions(id, pageSize, parseCursor(id, after, VERSION_CURSOR_KIND));
    return { versions: page.versions, next: page.next === null ? null : cursorOf(id, page.next, VERSION_CURSOR_KIND) };
  }

  async getChangesAt(documentId: string, at: HistoryPoint): Promise<ChangesAt> {
    const id = checkId('documentId', documentId);
    return this.backend.getChangesAt(id, checkHistoryPoint('at', at));
  }

  /**
   * Reads the source at that point, then writes it to the new target as a snapshot and deltas (in batches of
   * `maxBatchDeltas`): later writes to either never reach the other.
   */
  async forkDocument(sourceId: string, at: HistoryPoint, targetId: string): Promise<SyncDocument> {
    const source = checkId('sourceId', sourceId);
    const point = checkHistoryPoint('at', at);
    const target = checkId('targetId', targetId);
    if (target === source) throw new StorageValidationError('targetId', 'must differ from sourceId');
    if (await this.backend.exists(target)) throw new StorageValidationError('targetId', 'names a document that exists');
    const content = await this.backend.getChangesAt(source, point);
    if (content.snapshot)
      await this.backend.saveSnapshot(target, content.snapshot.data, content.snapshot.vectorClock, true);
    for (let start = 0; start < content.deltas.length; start += this.limits.maxBatchDeltas) {
      const batch = content.deltas.slice(start, start + this.limits.maxBatchDeltas);
      await this.backend.addDeltas(
        target,
        batch.map((delta, index) => checkDelta(`deltas[${start + index}]`, delta, this.limits)),
      );
    }
    return this.backend.getOrCreate(target);
  }

  async erase(documentId: string): Promise<boolean> {
    return this.backend.erase(checkId('documentId', documentId));
  }

  private since(since: unknown): Record<string, number> | null {
    return checkSince('since', since, this.limits.maxClockEntries);
  }
}

/** `kind` keeps the cursors of `getVersions` ('v') and `getDeltasPage` ('') from passing for each other. */
function parseCursor(documentId: string, after: unknown, kind: string): number | null {
  const cursor = checkCursor('after', after);
  if (cursor === null) return null;
  const match = DELTA_CURSOR.exec(cursor);
  const position = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(position) || cursorCheck(documentId, position, kind) !== match[2])
    throw new StorageValidationError('after', 'must be the `next` of an earlier page of this document');
  return position;
}

function cursorOf(documentId: string, position: number, kind: string): string {
  return `${position}.${cursorCheck(documentId, position, kind)}`;
}

/** 11 base64url characters (66 bits) of SHA-256 over the document id and the position: not a secret, a check. */
function cursorCheck(documentId: string, position: number, kind: string): string {
  return createHash('sha256').update(`${kind}${position}\u0000${documentId}`).digest('base64url').slice(0, 11);
}
