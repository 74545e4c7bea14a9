import type { JsonValue, StoredDelta, VectorClock } from '../../src/index.js';
import type { MEMORY_LABELS } from './memory-floor.js';

/** The operations a floor stands in for. */
export type FloorOperation = keyof typeof MEMORY_LABELS;

/**
 * The least work a driver cannot avoid for each operation, without the package in between: JSON for the
 * memory driver, the driver's own statements over plain `pg` for postgres. Each call answers what it
 * produced, which the scenario checks; `json` is what the store returned, which memory must at least parse.
 */
export interface Floor {
  /** What each floor does, in a few words; null where there is none worth comparing to. */
  readonly labels: Record<FloorOperation, string | null>;
  /** One transaction storing the deltas (one delta: what `addDelta` does); also the set-up's bulk load. */
  addDeltas(documentId: string, deltas: readonly StoredDelta[]): Promise<number>;
  getDeltasSince(documentId: string, since: VectorClock, json: readonly string[]): Promise<number>;
  /** The least work of taking a `since` clock in, without any catch-up. */
  readClock(since: VectorClock): Promise<number>;
  /** `getChangesSince(documentId, {})` on a document with a snapshot. */
  newClientChanges(documentId: string, snapshot: Uint8Array, json: readonly string[]): Promise<number>;
  getVectorClock(documentId: string, clock: VectorClock): Promise<number>;
  saveSnapshot(documentId: string, data: Uint8Array, clock: VectorClock): Promise<void>;
  getSnapshot(documentId: string): Promise<number>;
  setAwareness(documentId: string, clientId: string, state: JsonValue, clock: number): Promise<boolean>;
  getAllAwareness(documentId: string, json: readonly string[]): Promise<number>;
  /** Only where `labels` has one. */
  compactDeltas?(documentId: string, upTo: VectorClock): Promise<number>;
  createDocuments?(documentIds: readonly string[]): Promise<void>;
  pageDocumentIds?(pageSize: number): Promise<number>;
  close(): Promise<void>;
}
