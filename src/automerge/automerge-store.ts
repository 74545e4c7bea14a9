import * as A from '@automerge/automerge';
import { StorageValidationError } from '../storage/contract/errors.js';
import type { StoredDelta } from '../storage/contract/types.js';
import type { CrdtDocumentStore } from '../integrations/crdt-document-store.js';
import { automergeChangeToDelta, hasIncrement, savesAndLoads } from './automerge-changes.js';
import { loadAutomergeDoc } from './automerge-document.js';

/** What `storeAutomergeChanges` checks the changes against: the document as stored, or the caller's copy of it. */
export interface StoreAutomergeChangesOptions {
  /**
   * The document the changes are checked against (not changed). Default: loaded from the store, which
   * costs the document's history; pass a copy kept up to date to save that.
   */
  doc?: A.Doc<unknown>;
}

/**
 * Stores changes in any order; resends store nothing. Answers how many were new. Each change must be
 * an Automerge change that Automerge applies to the document (with the others of the call): a change
 * it refuses would make every later load fail, so the call rejects with `StorageValidationError`
 * naming `changes[i]`, and nothing is stored.
 */
export async function storeAutomergeChanges(
  store: Pick<CrdtDocumentStore, 'addDeltas' | 'getChangesSince'>,
  documentId: string,
  changes: readonly Uint8Array[],
  { doc }: StoreAutomergeChangesOptions = {},
): Promise<number> {
  if (changes.length === 0) return 0;
  const deltas = changes.map(decodedChange);
  assertChangesApply(doc ?? (await loadAutomergeDoc(store, documentId)).doc, changes);
  return store.addDeltas(documentId, deltas);
}

/** What `saveAutomergeChanges` stored. */
export interface SavedAutomergeChanges {
  /** Changes that were new to the store. */
  stored: number;
  /** Changes sent (new or not). */
  sent: number;
  /** The document's heads: pass them as `since` next time. */
  heads: A.Heads;
}

/**
 * Stores the changes of `doc` that came after `since` (the heads of the last save; default: all).
 * They are `doc`'s own history, which Automerge has applied, so they are not checked again.
 */
export async function saveAutomergeChanges<T>(
  store: Pick<CrdtDocumentStore, 'addDeltas'>,
  documentId: string,
  doc: A.Doc<T>,
  { since = [] }: { since?: A.Heads } = {},
): Promise<SavedAutomergeChanges> {
  const heads = A.getHeads(doc);
  const changes = A.getChangesSince(doc, since);
  const stored = changes.length === 0 ? 0 : await store.addDeltas(documentId, changes.map(decodedChange));
  return { stored, sent: changes.length, heads };
}

function decodedChange(change: Uint8Array, index: number): StoredDelta {
  try {
    return automergeChangeToDelta(change);
  } catch {
    throw new StorageValidationError(`changes[${index}]`, 'is not an Automerge change');
  }
}

/**
 * Applies `changes` to a copy of `doc`, and when one increments, checks that the result saves and loads back.
 * When either fails, finds the first change at fault on top of the ones before it. A refused apply can leave a document half-changed, so every try gets a copy.
 */
function assertChangesApply(doc: A.Doc<unknown>, changes: readonly Uint8Array[]): void {
  // Only a call with an increment can apply and still leave a document whose save does not load.
  const increments = changes.map(hasIncrement);
  try {
    const [applied] = A.applyChanges(A.clone(doc), changes.slice());
    if (!increments.includes(true) || savesAndLoads(applied)) return;
  } catch {
    // found below
  }
  let current = doc;
  for (const [index, change] of changes.entries()) {
    try {
      [current] = A.applyChanges(A.clone(current), [change]);
    } catch {
      throw new StorageValidationError(`changes[${index}]`, 'is a change Automerge refuses to apply to the document');
    }
    if (increments[index] && !savesAndLoads(current))
      throw new StorageValidationError(
        `changes[${index}]`,
        'increments a value that is not a counter: the document would no longer load from a snapshot',
      );
  }
  throw new StorageValidationError('changes', 'are changes Automerge refuses to apply to the document together');
}
