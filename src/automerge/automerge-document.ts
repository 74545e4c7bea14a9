import * as A from '@automerge/automerge';
import { clockCoversDelta, copyClock, mergeInto } from '../storage/contract/clocks.js';
import type { ChangesSince, StoredDelta, VectorClock } from '../storage/contract/types.js';
import {
  deltaBytes,
  saveSnapshotAndCompact,
  type CrdtDocumentStore,
  type CrdtSnapshotResult,
} from '../integrations/crdt-document-store.js';
import { automergeClock } from './automerge-changes.js';

/** A document read from the store. */
export interface LoadedAutomergeDoc<T> {
  /** The document built from the snapshot and the deltas after it. */
  doc: A.Doc<T>;
  /** What `doc` holds (its own history). */
  clock: VectorClock;
  /** Deltas applied after the snapshot. */
  applied: number;
  /** Whether a stored snapshot was loaded (`Automerge.load`) before the deltas. */
  fromSnapshot: boolean;
  /**
   * Changes held back because a change they depend on is not stored yet (another actor stores it
   * later). They stay queued inside the document and count in no clock until it arrives.
   */
  missingDeps: number;
  /** Ids of stored deltas Automerge refused (or that hold JSON): skipped, so that one bad row cannot stop every load. */
  badDeltas: string[];
}

/** Options of `loadAutomergeDoc`. */
export interface LoadAutomergeDocOptions {
  /** Called for each stored delta that is skipped because Automerge refuses it. */
  onBadDelta?(error: unknown, delta: StoredDelta): void;
}

/** Builds a document from the stored snapshot (`Automerge.load`) and the changes after it. */
export async function loadAutomergeDoc<T>(
  store: Pick<CrdtDocumentStore, 'getChangesSince'>,
  documentId: string,
  { actor, onBadDelta }: { actor?: A.ActorId } & LoadAutomergeDocOptions = {},
): Promise<LoadedAutomergeDoc<T>> {
  const changes = await store.getChangesSince(documentId, null);
  const options = actor === undefined ? {} : { actor };
  // save() keeps changes that wait for missing dependencies; allowMissingChanges keeps them waiting on load.
  const start = (): A.Doc<T> =>
    changes.snapshot ? A.load<T>(changes.snapshot.data, { ...options, allowMissingChanges: true }) : A.init<T>(options);
  const seen = copyClock(changes.snapshot?.vectorClock ?? {});
  const { doc, applied, badDeltas } = applyStoredChanges(start(), start, changes, seen, onBadDelta);
  return {
    doc,
    clock: automergeClock(doc),
    applied,
    fromSnapshot: changes.snapshot !== null,
    missingDeps: A.getMissingDeps(doc, []).length,
    badDeltas,
  };
}

/** What `catchUpAutomergeDoc` brought in. */
export interface CaughtUpAutomergeDoc<T> {
  /** The document to go on with: as after `Automerge.applyChanges`, the one passed in is outdated (readable, not changeable). */
  doc: A.Doc<T>;
  /** What the returned `doc` holds: pass it to the next catch-up and to `snapshotAutomergeDoc`. */
  clock: VectorClock;
  /** How many stored deltas were applied. */
  applied: number;
  /** Whether the stored snapshot was merged in (it held changes `doc` lacked, some perhaps compacted away). */
  snapshot: boolean;
  /** Ids of stored deltas Automerge refused: skipped. */
  badDeltas: string[];
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
  { onBadDelta }: LoadAutomergeDocOptions = {},
): Promise<CaughtUpAutomergeDoc<T>> {
  const changes = await store.getChangesSince(documentId, clock);
  const seen = copyClock(clock);
  if (changes.snapshot) mergeInto(seen, changes.snapshot.vectorClock);
  // A refused apply can leave the document half-changed: a retry starts again from a copy taken first.
  const start = (): A.Doc<T> => {
    const copy = A.clone(doc);
    return changes.snapshot ? A.loadIncremental(copy, changes.snapshot.data) : copy; // merges a whole save()
  };
  const result = applyStoredChanges(start(), start, changes, seen, onBadDelta);
  return {
    doc: result.doc,
    clock: automergeClock(result.doc),
    applied: result.applied,
    snapshot: !!changes.snapshot,
    badDeltas: result.badDeltas,
  };
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

/**
 * Applies the deltas `seen` does not cover in one `applyChanges`; Automerge orders them by their
 * dependencies. If Automerge refuses the batch, starts again from `restart()` and applies them one by
 * one, each on a copy, skipping (and reporting) the ones it refuses.
 */
function applyStoredChanges<T>(
  doc: A.Doc<T>,
  restart: () => A.Doc<T>,
  changes: Pick<ChangesSince, 'deltas'>,
  seen: VectorClock,
  onBadDelta: LoadAutomergeDocOptions['onBadDelta'],
): { doc: A.Doc<T>; applied: number; badDeltas: string[] } {
  const unseen = changes.deltas.filter((delta) => !clockCoversDelta(seen, delta));
  if (unseen.length === 0) return { doc, applied: 0, badDeltas: [] };
  try {
    const [next] = A.applyChanges(
      doc,
      unseen.map((delta) => deltaBytes(delta, 'Automerge')),
    );
    return { doc: next, applied: unseen.length, badDeltas: [] };
  } catch {
    // one of them is refused: found below
  }
  let current = restart();
  const badDeltas: string[] = [];
  for (const delta of unseen) {
    try {
      [current] = A.applyChanges(A.clone(current), [deltaBytes(delta, 'Automerge')]);
    } catch (error) {
      badDeltas.push(delta.id);
      onBadDelta?.(error, delta);
    }
  }
  return { doc: current, applied: unseen.length - badDeltas.length, badDeltas };
}
