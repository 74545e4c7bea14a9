import type { Observable } from 'rxjs';

/** Any value that survives `JSON.parse(JSON.stringify(value))` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** `{ [clientId]: counter }`; a missing key means 0. */
export type VectorClock = Readonly<Record<string, number>>;

/** A delta's payload: any JSON value, or bytes (a Yjs or Automerge update) stored as they are. */
export type DeltaData = JsonValue | Uint8Array;

/** One change sent by a client, stamped with the clock after it. */
export interface StoredDelta {
  /** Unique within its document; a resend with the same id is a no-op. */
  id: string;
  /** The author. */
  clientId: string;
  /** Unix ms as sent by the client (safe integer >= 0). */
  timestamp: number;
  /** Opaque payload: any JSON value, or a `Uint8Array` at the top level (read back as a `Uint8Array`). */
  data: DeltaData;
  /** Clock after this delta; its own counter (`vectorClock[clientId]`) is >= 1. */
  vectorClock: VectorClock;
}

export interface SyncDocument {
  id: string;
  /** The merge of every stored delta's and snapshot's clock. */
  vectorClock: VectorClock;
  createdAt: Date;
  updatedAt: Date;
  /** How many content writes the document has taken (0 before the first); see "Document versions". */
  version: number;
}

export interface DocumentSnapshot {
  data: Uint8Array;
  vectorClock: VectorClock;
  createdAt: Date;
}

export interface ChangesSince {
  snapshot: DocumentSnapshot | null;
  deltas: StoredDelta[];
  vectorClock: VectorClock;
}

/** One page of catch-up: `next` is the `after` of the following page, or null when nothing follows. */
export interface DeltasPage {
  deltas: StoredDelta[];
  next: string | null;
}

/** One version of a document, as `getVersions` lists it. */
export interface DocumentVersion {
  version: number;
  kind: 'deltas' | 'snapshot' | 'compacted';
  /** When the write that took it committed. */
  at: Date;
  /** `deltas`: the authors of the deltas it stored, still readable; empty for the other kinds. */
  clientIds: string[];
}

/** A page of `getVersions`: `next` is the `after` of the following page, or null when nothing follows. */
export interface DocumentVersionPage {
  versions: DocumentVersion[];
  next: string | null;
}

/** A point of a document's history: a version, or the last version written at or before a time. */
export type HistoryPoint = { version: number } | { time: Date };

/** What `getChangesAt` answers: the document right after `version`, as a snapshot and the deltas after it. */
export interface ChangesAt extends ChangesSince {
  version: number;
}

export interface DocumentIdPage {
  limit?: number;
  cursor?: string | null;
}

export interface DocumentStore {
  getOrCreate(documentId: string): Promise<SyncDocument>;
  get(documentId: string): Promise<SyncDocument | null>;
  exists(documentId: string): Promise<boolean>;
  delete(documentId: string): Promise<boolean>;
  getDocumentIds(options?: DocumentIdPage): Promise<string[]>;
  iterateDocumentIds(options?: { pageSize?: number }): AsyncIterable<string>;
  addDelta(documentId: string, delta: StoredDelta): Promise<boolean>;
  addDeltas(documentId: string, deltas: readonly StoredDelta[]): Promise<number>;
  getDeltasSince(documentId: string, since?: VectorClock | null): Promise<StoredDelta[]>;
  iterateDeltasSince(
    documentId: string,
    since?: VectorClock | null,
    options?: { batchSize?: number },
  ): AsyncIterable<StoredDelta>;
  /** The deltas of `getDeltasSince`, `limit` at a time; `after` is the previous page's `next`. */
  getDeltasPage(
    documentId: string,
    since?: VectorClock | null,
    options?: { limit?: number; after?: string | null },
  ): Promise<DeltasPage>;
  getChangesSince(documentId: string, since?: VectorClock | null): Promise<ChangesSince>;
  getVectorClock(documentId: string): Promise<VectorClock>;
  saveSnapshot(
    documentId: string,
    data: Uint8Array,
    vectorClock: VectorClock,
    options?: SaveSnapshotOptions,
  ): Promise<void>;
  getSnapshot(documentId: string): Promise<DocumentSnapshot | null>;
  compactDeltas(documentId: string, upToClock: VectorClock): Promise<number>;
  /** The readable versions (see `historyRetentionMs`), oldest first, `limit` at a time; `after` is the previous page's `next`. */
  getVersions(documentId: string, options?: { limit?: number; after?: string | null }): Promise<DocumentVersionPage>;
  /** The document right after that version; rejects with `HistoryUnavailableError` when it cannot be read. */
  getChangesAt(documentId: string, at: HistoryPoint): Promise<ChangesAt>;
  /** Creates `targetId` (which must not exist) holding the source's content at that point. */
  forkDocument(sourceId: string, at: HistoryPoint, targetId: string): Promise<SyncDocument>;
  /** Removes the document, its deltas, snapshots, history, change-log rows and awareness; true when it existed. */
  erase(documentId: string): Promise<boolean>;
}

/** A client's presence ("awareness") state in one document; it expires. */
export interface AwarenessEntry {
  documentId: string;
  clientId: string;
  connectionId: string | null;
  state: JsonValue;
  clock: number;
  updatedAt: Date;
  expiresAt: Date;
}

export interface AwarenessStore {
  get(documentId: string, clientId: string): Promise<AwarenessEntry | null>;
  getAll(documentId: string): Promise<AwarenessEntry[]>;
  set(
    documentId: string,
    clientId: string,
    state: JsonValue,
    clock: number,
    options?: { connectionId?: string },
  ): Promise<boolean>;
  remove(documentId: string, clientId: string): Promise<boolean>;
  removeAllForConnection(connectionId: string): Promise<number>;
  getExpired(): Promise<AwarenessEntry[]>;
  pruneExpired(): Promise<number>;
}

export type StorageDriver = 'memory' | 'postgres';

export interface StorageHealth {
  healthy: boolean;
  driver: StorageDriver;
  latencyMs: number;
  message?: string;
}

/** What changed in storage, published after the write committed. */
export interface StorageChange {
  /** null only for a `resync` of an all-documents subscription. */
  documentId: string | null;
  kind: 'deltas' | 'snapshot' | 'compacted' | 'deleted' | 'awareness' | 'resync';
  /** `deltas`: the ids that were new, in storage order (always present). */
  deltaIds?: string[];
  /** `awareness`: whose entry changed or was removed. */
  clientId?: string;
  /** `deltas`, `snapshot`, `compacted`, `deleted`: the document version that write took. */
  version?: number;
  /** Written by this provider, or by another instance on the same database. */
  source: 'local' | 'remote';
}

/** The change feed of a provider: one document's changes, or every document's. */
export interface StorageChangeFeed {
  changes(documentId?: string): Observable<StorageChange>;
}

export interface StorageProvider extends StorageChangeFeed {
  readonly driver: StorageDriver;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  /** Idempotent; runs pending migrations when enabled. */
  initialize(): Promise<void>;
  /** Never rejects; answers within `healthCheckTimeoutMs`. */
  checkHealth(): Promise<StorageHealth>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Options of `saveSnapshot`. */
export interface SaveSnapshotOptions {
  /**
   * Refuse a clock with an entry above the document clock's (`SnapshotAheadError`, nothing written) instead of
   * merging it. Pass it for a clock a client sent: a clock claiming an author's future events would make that
   * author's later deltas no-ops, answered like resends. Default false: the clock is merged into the document
   * clock (a server's own snapshot may hold updates still queued, or one too large for a delta).
   */
  refuseClockAhead?: boolean;
}
