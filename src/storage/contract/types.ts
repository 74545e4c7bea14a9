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

/** A stored document: its clock, times and version (not its content, which is its deltas and snapshot). */
export interface SyncDocument {
  /** The document id (1..255 characters, no U+0000). */
  id: string;
  /** The merge of every stored delta's and snapshot's clock. */
  vectorClock: VectorClock;
  /** When the document was first stored. */
  createdAt: Date;
  /** Moves on every delta or snapshot that changes the document. */
  updatedAt: Date;
  /** How many content writes the document has taken (0 before the first); see "Document versions". */
  version: number;
}

/** The one stored snapshot of a document: opaque bytes and the clock they cover. */
export interface DocumentSnapshot {
  /** The bytes given to `saveSnapshot`, as they were. */
  data: Uint8Array;
  /** The clock the snapshot covers; deltas it covers may be compacted away. */
  vectorClock: VectorClock;
  /** When this snapshot was saved. */
  createdAt: Date;
}

/** What `getChangesSince` answers: one consistent view of what a client holding `since` is missing. */
export interface ChangesSince {
  /** The stored snapshot when `since` does not cover its clock, else null. */
  snapshot: DocumentSnapshot | null;
  /** The stored deltas covered by neither the snapshot's clock (when given) nor `since`, in storage order. */
  deltas: StoredDelta[];
  /** The document clock of the same view. */
  vectorClock: VectorClock;
}

/** One page of catch-up: `next` is the `after` of the following page, or null when nothing follows. */
export interface DeltasPage {
  /** At most `limit` deltas, in storage order. */
  deltas: StoredDelta[];
  /** Opaque: pass it back as `after`; null when nothing follows. */
  next: string | null;
}

/** One version of a document, as `getVersions` lists it. */
export interface DocumentVersion {
  /** 1, 2, 3, ... per document, in commit order. */
  version: number;
  /** The write that took it: stored deltas, a new snapshot, or a compaction. */
  kind: 'deltas' | 'snapshot' | 'compacted';
  /** When the write that took it committed. */
  at: Date;
  /** `deltas`: the authors of the deltas it stored, still readable; empty for the other kinds. */
  clientIds: string[];
}

/** A page of `getVersions`: `next` is the `after` of the following page, or null when nothing follows. */
export interface DocumentVersionPage {
  /** Oldest first. */
  versions: DocumentVersion[];
  /** The `after` of the following page; null on the last. */
  next: string | null;
}

/** A point of a document's history: a version, or the last version written at or before a time. */
export type HistoryPoint =
  | {
      /** A version the document took (>= 1). */
      version: number;
    }
  | {
      /** The last version written at or before this time. */
      time: Date;
    };

/** What `getChangesAt` answers: the document right after `version`, as a snapshot and the deltas after it. */
export interface ChangesAt extends ChangesSince {
  /** The version answered (for a time: the last one written at or before it). */
  version: number;
}

/** Options of `getDocumentIds`. */
export interface DocumentIdPage {
  /** Most ids to answer, 1..10000. Default 1000. */
  limit?: number;
  /** Answer ids strictly after this one (code-point order); null or missing: from the first. */
  cursor?: string | null;
}

/**
 * Documents, their delta logs and snapshots (docs/CONTRACT.md sections 3 to 5a). Every method checks its
 * arguments first and rejects a bad one with `StorageValidationError`, writing nothing.
 */
export interface DocumentStore {
  /** Creates the document with the clock `{}` when it is missing (once, under concurrent calls). One write at most. */
  getOrCreate(documentId: string): Promise<SyncDocument>;
  /** The document, or null when missing; never creates one. One read. */
  get(documentId: string): Promise<SyncDocument | null>;
  /** Whether the document is stored; never creates one. One read. */
  exists(documentId: string): Promise<boolean>;
  /**
   * Removes the document, its deltas, clock and snapshot, and every awareness entry under its id; true when
   * the document existed. Costs the document's stored rows.
   */
  delete(documentId: string): Promise<boolean>;
  /** Ids in code-point order, strictly after `cursor`, at most `limit` (default 1000). Costs the page. */
  getDocumentIds(options?: DocumentIdPage): Promise<string[]>;
  /** Every document id in code-point order, read `pageSize` (1..10000, default 1000) at a time. */
  iterateDocumentIds(options?: { pageSize?: number }): AsyncIterable<string>;
  /**
   * Stores one delta (creating the document when missing) and merges its clock into the document clock, in one
   * atomic step; false for a no-op (its id is stored, or the snapshot covers it). A stored event under another
   * id: `DeltaConflictError`. Costs what the delta carries, never the document's history.
   */
  addDelta(documentId: string, delta: StoredDelta): Promise<boolean>;
  /**
   * `addDelta` for a batch (at most `maxBatchDeltas`) in one atomic step, all or nothing; answers how many were
   * new. An id repeated in the batch counts once, the first wins. Costs what the batch carries.
   */
  addDeltas(documentId: string, deltas: readonly StoredDelta[]): Promise<number>;
  /**
   * Every stored delta `since` does not cover, in storage order (null or missing: all; unknown document: `[]`).
   * Costs the entries of `since` and the deltas returned, never the history.
   */
  getDeltasSince(documentId: string, since?: VectorClock | null): Promise<StoredDelta[]>;
  /** The deltas of `getDeltasSince`, read `batchSize` (1..10000, default 1000) at a time. */
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
  /**
   * One consistent view for a client holding `since`: the snapshot when `since` does not cover it, the deltas
   * neither covers, and the document clock. Costs `since`, what it returns and the document clock.
   */
  getChangesSince(documentId: string, since?: VectorClock | null): Promise<ChangesSince>;
  /** The document clock, `{}` for an unknown document. May cost the number of authors. */
  getVectorClock(documentId: string): Promise<VectorClock>;
  /**
   * Replaces the stored snapshot (creating the document when missing) and merges `vectorClock` into the document
   * clock. A clock that does not cover the stored snapshot's: `StaleSnapshotError`, nothing changed. Costs the bytes.
   */
  saveSnapshot(
    documentId: string,
    data: Uint8Array,
    vectorClock: VectorClock,
    options?: SaveSnapshotOptions,
  ): Promise<void>;
  /** The stored snapshot, or null. Costs its bytes. */
  getSnapshot(documentId: string): Promise<DocumentSnapshot | null>;
  /**
   * Deletes the deltas covered by both `upToClock` and the stored snapshot's clock and answers how many; without
   * a snapshot it deletes nothing. Costs the deltas deleted.
   */
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
  /** The document it belongs to (which need not exist). */
  documentId: string;
  /** Whose presence it is. */
  clientId: string;
  /** The connection it was written with, for `removeAllForConnection`; null when none was given. */
  connectionId: string | null;
  /** The client's state, any JSON value (at most `maxAwarenessBytes`). */
  state: JsonValue;
  /** The client's awareness clock: a `set` with a lower or equal clock is ignored while this entry lives. */
  clock: number;
  /** When it was written. */
  updatedAt: Date;
  /** `awarenessTimeoutMs` after `updatedAt`; from then on it is never read back. */
  expiresAt: Date;
}

/**
 * Expiring presence entries beside documents (docs/CONTRACT.md section 7). Every method checks its arguments
 * first and rejects a bad one with `StorageValidationError`, writing nothing.
 */
export interface AwarenessStore {
  /** The client's unexpired entry, or null. One read. */
  get(documentId: string, clientId: string): Promise<AwarenessEntry | null>;
  /** The document's unexpired entries, ordered by client id. Costs the entries returned. */
  getAll(documentId: string): Promise<AwarenessEntry[]>;
  /**
   * Stores the entry, to expire `awarenessTimeoutMs` later, unless an unexpired entry of the client has a clock
   * >= `clock` (then false, nothing changes). A new client past `maxAwarenessEntriesPerDocument`:
   * `StorageLimitError`. Neither needs nor creates the document. One write.
   */
  set(
    documentId: string,
    clientId: string,
    state: JsonValue,
    clock: number,
    options?: { connectionId?: string },
  ): Promise<boolean>;
  /** Removes the client's entry; true when there was one. One write. */
  remove(documentId: string, clientId: string): Promise<boolean>;
  /** Removes the entries written with this connection id, in every document; answers how many. */
  removeAllForConnection(connectionId: string): Promise<number>;
  /** Every expired entry not yet pruned, in no particular order. Costs the entries returned. */
  getExpired(): Promise<AwarenessEntry[]>;
  /** Deletes every expired entry and answers how many (the module calls it every `awarenessPruneIntervalMs`). */
  pruneExpired(): Promise<number>;
}

/** Which driver keeps the data: `memory` (this process only) or `postgres` (shared by every instance). */
export type StorageDriver = 'memory' | 'postgres';

/** What `checkHealth` answers. */
export interface StorageHealth {
  /** Whether the storage is open and answered within `healthCheckTimeoutMs` (PostgreSQL: a trivial query). */
  healthy: boolean;
  /** The driver that was asked. */
  driver: StorageDriver;
  /** How long the check took (ms). */
  latencyMs: number;
  /** Why it is unhealthy, in fixed words (never a password, a connection string or user data). */
  message?: string;
}

/** What changed in storage, published after the write committed. */
export interface StorageChange {
  /** null only for a `resync` of an all-documents subscription. */
  documentId: string | null;
  /** What the write did; `resync`: changes may have been missed, read the document again. */
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

/** Where a subscription to one document starts. */
export interface ChangesOptions {
  /**
   * Start after this version of the document (one you read, or the last `version` a subscriber received):
   * every later change is delivered first, or one `resync` if they can no longer be read. Costs one read of
   * the change log (postgres); the memory driver keeps no log and answers a `resync` unless it is current.
   */
  afterVersion?: number;
}

/** The change feed of a provider: one document's changes, or every document's. */
export interface StorageChangeFeed {
  /**
   * Changes committed after subscribing (or after `options.afterVersion`), each once, in version order per
   * document, without gaps (or a `resync` where what was missed can no longer be read); within
   * `changeFeedMaxDelayMs`. Completes on `close()`.
   */
  changes(documentId?: string, options?: ChangesOptions): Observable<StorageChange>;
}

/** A message relayed to the subscribers of its document on every instance sharing the storage. */
export interface RelayedMessage {
  /** The document the message is about: it reaches that document's subscribers. */
  documentId: string;
  /** The sender, as given to `relay()`: a subscriber that also sends skips its own messages. */
  from: string;
  /** Opaque text (binary as base64), at most 4096 bytes as a JSON string. */
  message: string;
}

/** Options of `relay()`. */
export interface RelayOptions {
  /** Who sends (an id): delivered with the message. */
  from: string;
  /**
   * A message relayed again under the same key (and document and sender) before the last one left replaces it:
   * the latest state wins (presence). Without a key every message is delivered.
   */
  key?: string;
}

/**
 * Ephemeral messages between instances (presence, stateless messages, commands): nothing is stored, a message
 * reaches the subscribers that are there when it arrives, and one may be lost when an instance's notification
 * connection is down. The memory driver relays within its provider. Both built-in providers have it; a
 * `StorageProvider` of another kind may not (test for `relay`).
 */
export interface StorageRelay {
  /**
   * Hands `message` to the subscribers of `documentId` on every instance, this one included, within tens of
   * milliseconds (postgres: one notification per instance per 30 ms window, outside any write). Resolves once
   * handed on, not delivered; rejects with `StorageValidationError` for a bad argument, nothing sent.
   */
  relay(documentId: string, message: string, options: RelayOptions): Promise<void>;
  /** The relayed messages of one document, or of every document. */
  relayed(documentId?: string): Observable<RelayedMessage>;
}

/** One open storage: the two stores, the change feed, health and its lifecycle. */
export interface StorageProvider extends StorageChangeFeed {
  /** The driver keeping the data. */
  readonly driver: StorageDriver;
  /** Documents, deltas and snapshots. */
  readonly documents: DocumentStore;
  /** Expiring presence entries. */
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
