import type { PreparedDelta } from './validation.js';
import type {
  AwarenessEntry,
  ChangesAt,
  ChangesSince,
  DocumentSnapshot,
  DocumentVersion,
  StoredDelta,
  SyncDocument,
  VectorClock,
} from './types.js';

/**
 * What a driver implements for documents. Every argument has already passed the shared validation
 * (ids checked, clocks copied, deltas serialised, batches de-duplicated), so drivers only store.
 */
export interface DocumentBackend {
  getOrCreate(documentId: string): Promise<SyncDocument>;
  get(documentId: string): Promise<SyncDocument | null>;
  exists(documentId: string): Promise<boolean>;
  delete(documentId: string): Promise<boolean>;
  /** Ids in code-point order, strictly after `cursor`. */
  getDocumentIds(limit: number, cursor: string | null): Promise<string[]>;
  /**
   * Stores the new deltas (ids are distinct) and merges their clocks, atomically; returns how many were new.
   * Rejects with `DeltaConflictError` (nothing written) when one names a stored or earlier event under another id.
   */
  addDeltas(documentId: string, deltas: readonly PreparedDelta[]): Promise<number>;
  getDeltasSince(documentId: string, since: VectorClock | null): Promise<StoredDelta[]>;
  /**
   * At most `limit` of the deltas `getDeltasSince` returns, those stored after position `after` (null: from the
   * start), in storage order; `next` is the position of the last one when more follow, else null.
   */
  getDeltasPage(
    documentId: string,
    since: VectorClock | null,
    limit: number,
    after: number | null,
  ): Promise<BackendPage>;
  getChangesSince(documentId: string, since: VectorClock | null): Promise<ChangesSince>;
  getVectorClock(documentId: string): Promise<VectorClock>;
  /** `allowClockAhead`: a clock ahead of the document clock is merged; false when the caller passed `refuseClockAhead`. */
  saveSnapshot(documentId: string, data: Uint8Array, vectorClock: VectorClock, allowClockAhead: boolean): Promise<void>;
  getSnapshot(documentId: string): Promise<DocumentSnapshot | null>;
  compactDeltas(documentId: string, upToClock: VectorClock): Promise<number>;
  /** At most `limit` readable versions above `after` (null: from the first), oldest first; `next` as in `getDeltasPage`. */
  getVersions(documentId: string, limit: number, after: number | null): Promise<BackendVersionPage>;
  /** The document right after the version (`time`: Unix ms); rejects with `HistoryUnavailableError`. */
  getChangesAt(documentId: string, at: BackendHistoryPoint): Promise<ChangesAt>;
  /** Everything naming the document, history and awareness included; true when the document existed. */
  erase(documentId: string): Promise<boolean>;
}

/** A validated history point: a version >= 1, or a time in Unix ms. */
export type BackendHistoryPoint = { version: number } | { time: number };

/** A page of versions and the version to continue after. */
export interface BackendVersionPage {
  versions: DocumentVersion[];
  next: number | null;
}

/** A page of deltas and the storage position to continue after. */
export interface BackendPage {
  deltas: StoredDelta[];
  next: number | null;
}

/** What a driver implements for awareness; arguments are validated, `stateJson` is `JSON.stringify(state)`. */
export interface AwarenessBackend {
  get(documentId: string, clientId: string): Promise<AwarenessEntry | null>;
  getAll(documentId: string): Promise<AwarenessEntry[]>;
  /** Rejects with `StorageLimitError` when a client without a live entry would pass `maxAwarenessEntriesPerDocument`. */
  set(
    documentId: string,
    clientId: string,
    stateJson: string,
    clock: number,
    connectionId: string | null,
  ): Promise<boolean>;
  remove(documentId: string, clientId: string): Promise<boolean>;
  removeAllForConnection(connectionId: string): Promise<number>;
  getExpired(): Promise<AwarenessEntry[]>;
  pruneExpired(): Promise<number>;
}

/** The limits the shared validation enforces (module options, defaults filled in). */
export interface StorageLimits {
  maxDeltaBytes: number;
  maxSnapshotBytes: number;
  maxClockEntries: number;
  maxDocumentAuthors: number;
  maxJsonDepth: number;
  maxBatchDeltas: number;
  maxAwarenessBytes: number;
  maxAwarenessEntriesPerDocument: number;
}
