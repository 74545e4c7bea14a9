import * as Y from 'yjs';
import { copyClock } from '../storage/contract/clocks.js';
import type { VectorClock } from '../storage/contract/types.js';
import {
  saveSnapshotAndCompact,
  type CrdtDocumentStore,
  type CrdtSnapshotResult,
} from '../integrations/crdt-document-store.js';
import { checkYjsSnapshot, encodeIntegratedState } from './yjs-snapshot-check.js';
import { applyChangesToYDoc, type AppliedYjsChanges, type ApplyYjsChangesOptions } from './yjs-updates.js';

/** A document read from the store, and the clock of exactly what it holds. */
export interface LoadedYDoc extends AppliedYjsChanges {
  /** The document built (or the `doc` passed in, filled). */
  doc: Y.Doc;
  /** What `doc` holds: pass it to `catchUpYDoc` and `snapshotYDoc`. */
  clock: Record<string, number>;
}

/** Builds a Y.Doc (or fills `doc`) from the stored snapshot and the deltas after it. */
export async function loadYDoc(
  store: Pick<CrdtDocumentStore, 'getChangesSince'>,
  documentId: string,
  { doc = new Y.Doc(), ...options }: ApplyYjsChangesOptions & { doc?: Y.Doc } = {},
): Promise<LoadedYDoc> {
  const clock: Record<string, number> = {};
  const changes = await store.getChangesSince(documentId, null);
  return { doc, clock, ...applyChangesToYDoc(doc, changes, clock, options) };
}

/**
 * Brings `doc`, which holds `clock`, up to date and advances `clock` in place. It reads with
 * `getChangesSince`, not `getDeltasSince`: deltas another instance compacted are only in the snapshot.
 */
export async function catchUpYDoc(
  store: Pick<CrdtDocumentStore, 'getChangesSince'>,
  documentId: string,
  doc: Y.Doc,
  clock: Record<string, number>,
  options: ApplyYjsChangesOptions = {},
): Promise<AppliedYjsChanges> {
  const changes = await store.getChangesSince(documentId, copyClock(clock));
  return applyChangesToYDoc(doc, changes, clock, options);
}

/**
 * Saves `doc` as the snapshot, then compacts the deltas it covers (unless `compact: false`). `clock`
 * must say what `doc` holds (the clock `loadYDoc` returned, kept up to date), never the document
 * clock read from the store, which may name deltas `doc` has not applied. State and clock are
 * copied in one synchronous step, so they agree. The state leaves out what Yjs holds pending, and is
 * checked before anything is written: reloaded, it must equal `doc` (`YjsSnapshotMismatchError`).
 */
export async function snapshotYDoc(
  store: Pick<CrdtDocumentStore, 'saveSnapshot' | 'compactDeltas'>,
  documentId: string,
  doc: Y.Doc,
  clock: VectorClock,
  { compact = true }: { compact?: boolean } = {},
): Promise<CrdtSnapshotResult> {
  const vectorClock = copyClock(clock);
  const data = encodeIntegratedState(doc);
  checkYjsSnapshot(documentId, doc, data);
  return saveSnapshotAndCompact(store, documentId, data, vectorClock, compact);
}
