import type { JsonValue, VectorClock } from '../../src/index.js';
import type { DeltaBatch, DeltaWrite } from '../workload.js';

/** Operations a floor can stand in for. */
export type FloorOperation =
  | 'addDelta'
  | 'addDeltas'
  | 'catchUp'
  | 'upToDate'
  | 'changesSince'
  | 'compact'
  | 'saveSnapshot'
  | 'loadSnapshot'
  | 'setAwareness'
  | 'getAllAwareness'
  | 'pageIds';

/** What a catch-up answered, as the JSON of its deltas (the memory floor parses it; postgres re-reads it). */
export interface CatchUpAnswer {
  snapshot: Uint8Array | null;
  deltasJson: readonly string[];
}

/**
 * The least work a driver cannot avoid for each operation, done without the package: JSON for the
 * memory driver, hand-written SQL with plain `pg` for the postgres driver. Every method returns
 * what it produced (a count or a size), which the scenario checks against the store's answer.
 */
export interface Floor {
  /** What the floor of an operation is, or null when there is none worth comparing to. */
  label(operation: FloorOperation): string | null;
  /** Set-up, not measured: makes the floor hold these deltas of one document, in this order. */
  load(documentId: string, deltas: readonly DeltaWrite['delta'][]): Promise<void>;
  /** Set-up, not measured. */
  createDocuments(documentIds: readonly string[]): Promise<void>;
  addDeltaEach(writes: readonly DeltaWrite[]): Promise<number>;
  addDeltaConcurrently(writes: readonly DeltaWrite[], callers: number): Promise<number>;
  addDeltasInBatches(batches: readonly DeltaBatch[]): Promise<number>;
  getDeltasSince(documentId: string, since: VectorClock, answer: CatchUpAnswer): Promise<number>;
  getChangesSince(documentId: string, since: VectorClock, answer: CatchUpAnswer): Promise<number>;
  compactDeltas(documentId: string, upToClock: VectorClock): Promise<number>;
  saveSnapshot(documentId: string, data: Uint8Array, vectorClock: VectorClock): Promise<void>;
  getSnapshot(documentId: string): Promise<number>;
  setAwareness(documentId: string, clientId: string, state: JsonValue, clock: number): Promise<boolean>;
  getAllAwareness(documentId: string, statesJson: readonly string[]): Promise<number>;
  pageDocumentIds(pageSize: number): Promise<number>;
  close(): Promise<void>;
}
