import type { DocumentBackend, StorageLimits } from './backend.js';
import { StorageValidationError } from './errors.js';
import type {
  ChangesSince,
  DocumentIdPage,
  DocumentSnapshot,
  DocumentStore,
  StoredDelta,
  SyncDocument,
  VectorClock,
} from './types.js';
import {
  checkClock,
  checkCursor,
  checkDelta,
  checkId,
  checkOptions,
  checkPageSize,
  checkSince,
  checkSnapshotData,
  type PreparedDelta,
} from './validation.js';

const DEFAULT_ID_PAGE = 1000;
const DEFAULT_DELTA_BATCH = 1000;

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
    const prepared = checkDelta('delta', delta, this.limits.maxDeltaBytes);
    return (await this.backend.addDeltas(id, [prepared])) === 1;
  }

  async addDeltas(documentId: string, deltas: readonly StoredDelta[]): Promise<number> {
    const id = checkId('documentId', documentId);
    if (!Array.isArray(deltas)) throw new StorageValidationError('deltas', 'must be an array of deltas');
    const unique = new Map<string, PreparedDelta>();
    for (let index = 0; index < deltas.length; index++) {
      const prepared = checkDelta(`deltas[${index}]`, deltas[index], this.limits.maxDeltaBytes);
      if (!unique.has(prepared.id)) unique.set(prepared.id, prepared);
    }
    if (unique.size === 0) return 0;
    return this.backend.addDeltas(id, [...unique.values()]);
  }

  async getDeltasSince(documentId: string, since?: VectorClock | null): Promise<StoredDelta[]> {
    return this.backend.getDeltasSince(checkId('documentId', documentId), checkSince('since', since));
  }

  async *iterateDeltasSince(
    documentId: string,
    since?: VectorClock | null,
    options?: { batchSize?: number },
  ): AsyncIterable<StoredDelta> {
    const id = checkId('documentId', documentId);
    const clock = checkSince('since', since);
    const batchSize = checkPageSize(
      'batchSize',
      checkOptions<{ batchSize: number }>('options', options).batchSize,
      DEFAULT_DELTA_BATCH,
    );
    yield* this.backend.iterateDeltasSince(id, clock, batchSize);
  }

  async getChangesSince(documentId: string, since?: VectorClock | null): Promise<ChangesSince> {
    return this.backend.getChangesSince(checkId('documentId', documentId), checkSince('since', since));
  }

  async getVectorClock(documentId: string): Promise<VectorClock> {
    return this.backend.getVectorClock(checkId('documentId', documentId));
  }

  async saveSnapshot(documentId: string, data: Uint8Array, vectorClock: VectorClock): Promise<void> {
    const id = checkId('documentId', documentId);
    const bytes = checkSnapshotData('data', data, this.limits.maxSnapshotBytes);
    const clock = checkClock('vectorClock', vectorClock);
    return this.backend.saveSnapshot(id, bytes, clock);
  }

  async getSnapshot(documentId: string): Promise<DocumentSnapshot | null> {
    return this.backend.getSnapshot(checkId('documentId', documentId));
  }

  async compactDeltas(documentId: string, upToClock: VectorClock): Promise<number> {
    return this.backend.compactDeltas(checkId('documentId', documentId), checkClock('upToClock', upToClock));
  }
}
