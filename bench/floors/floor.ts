import type { JsonValue, StoredDelta, VectorClock } from '../../src/index.js';

/** What the floor of each operation does, per driver; null where there is none worth comparing to. */
// prettier-ignore
export const FLOOR_LABELS = {
  addDelta: { memory: 'JSON.stringify of the delta', postgres: 'pg: sync_add_deltas, 1 round trip' },
  addDeltas: { memory: 'JSON.stringify of each delta', postgres: 'pg: sync_add_deltas with the batch' },
  catchUp: { memory: 'JSON.parse of the deltas returned', postgres: "pg: the driver's catch-up query" },
  readClock: { memory: 'JSON.parse(JSON.stringify(since))', postgres: 'pg: select count(*) from jsonb_each_text($1) with since' },
  newClientChanges: { memory: 'copy of the snapshot + JSON.parse of the deltas', postgres: "pg: the driver's 3 reads, REPEATABLE READ" },
  vectorClock: { memory: 'copy of the clock', postgres: "pg: the driver's clock query" },
  compact: { memory: null, postgres: 'pg: sync_compact_deltas' },
  saveSnapshot: { memory: 'copy of the bytes', postgres: 'pg: sync_save_snapshot, bytes as a binary parameter' },
  getSnapshot: { memory: 'copy of the bytes', postgres: "pg: the driver's snapshot query" },
  setAwareness: { memory: 'JSON.stringify of the state', postgres: 'pg: sync_set_awareness' },
  getAllAwareness: { memory: 'JSON.parse of the states', postgres: "pg: the driver's getAll query" },
  pageIds: { memory: null, postgres: "pg: the driver's keyset query" },
};
export type FloorOperation = keyof typeof FLOOR_LABELS;

/**
 * The least work a driver cannot avoid for each operation, without the package in between: JSON for the
 * memory driver, the driver's own statements over plain `pg` for postgres. Each call answers what it
 * produced, which the scenario checks; `json` is what the store returned, which memory must at least parse.
 */
export interface Floor {
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
  /** Only where `FLOOR_LABELS` has one. */
  compactDeltas?(documentId: string, upTo: VectorClock): Promise<number>;
  createDocuments?(documentIds: readonly string[]): Promise<void>;
  pageDocumentIds?(pageSize: number): Promise<number>;
}
