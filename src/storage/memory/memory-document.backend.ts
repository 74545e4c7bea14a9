import type { ChangePublisher } from '../changes/change-hub.js';
import type { BackendHistoryPoint, BackendPage, BackendVersionPage, DocumentBackend } from '../contract/backend.js';
import { clockAfterSnapshot, clockCovers, copyClock, counterOf, mergeInto } from '../contract/clocks.js';
import {
  DeltaConflictError,
  documentAuthorsLimitError,
  SnapshotAheadError,
  StaleSnapshotError,
} from '../contract/errors.js';
import type {
  ChangesAt,
  ChangesSince,
  DocumentSnapshot,
  StoredDelta,
  SyncDocument,
  VectorClock,
} from '../contract/types.js';
import { DeltaEvents, type PreparedDelta } from '../contract/validation.js';
import type { MemoryAwarenessBackend } from './memory-awareness.backend.js';
import type { MemoryHistory } from './memory-history.js';
import { SortedChunks } from './sorted-chunks.js';
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
  /** The version of the last content write (see "Document versions"). */
  version: number;
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
   * searches the part a clock has not seen; `(clientId, counter)` conflicts are found the same way.
   */
  byClient: Map<string, AuthorDeltas>;
  snapshot: StoredSnapshot | null;
}

/** One author's stored deltas, by own counter. */
interface AuthorDeltas {
  readonly records: SortedChunks<DeltaRecord, number>;
  /** Whether counter order is also storage order (the author stored its deltas in counter order). */
  inStorageOrder: boolean;
}

/** The memory driver's documents: indexed so a call costs what it carries and returns, not the history. */
export class MemoryDocumentBackend implements DocumentBackend {
  private readonly documents = new Map<string, MemoryDocument>();
  private readonly ids = new SortedIdIndex();

  constructor(
    private readonly awareness: MemoryAwarenessBackend,
    private readonly publish: ChangePublisher,
    private readonly maxDocumentAuthors: number,
    private readonly history: MemoryHistory,
  ) {}

  /** The document's current version (0 when it does not exist), read at once. */
  versionOf(documentId: string): number {
    return this.documents.get(documentId)?.version ?? 0;
  }

  async getOrCreate(documentId: string): Promise<SyncDocument> {
    return toDocument(this.documentFor(documentId));
  }

  async get(documentId: string): Promise<SyncDocument | null> {
    const doc = this.documents.get(documentId);
    return doc ? toDocument(doc) : null;
  }

  async exists(documentId: string): Promise<boolean> {
    return this.documents.has(documentId);
  }

  async delete(documentId: string): Promise<boolean> {
    this.awareness.removeDocument(documentId);
    const doc = this.documents.get(documentId);
    if (!doc) return false;
    this.documents.delete(documentId);
    this.ids.remove(documentId);
    this.history.forget(documentId);
    this.publish({ documentId, kind: 'deleted', version: doc.version + 1 });
    return true;
  }

  async erase(documentId: string): Promise<boolean> {
    this.awareness.removeDocument(documentId);
    this.history.forget(documentId);
    const existed = this.documents.delete(documentId);
    if (existed) this.ids.remove(documentId);
    return existed;
  }

  async getVersions(documentId: string, limit: number, after: number | null): Promise<BackendVersionPage> {
    return this.history.versions(documentId, this.documents.get(documentId)?.version ?? 0, limit, after);
  }

  async getChangesAt(documentId: string, at: BackendHistoryPoint): Promise<ChangesAt> {
    const doc = this.documents.get(documentId);
    return this.history.changesAt(documentId, doc?.version ?? 0, doc?.log ?? [], at, toStoredDelta);
  }

  async getDocumentIds(limit: number, cursor: string | null): Promise<string[]> {
    return this.ids.page(limit, cursor);
  }

  async addDeltas(documentId: string, deltas: readonly PreparedDelta[]): Promise<number> {
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
        json: deltaJson(delta),
        bytes: delta.dataBytes,
      };
      doc.log.push(record);
      doc.byId.set(record.id, record);
      insertByCounter(doc.byClient, record);
      mergeInto(doc.clock, delta.vectorClock);
    }
    const version = touch(doc);
    const clientIds = [...new Set(fresh.map((delta) => delta.clientId))];
    this.history.record(documentId, { version, kind: 'deltas', clientIds }, doc.nextSeq - 1, doc.snapshot);
    this.publish({ documentId, kind: 'deltas', deltaIds: fresh.map((delta) => delta.id), version });
    return fresh.length;
  }

  async getDeltasSince(documentId: string, since: VectorClock | null): Promise<StoredDelta[]> {
    const doc = this.documents.get(documentId);
    return doc ? unseenRecords(doc, since).map(toStoredDelta) : [];
  }

  async getDeltasPage(
    documentId: string,
    since: VectorClock | null,
    limit: number,
    after: number | null,
  ): Promise<BackendPage> {
    const doc = this.documents.get(documentId);
    if (!doc) return { deltas: [], next: null };
    // The first page of a catch-up reads by author; later ones walk storage order from where the last stopped.
    const records = after === null ? unseenRecords(doc, since, limit + 1) : walk(doc, since, limit, after);
    const page = records.slice(0, limit);
    return {
      deltas: page.map(toStoredDelta),
      next: records.length > limit ? page[page.length - 1]!.seq : null,
    };
  }

  async getChangesSince(documentId: string, since: VectorClock | null): Promise<ChangesSince> {
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
    return copyClock(this.documents.get(documentId)?.clock ?? {});
  }

  async saveSnapshot(
    documentId: string,
    data: Uint8Array,
    vectorClock: VectorClock,
    allowClockAhead: boolean,
  ): Promise<void> {
    const existing = this.documents.get(documentId);
    if (existing?.snapshot && !clockCovers(vectorClock, existing.snapshot.clock))
      throw new StaleSnapshotError(documentId);
    // A snapshot claims only what was stored, unless its caller says it holds more: then its clock is merged.
    const ahead = !clockCovers(existing?.clock ?? {}, vectorClock);
    let newAuthors = 0;
    if (ahead) {
      if (!allowClockAhead) throw new SnapshotAheadError(documentId);
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
    const version = touch(doc);
    this.history.record(documentId, { version, kind: 'snapshot', clientIds: [] }, doc.nextSeq - 1, doc.snapshot);
    this.publish({ documentId, kind: 'snapshot', version });
  }

  async getSnapshot(documentId: string): Promise<DocumentSnapshot | null> {
    const snapshot = this.documents.get(documentId)?.snapshot;
    return snapshot ? toSnapshot(snapshot) : null;
  }

  async compactDeltas(documentId: string, upToClock: VectorClock): Promise<number> {
    const doc = this.documents.get(documentId);
    if (!doc?.snapshot) return 0;
    const snapshotClock = doc.snapshot.clock;
    let removed = 0;
    // Only the authors upTo names can lose deltas: the cost follows upTo and what is deleted.
    for (const clientId of Object.keys(upToClock)) {
      const author = doc.byClient.get(clientId);
      if (!author) continue;
      const gone = author.records.removeUpTo(
        Math.min(counterOf(upToClock, clientId), counterOf(snapshotClock, clientId)),
      );
      for (const record of gone) doc.byId.delete(record.id);
      if (author.records.size === 0) doc.byClient.delete(clientId);
      this.history.retire(documentId, gone);
      removed += gone.length;
    }
    if (removed === 0) return 0;
    doc.log = doc.log.filter((record) => doc.byId.get(record.id) === record);
    const version = ++doc.version;
    this.history.record(documentId, { version, kind: 'compacted', clientIds: [] }, doc.nextSeq - 1, doc.snapshot);
    this.publish({ documentId, kind: 'compacted', version });
    return removed;
  }

  clear(): void {
    this.documents.clear();
    this.history.clear();
  }

  private documentFor(documentId: string): MemoryDocument {
    let doc = this.documents.get(documentId);
    if (!doc) {
      const now = Date.now();
      doc = {
        id: documentId,
        createdAt: now,
        updatedAt: now,
        version: 0,
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
  const earlier = deltas.length > 1 ? new DeltaEvents() : undefined;
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
    const existing = findEvent(doc?.byClient.get(delta.clientId)?.records, delta.counter)?.id ?? holder;
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

/**
 * Up to `max` of the stored deltas `since` does not cover, in storage order. Only the authors with stored
 * deltas are visited; each one's unseen deltas are merged by storage position, and the merge stops at `max`.
 * An author that stored its deltas in counter order is read lazily; one that did not is read whole, sorted.
 * So the first page of a catch-up costs the authors, the page and the out-of-order authors' unseen deltas,
 * not every unseen delta.
 */
function unseenRecords(doc: MemoryDocument, since: VectorClock | null, max = Infinity): DeltaRecord[] {
  if (since === null) return doc.log.slice(0, max);
  const sources: Iterator<DeltaRecord>[] = [];
  for (const [clientId, author] of doc.byClient) {
    const seen = counterOf(since, clientId);
    if (author.records.last()!.counter <= seen) continue;
    const unseen = author.records.itemsAbove(seen);
    sources.push(author.inStorageOrder ? unseen : [...unseen].sort((a, b) => a.seq - b.seq).values());
  }
  return mergeBySeq(sources, max);
}

/** The first `max` records of several iterators each in storage order, merged in storage order. */
function mergeBySeq(sources: Iterator<DeltaRecord>[], max: number): DeltaRecord[] {
  const heap = new MinHeap<{ record: DeltaRecord; rest: Iterator<DeltaRecord> }>((a, b) => a.record.seq - b.record.seq);
  for (const rest of sources) {
    const next = rest.next();
    if (!next.done) heap.push({ record: next.value, rest });
  }
  const merged: DeltaRecord[] = [];
  while (merged.length < max && heap.size > 0) {
    const head = heap.pop()!;
    merged.push(head.record);
    const next = head.rest.next();
    if (!next.done) heap.push({ record: next.value, rest: head.rest });
  }
  return merged;
}

/** A binary min-heap: the merge of many authors' deltas takes log(authors) per delta. */
class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[parent]!, item) <= 0) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const child = left + 1 < items.length && this.compare(items[left + 1]!, items[left]!) < 0 ? left + 1 : left;
      if (this.compare(items[child]!, last) >= 0) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/** Up to `limit + 1` deltas `since` does not cover, stored after `after`, walking storage order. */
function walk(doc: MemoryDocument, since: VectorClock | null, limit: number, after: number): DeltaRecord[] {
  const found: DeltaRecord[] = [];
  for (let i = firstAbove(doc.log, after); i < doc.log.length && found.length <= limit; i++) {
    const record = doc.log[i]!;
    if (since === null || counterOf(since, record.clientId) < record.counter) found.push(record);
  }
  return found;
}

/** Index of the first record stored after position `seq`, in the log (sorted by position). */
function firstAbove(log: readonly DeltaRecord[], seq: number): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (log[mid]!.seq <= seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

function findEvent(records: SortedChunks<DeltaRecord, number> | undefined, counter: number): DeltaRecord | undefined {
  // A client's next delta is usually past its last one: no search then.
  if (!records || records.last()!.counter < counter) return undefined;
  return records.find(counter);
}

function insertByCounter(byClient: Map<string, AuthorDeltas>, record: DeltaRecord): void {
  let author = byClient.get(record.clientId);
  if (!author) {
    author = {
      records: new SortedChunks(
        (each) => each.counter,
        (a, b) => a - b,
      ),
      inStorageOrder: true,
    };
    byClient.set(record.clientId, author);
  } else if (author.records.last()!.counter > record.counter) {
    // Stored after deltas with larger counters: counter order no longer follows storage order.
    author.inStorageOrder = false;
  }
  author.records.insert(record);
}

/**
 * A content write: `updatedAt` strictly moves, even twice in one millisecond, and the document takes its next
 * version, which is returned.
 */
function touch(doc: MemoryDocument): number {
  doc.updatedAt = Math.max(Date.now(), doc.updatedAt + 1);
  return ++doc.version;
}

/** The delta as JSON, bytes data standing as `null`; join() yields one flat string where a template keeps a rope. */
function deltaJson(delta: PreparedDelta): string {
  const data = delta.dataJson ?? 'null';
  const [id, clientId, clock] = [delta.id, delta.clientId, delta.vectorClock].map((part) => JSON.stringify(part));
  return [
    '{"id":',
    id,
    ',"clientId":',
    clientId,
    ',"timestamp":',
    String(delta.timestamp),
    ',"data":',
    data,
    ',"vectorClock":',
    clock,
    '}',
  ].join('');
}

function toStoredDelta(record: Pick<DeltaRecord, 'json' | 'bytes'>): StoredDelta {
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
    version: doc.version,
  };
}

function toSnapshot(snapshot: StoredSnapshot): DocumentSnapshot {
  return {
    data: new Uint8Array(snapshot.data),
    vectorClock: copyClock(snapshot.clock),
    createdAt: new Date(snapshot.createdAt),
  };
}
