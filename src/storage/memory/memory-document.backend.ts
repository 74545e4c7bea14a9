import type { DocumentBackend } from '../contract/backend.js';
import { clockAfterSnapshot, clockCovers, counterOf, mergeInto } from '../contract/clocks.js';
import { StaleSnapshotError } from '../contract/errors.js';
import type { ChangesSince, DocumentSnapshot, StoredDelta, SyncDocument, VectorClock } from '../contract/types.js';
import type { PreparedDelta } from '../contract/validation.js';
import type { MemoryAwarenessBackend } from './memory-awareness.backend.js';
import { SortedIdIndex } from './sorted-id-index.js';

/** One stored delta: the fields the indexes need, and the delta itself as the JSON it was validated as. */
interface DeltaRecord {
  readonly seq: number;
  readonly id: string;
  readonly clientId: string;
  readonly counter: number;
  readonly json: string;
}

interface StoredSnapshot {
  data: Uint8Array;
  clock: Record<string, number>;
  createdAt: number;
}

interface MemoryDocument {
  readonly id: string;
  readonly createdAt: number;
  updatedAt: number;
  clock: Record<string, number>;
  nextSeq: number;
  /** Every stored delta in the order it was added. */
  log: DeltaRecord[];
  /** O(1) resend detection. */
  byId: Map<string, DeltaRecord>;
  /** Per author, sorted by own counter: catch-up binary-searches the part a clock has not seen. */
  byClient: Map<string, DeltaRecord[]>;
  snapshot: StoredSnapshot | null;
}

/** The memory driver's documents: indexed so catch-up costs what it returns, not the history's length. */
export class MemoryDocumentBackend implements DocumentBackend {
  private readonly documents = new Map<string, MemoryDocument>();
  private readonly ids = new SortedIdIndex();

  constructor(
    private readonly awareness: MemoryAwarenessBackend,
    private readonly assertOpen: () => void,
  ) {}

  async getOrCreate(documentId: string): Promise<SyncDocument> {
    this.assertOpen();
    return toDocument(this.documentFor(documentId));
  }

  async get(documentId: string): Promise<SyncDocument | null> {
    this.assertOpen();
    const doc = this.documents.get(documentId);
    return doc ? toDocument(doc) : null;
  }

  async exists(documentId: string): Promise<boolean> {
    this.assertOpen();
    return this.documents.has(documentId);
  }

  async delete(documentId: string): Promise<boolean> {
    this.assertOpen();
    this.awareness.removeDocument(documentId);
    if (!this.documents.delete(documentId)) return false;
    this.ids.remove(documentId);
    return true;
  }

  async getDocumentIds(limit: number, cursor: string | null): Promise<string[]> {
    this.assertOpen();
    return this.ids.page(limit, cursor);
  }

  async addDeltas(documentId: string, deltas: readonly PreparedDelta[]): Promise<number> {
    this.assertOpen();
    const existing = this.documents.get(documentId);
    const fresh = deltas.filter(
      (delta) =>
        !existing ||
        (!existing.byId.has(delta.id) && counterOf(existing.snapshot?.clock ?? {}, delta.clientId) < delta.counter),
    );
    if (fresh.length === 0) return 0;
    const doc = existing ?? this.documentFor(documentId);
    for (const delta of fresh) {
      const record: DeltaRecord = {
        seq: doc.nextSeq++,
        id: delta.id,
        clientId: delta.clientId,
        counter: delta.counter,
        json: delta.json,
      };
      doc.log.push(record);
      doc.byId.set(record.id, record);
      insertByCounter(doc.byClient, record);
      mergeInto(doc.clock, delta.vectorClock);
    }
    touch(doc);
    return fresh.length;
  }

  async getDeltasSince(documentId: string, since: VectorClock | null): Promise<StoredDelta[]> {
    this.assertOpen();
    const doc = this.documents.get(documentId);
    return doc ? unseenRecords(doc, since).map(parseDelta) : [];
  }

  async *iterateDeltasSince(
    documentId: string,
    since: VectorClock | null,
    batchSize: number,
  ): AsyncIterable<StoredDelta> {
    this.assertOpen();
    const doc = this.documents.get(documentId);
    const records = doc ? unseenRecords(doc, since) : [];
    for (let start = 0; start < records.length; start += batchSize) {
      const batch = records.slice(start, start + batchSize).map(parseDelta);
      yield* batch;
    }
  }

  async getChangesSince(documentId: string, since: VectorClock | null): Promise<ChangesSince> {
    this.assertOpen();
    const doc = this.documents.get(documentId);
    if (!doc) return { snapshot: null, deltas: [], vectorClock: {} };
    const seen = clockAfterSnapshot(since, doc.snapshot?.clock);
    return {
      snapshot: seen && doc.snapshot ? toSnapshot(doc.snapshot) : null,
      deltas: unseenRecords(doc, seen ?? since).map(parseDelta),
      vectorClock: { ...doc.clock },
    };
  }

  async getVectorClock(documentId: string): Promise<VectorClock> {
    this.assertOpen();
    return { ...(this.documents.get(documentId)?.clock ?? {}) };
  }

  async saveSnapshot(documentId: string, data: Uint8Array, vectorClock: VectorClock): Promise<void> {
    this.assertOpen();
    const previous = this.documents.get(documentId)?.snapshot;
    if (previous && !clockCovers(vectorClock, previous.clock)) throw new StaleSnapshotError(documentId);
    const doc = this.documentFor(documentId);
    doc.snapshot = { data: new Uint8Array(data), clock: { ...vectorClock }, createdAt: Date.now() };
    mergeInto(doc.clock, vectorClock);
    touch(doc);
  }

  async getSnapshot(documentId: string): Promise<DocumentSnapshot | null> {
    this.assertOpen();
    const snapshot = this.documents.get(documentId)?.snapshot;
    return snapshot ? toSnapshot(snapshot) : null;
  }

  async compactDeltas(documentId: string, upToClock: VectorClock): Promise<number> {
    this.assertOpen();
    const doc = this.documents.get(documentId);
    if (!doc?.snapshot) return 0;
    const snapshotClock = doc.snapshot.clock;
    let removed = 0;
    for (const [clientId, records] of doc.byClient) {
      const limit = Math.min(counterOf(upToClock, clientId), counterOf(snapshotClock, clientId));
      const end = firstAbove(records, limit);
      if (end === 0) continue;
      for (let i = 0; i < end; i++) doc.byId.delete(records[i]!.id);
      if (end === records.length) doc.byClient.delete(clientId);
      else records.splice(0, end);
      removed += end;
    }
    if (removed > 0) doc.log = doc.log.filter((record) => doc.byId.get(record.id) === record);
    return removed;
  }

  clear(): void {
    this.documents.clear();
  }

  private documentFor(documentId: string): MemoryDocument {
    let doc = this.documents.get(documentId);
    if (!doc) {
      const now = Date.now();
      doc = {
        id: documentId,
        createdAt: now,
        updatedAt: now,
        clock: {},
        nextSeq: 0,
        log: [],
        byId: new Map(),
        byClient: new Map(),
        snapshot: null,
      };
      this.documents.set(documentId, doc);
      this.ids.add(documentId);
    }
    return doc;
  }
}

/** The stored deltas `since` does not cover, in the order they were added. */
function unseenRecords(doc: MemoryDocument, since: VectorClock | null): DeltaRecord[] {
  if (since === null) return doc.log.slice();
  // An up-to-date client is answered from the document clock alone.
  if (clockCovers(since, doc.clock)) return [];
  const unseen: DeltaRecord[] = [];
  for (const [clientId, records] of doc.byClient) {
    const seen = counterOf(since, clientId);
    if (records[records.length - 1]!.counter <= seen) continue;
    for (let i = firstAbove(records, seen); i < records.length; i++) unseen.push(records[i]!);
  }
  if (unseen.length === doc.log.length) return doc.log.slice();
  return unseen.sort((a, b) => a.seq - b.seq);
}

/** Index of the first record whose counter exceeds `counter` (records sorted by counter). */
function firstAbove(records: readonly DeltaRecord[], counter: number): number {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (records[mid]!.counter <= counter) low = mid + 1;
    else high = mid;
  }
  return low;
}

function insertByCounter(byClient: Map<string, DeltaRecord[]>, record: DeltaRecord): void {
  const records = byClient.get(record.clientId);
  if (!records) {
    byClient.set(record.clientId, [record]);
  } else if (records[records.length - 1]!.counter <= record.counter) {
    records.push(record);
  } else {
    records.splice(firstAbove(records, record.counter), 0, record);
  }
}

/** `updatedAt` strictly moves on every change, even twice in one millisecond. */
function touch(doc: MemoryDocument): void {
  doc.updatedAt = Math.max(Date.now(), doc.updatedAt + 1);
}

function parseDelta(record: DeltaRecord): StoredDelta {
  return JSON.parse(record.json) as StoredDelta;
}

function toDocument(doc: MemoryDocument): SyncDocument {
  return {
    id: doc.id,
    vectorClock: { ...doc.clock },
    createdAt: new Date(doc.createdAt),
    updatedAt: new Date(doc.updatedAt),
  };
}

function toSnapshot(snapshot: StoredSnapshot): DocumentSnapshot {
  return {
    data: new Uint8Array(snapshot.data),
    vectorClock: { ...snapshot.clock },
    createdAt: new Date(snapshot.createdAt),
  };
}
