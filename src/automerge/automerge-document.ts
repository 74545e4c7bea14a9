import * as A from '@automerge/automerge';
import { clockCoversDelta, copyClock, mergeInto } from '../storage/contract/clocks.js';
import type { ChangesSince, VectorClock } from '../storage/contract/types.js';
import {
  deltaBytes,
  saveSnapshotAndCompact,
  type CrdtDocumentStore,
  type CrdtSnapshotResult,
} from '../integrations/crdt-document-store.js';
import { automergeClock } from './automerge-changes.js';

/** A document read from the store. */
export interface LoadedAutomergeDoc<T> {
  doc: A.Doc<T>;
  /** What `doc` holds (its own history). */
  clock: VectorClock;
  /** Deltas applied after the snapshot. */
  applied: number;
  fromSnapshot: boolean;
  /**
   * Changes held back because a change they depend on is not stored yet (another actor stores it
   * later). They stay queued inside the document and count in no clock until it arrives.
   */
  missingDeps: number;
}

/** Builds a document from the stored snapshot (`Automerge.load`) and the changes after it. */
export async function loadAutomergeDoc<T>(
  store: Pick<CrdtDocumentStore, 'getChangesSince'>,
  documentId: string,
  { actor }: { actor?: A.ActorId } = {},
): Promise<LoadedAutomergeDoc<T>> {
  const changes = await store.getChangesSince(documentId, null);
  const options = actor === undefined ? {} : { actor };
  // save() keeps changes that wait for missing dependencies; allowMissingChanges keeps them waiting on load.
  const start = changes.snapshot
    ? A.load<T>(changes.snapshot.data, { ...options, allowMissingChanges: true })
    : A.init<T>(options);
  const { doc, applied } = applyStoredChanges(start, changes, copyClock(changes.snapshot?.vectorClock ?? {}));
  return {
    doc,
    clock: automergeClock(doc),
    applied,
    fromSnapshot: changes.snapshot !== null,
    missingDeps: A.getMissingDeps(doc, []).length,
  };
}

/** What `catchUpAutomergeDoc` brought in. */
export interface CaughtUpAutomergeDoc<T> {
  /** The document to go on with: as after `Automerge.applyChanges`, the one passed in is outdated (readable, not changeable). */
  doc: A.Doc<T>;
  clock: VectorClock;
  applied: number;
  /** Whether the stored snapshot was merged in (it held changes `doc` lacked, some perhaps compacted away). */
  snapshot: boolean;
}

/**
 * Brings `doc` up to date with the store. `clock` is what `doc` holds; by default it is computed from
 * the document (exact, costs its history), which is always safe.
 */
export async function catchUpAutomergeDoc<T>(
  store: Pick<CrdtDocumentStore, 'getChangesSince'>,
  documentId: string,
  doc: A.Doc<T>,
  clock: VectorClock = automergeClock(doc),
): Promise<CaughtUpAutomergeDoc<T>> {
  const changes = await store.getChangesSince(documentId, clock);
  const seen = copyClock(clock);
  let current = doc;
  if (changes.snapshot) {
    current = A.loadIncremental(current, changes.snapshot.data); // merges a whole save() into `doc`
    mergeInto(seen, changes.snapshot.vectorClock);
  }
  const result = applyStoredChanges(current, changes, seen);
  return { doc: result.doc, clock: automergeClock(result.doc), applied: result.applied, snapshot: !!changes.snapshot };
}

/**
 * Saves `Automerge.save(doc)` as the snapshot with the document's own clock, then compacts the deltas
 * it covers (unless `compact: false`).
 */
export function snapshotAutomergeDoc<T>(
  store: Pick<CrdtDocumentStore, 'saveSnapshot' | 'compactDeltas'>,
  documentId: string,
  doc: A.Doc<T>,
  { compact = true }: { compact?: boolean } = {},
): Promise<CrdtSnapshotResult> {
  const vectorClock = automergeClock(doc);
  return saveSnapshotAndCompact(store, documentId, A.save(doc), vectorClock, compact);
}

/** Applies the deltas `seen` does not cover in one `applyChanges`; Automerge orders them by their dependencies. */
function applyStoredChanges<T>(
  doc: A.Doc<T>,
  changes: Pick<ChangesSince, 'deltas'>,
  seen: VectorClock,
): { doc: A.Doc<T>; applied: number } {
  const unseen = changes.deltas.filter((delta) => !clockCoversDelta(seen, delta));
  if (unseen.length === 0) return { doc, applied: 0 };
  const [next] = A.applyChanges(
    doc,
    unseen.map((delta) => deltaBytes(delta, 'Automerge')),
  );
  return { doc: next, applied: unseen.length };
}
