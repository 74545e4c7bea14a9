import { counterOf } from '../storage/contract/clocks.js';
import type { DocumentStore, StoredDelta, VectorClock } from '../storage/contract/types.js';

/**
 * The part of a `DocumentStore` the CRDT integrations use: a whole `StorageProvider['documents']`
 * satisfies it, and so does anything else with these four calls and the contract's meaning.
 */
export type CrdtDocumentStore = Pick<DocumentStore, 'addDeltas' | 'getChangesSince' | 'saveSnapshot' | 'compactDeltas'>;

/** What `snapshot…Doc` stored: the snapshot's clock and size, and how many deltas compaction deleted. */
export interface CrdtSnapshotResult {
  /** The clock the snapshot was saved with: what the document held. */
  vectorClock: VectorClock;
  /** The snapshot's size in bytes. */
  bytes: number;
  /** How many deltas the compaction after it deleted (0 when not asked to compact). */
  compacted: number;
}

/** `delta.vectorClock[delta.clientId]`: the counter that names the delta's event. */
export function ownCounter(delta: Pick<StoredDelta, 'clientId' | 'vectorClock'>): number {
  return counterOf(delta.vectorClock, delta.clientId);
}

/** The bytes of a delta an integration wrote; a JSON delta in the same document is not one of its updates. */
export function deltaBytes(delta: StoredDelta, format: string): Uint8Array {
  if (delta.data instanceof Uint8Array) return delta.data;
  throw new TypeError(`delta ${JSON.stringify(delta.id)} holds JSON data, not a ${format} update`);
}

/** Saves `data` as the snapshot with `vectorClock`, then (when asked) compacts the deltas it covers. */
export async function saveSnapshotAndCompact(
  store: Pick<CrdtDocumentStore, 'saveSnapshot' | 'compactDeltas'>,
  documentId: string,
  data: Uint8Array,
  vectorClock: VectorClock,
  compact: boolean,
): Promise<CrdtSnapshotResult> {
  // The clock is the server's own (what the document applied): it may name its writer's updates still queued,
  // so it is merged (the default) rather than refused when it runs ahead of the document clock.
  await store.saveSnapshot(documentId, data, vectorClock);
  const compacted = compact ? await store.compactDeltas(documentId, vectorClock) : 0;
  return { vectorClock, bytes: data.byteLength, compacted };
}

/**
 * The error's class name. Checked by name rather than `instanceof`, so that the store's errors are
 * recognised even when the store comes from another copy of this package (an ESM and a CommonJS build).
 */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
