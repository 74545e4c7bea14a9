import type { ChangePublisher } from '../changes/change-hub.js';
import type { BackendPage, DocumentBackend } from '../contract/backend.js';
import { clockAfterSnapshot, clockCovers, copyClock, counterOf, mergeInto } from '../contract/clocks.js';
import {
  DeltaConflictError,
  documentAuthorsLimitError,
  SnapshotAheadError,
  StaleSnapshotError,
} from '../contract/errors.js';
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
  /** Bytes data (the JSON holds `null` in its place), or null for JSON data. */
  readonly bytes: Uint8Array | null;
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
  /** The document clock; a write merges only the entries its deltas carry. */
  clock: Record<string, number>;
  /** How many keys `clock` has, kept so the author bound costs a write only its own clock entries. */
  authors: number;
  nextSeq: number;
  /** Every stored delta in seq (storage) order. */
  log: DeltaRecord[];
  /** O(1) resend detection. */
  byId: Map<string, DeltaRecord>;
  /**
   * The authors with stored deltas, each sorted by own counter: catch-up visits these authors only and
   * binary-searches the part a clock has not seen; `(clientId, counter)` conflicts are found the same way.
   */
  byClient: Map<string, DeltaRecord[]>;
  snapshot: StoredSnapshot | null;
}

/** The memory driver's documents: indexed so a call costs what it carries and returns, not the history. */
export class MemoryDocumentBackend implements DocumentBackend {
  private readonly documents = new Map<string, MemoryDocument>();
  private readonly ids = new SortedIdIndex();

  constructor(
    private readonly awareness: MemoryAwarenessBackend,
    private readonly assertOpen: () => void,
    private readonly publish: ChangePublisher,
    private readonly maxDocumentAuthors: number,
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
    this.publish({ documentId, kind: 'deleted' });
    return true;
  }

  async getDocumentIds(limit: number, cursor: string | null): Promise<string[]> {
    this.assertOpen();
    return this.ids.page(limit, cursor);
  }

  async addDeltas(documentId: string, deltas: readonly PreparedDelta[]): Promise<number> {
    this.assertOpen();
    const existing = this.documents.get(documentId);
    const { fresh, newAuthors } = admit(documentId, existing, deltas, this.maxDocumentAuthors);
    if (fresh.length === 0) return 0;
    const doc = existing ?? this.documentFor(documentId);
    doc.authors += newAuthors;
    for (const delta of fresh) {
      const record: DeltaRecord = {
        seq: doc.nextSeq++,
        id: delta.id,
        clientId: delta.clientId,
        counter: delta.counter,
        json: delta.json,
        bytes: delta.dataBytes,
      };
      doc.log.push(record);
      doc.byId.set(record.id, record);
      insertByCounter(doc.byClient, record);
      mergeInto(doc.clock, delta.vectorClock);
    }
    touch(doc);
    this.publish({ documentId, kind: 'deltas', deltaIds: fresh.map((delta) => delta.id) });
    return fresh.length;
  }

  async getDeltasSince(documentId: string, since: VectorClock | null): Promise<StoredDelta[]> {
    this.assertOpen();
    const doc = this.documents.get(documentId);
    return doc ? unseenRecords(doc, since).map(toStoredDelta) : [];
  }

  async getDeltasPage(
    documentId: string,
    since: VectorClock | null,
    limit: number,
    after: number | null,
  ): Promise<BackendPage> {
    this.assertOpen();
    const doc = this.documents.get(documentId);
    if (!doc) return { deltas: [], next: null };
    // The first page of a catch-up reads by author; later ones walk storage order from where the last stopped.
    const records =
      after === null && since !== null ? unseenRecords(doc, since).slice(0, limit + 1) : walk(doc, since, limit, after);
    const page = records.slice(0, limit);
    return {
      deltas: page.map(toStoredDelta),
      next: records.length > limit ? page[page.length - 1]!.seq : null,
    };
  }

  async getChangesSince(documentId: string, since: VectorClock | null): Promise<ChangesSince> {
    this.assertOpen();
    const doc = this.documents.get(documentId);
    if (!doc) return { snapshot: null, deltas: [], vectorClock: {} };
    const seen = clockAfterSnapshot(since, doc.snapshot?.clock);
    return {
      snapshot: seen && doc.snapshot ? toSnapshot(doc.snapshot) : null,
      deltas: unseenRecords(doc, seen ?? since).map(toStoredDelta),
      vectorClock: copyClock(doc.clock),
    };
  }

  async getVectorClock(documentId: string): Promise<VectorClock> {
    this.assertOpen();
    return copyClock(this.documents.get(documentId)?.clock ?? {});
  }

  async saveSnapshot(
    documentId: string,
    data: Uint8Array,
    vectorClock: VectorClock,
    includesUnstored: boolean,
  ): Promise<void> {
    this.assertOpen();
    const existing = this.documents.get(documentId);
    if (existing?.snapshot && !clockCovers(vectorClock, existing.snapshot.clock))
      throw new StaleSnapshotError(documentId);
    // A snapshot claims only what was stored, unless its caller says it holds more: then its clock is merged.
    const ahead = !clockCovers(existing?.clock ?? {}, vectorClock);
    let newAuthors = 0;
    if (ahead) {
      if (!includesUnstored) throw new SnapshotAheadError(documentId);
      newAuthors = countNewAuthors(existing?.clock ?? {}, [vectorClock]);
      if ((existing?.authors ?? 0) + newAuthors > this.maxDocumentAuthors)
        throw documentAuthorsLimitError(documentId, this.maxDocumentAuthors);
    }
    const doc = existing ?? this.documentFor(documentId);
    if (ahead) {
      mergeInto(doc.clock, vectorClock);
      doc.authors += newAuthors;
    }
    doc.snapshot = { data: new Uint8Array(data), clock: copyClock(vectorClock), createdAt: Date.now() };
    touch(doc);
    this.publish({ documentId, kind: 'snapshot' });
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
    // Only the authors upTo names can lose deltas: the cost follows upTo and what is deleted.
    for (const clientId of Object.keys(upToClock)) {
      const records = doc.byClient.get(clientId);
      if (!records) continue;
      const end = firstAbove(records, Math.min(counterOf(upToClock, clientId), counterOf(snapshotClock, clientId)));
      if (end === 0) continue;
      for (let i = 0; i < end; i++) doc.byId.delete(records[i]!.id);
      if (end === records.length) doc.byClient.delete(clientId);
      else records.splice(0, end);
      removed += end;
    }
    if (removed === 0) return 0;
    doc.log = doc.log.filter((record) => doc.byId.get(record.id) === record);
    this.publish({ documentId, kind: 'compacted' });
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
        authors: 0,
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

/**
 * The contract's identity rule, delta by delta in call order: a stored id or a delta the snapshot covers is
 * a no-op; an event `(clientId, counter)` stored under another id, or used by an earlier delta of the call
 * under another id, rejects the whole call. Before that, the deltas that are not no-ops must not give the
 * document more than `maxAuthors` authors (as the postgres driver checks it). Returns the deltas to store and
 * how many authors they add.
 */
function admit(
  documentId: string,
  doc: MemoryDocument | undefined,
  deltas: readonly PreparedDelta[],
  maxAuthors: number,
): { fresh: PreparedDelta[]; newAuthors: number } {
  const candidates: [PreparedDelta, string | undefined][] = [];
  const earlier = deltas.length > 1 ? new EventIndex() : undefined;
  for (const delta of deltas) {
    const holder = earlier?.claim(delta);
    if (doc?.byId.has(delta.id) || (doc?.snapshot && counterOf(doc.snapshot.clock, delta.clientId) >= delta.counter))
      continue;
    candidates.push([delta, holder]);
  }
  const newAuthors = countNewAuthors(
    doc?.clock ?? {},
    candidates.map(([delta]) => delta.vectorClock),
  );
  if ((doc?.authors ?? 0) + newAuthors > maxAuthors) throw documentAuthorsLimitError(documentId, maxAuthors);
  const fresh: PreparedDelta[] = [];
  for (const [delta, holder] of candidates) {
    const existing = findEvent(doc?.byClient.get(delta.clientId), delta.counter)?.id ?? holder;
    if (existing !== undefined) throw new DeltaConflictError(documentId, delta.id, existing);
    fresh.push(delta);
  }
  return { fresh, newAuthors };
}

/** How many keys the deltas' clocks name that `clock` lacks: costs the deltas' clock entries. */
function countNewAuthors(clock: VectorClock, clocks: readonly VectorClock[]): number {
  let added: Set<string> | undefined;
  for (const each of clocks) {
    for (const key of Object.keys(each)) {
      if (!Object.hasOwn(clock, key)) (added ??= new Set()).add(key);
    }
  }
  return added?.size ?? 0;
}

/** The events `(clientId, counter)` of a call's earlier deltas, with the id that used each first. */
class EventIndex {
  private readonly owners = new Map<string, Map<number, string>>();

  /** Records `delta`'s event; returns the id of an earlier delta that used it, if any. */
  claim(delta: PreparedDelta): string | undefined {
    let counters = this.owners.get(delta.clientId);
    if (!counters) this.owners.set(delta.clientId, (counters = new Map()));
    const owner = counters.get(delta.counter);
    if (owner === undefined) counters.set(delta.counter, delta.id);
    return owner;
  }
}

/** The stored deltas `since` does not cover, in storage order: only authors with stored deltas are visited. */
function unseenRecords(doc: MemoryDocument, since: VectorClock | null): DeltaRecord[] {
  if (since === null) return doc.log.slice();
  const unseen: DeltaRecord[] = [];
  for (const [clientId, records] of doc.byClient) {
    const seen = counterOf(since, clientId);
    if (records[records.length - 1]!.counter <= seen) continue;
    for (let i = firstAbove(records, seen); i < records.length; i++) unseen.push(records[i]!);
  }
  if (unseen.length === doc.log.length) return doc.log.slice();
  return unseen.sort((a, b) => a.seq - b.seq);
}

/** Up to `limit + 1` deltas `since` does not cover, stored after `after`, walking storage order. */
function walk(doc: MemoryDocument, since: VectorClock | null, limit: number, after: number | null): DeltaRecord[] {
  const found: DeltaRecord[] = [];
  for (
    let i = after === null ? 0 : firstAbove(doc.log, after, 'seq');
    i < doc.log.length && found.length <= limit;
    i++
  ) {
    const record = doc.log[i]!;
    if (since === null || counterOf(since, record.clientId) < record.counter) found.push(record);
  }
  return found;
}

/** Index of the first record whose `key` exceeds `value`, in records sorted by that key. */
function firstAbove(records: readonly DeltaRecord[], value: number, key: 'counter' | 'seq' = 'counter'): number {
  let low = 0;
  let high = records.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (records[mid]![key] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function findEvent(records: readonly DeltaRecord[] | undefined, counter: number): DeltaRecord | undefined {
  // A client's next delta is usually past its last one: no search then.
  if (!records || records[records.length - 1]!.counter < counter) return undefined;
  const index = firstAbove(records, counter - 1);
  return records[index]?.counter === counter ? records[index] : undefined;
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

function toStoredDelta(record: DeltaRecord): StoredDelta {
  const delta = JSON.parse(record.json) as StoredDelta;
  if (record.bytes) delta.data = record.bytes.slice();
  return delta;
}

function toDocument(doc: MemoryDocument): SyncDocument {
  return {
    id: doc.id,
    vectorClock: copyClock(doc.clock),
    createdAt: new Date(doc.createdAt),
    updatedAt: new Date(doc.updatedAt),
  };
}

function toSnapshot(snapshot: StoredSnapshot): DocumentSnapshot {
  return {
    data: new Uint8Array(snapshot.data),
    vectorClock: copyClock(snapshot.clock),
    createdAt: new Date(snapshot.createdAt),
  };
}
