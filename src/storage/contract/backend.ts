import type { PreparedDelta } from './validation.js';
import type {
  AwarenessEntry,
  ChangesSince,
  DocumentSnapshot,
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
  /** Stores the new deltas (ids are distinct) and merges their clocks, atomically; returns how many were new. */
  addDeltas(documentId: string, deltas: readonly PreparedDelta[]): Promise<number>;
  getDeltasSince(documentId: string, since: VectorClock | null): Promise<StoredDelta[]>;
  /** The same deltas as `getDeltasSince`, read `batchSize` at a time. */
  iterateDeltasSince(documentId: string, since: VectorClock | null, batchSize: number): AsyncIterable<StoredDelta>;
  getChangesSince(documentId: string, since: VectorClock | null): Promise<ChangesSince>;
  getVectorClock(documentId: string): Promise<VectorClock>;
  saveSnapshot(documentId: string, data: Uint8Array, vectorClock: VectorClock): Promise<void>;
  getSnapshot(documentId: string): Promise<DocumentSnapshot | null>;
  compactDeltas(documentId: string, upToClock: VectorClock): Promise<number>;
}

/** What a driver implements for awareness; arguments are validated, `stateJson` is `JSON.stringify(state)`. */
export interface AwarenessBackend {
  get(documentId: string, clientId: string): Promise<AwarenessEntry | null>;
  getAll(documentId: string): Promise<AwarenessEntry[]>;
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

/** The size limits the shared validation enforces. */
export interface StorageLimits {
  maxDeltaBytes: number;
  maxSnapshotBytes: number;
}
