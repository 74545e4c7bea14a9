/** Any value that survives `JSON.parse(JSON.stringify(value))` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** `{ [clientId]: counter }`; a missing key means 0. */
export type VectorClock = Readonly<Record<string, number>>;

/** One change sent by a client, stamped with the clock after it. */
export interface StoredDelta {
  /** Unique within its document; a resend with the same id is a no-op. */
  id: string;
  /** The author. */
  clientId: string;
  /** Unix ms as sent by the client (safe integer >= 0). */
  timestamp: number;
  /** Opaque payload: any JSON value. */
  data: JsonValue;
  /** Clock after this delta; its own counter (`vectorClock[clientId]`) is >= 1. */
  vectorClock: VectorClock;
}

export interface SyncDocument {
  id: string;
  /** The merge of every stored delta's and snapshot's clock. */
  vectorClock: VectorClock;
  createdAt: Date;
  updatedAt: Date;
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
  getChangesSince(documentId: string, since?: VectorClock | null): Promise<ChangesSince>;
  getVectorClock(documentId: string): Promise<VectorClock>;
  saveSnapshot(documentId: string, data: Uint8Array, vectorClock: VectorClock): Promise<void>;
  getSnapshot(documentId: string): Promise<DocumentSnapshot | null>;
  compactDeltas(documentId: string, upToClock: VectorClock): Promise<number>;
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

export interface StorageProvider {
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
