import * as Y from 'yjs';
import { StorageError } from '../storage/contract/errors.js';

/**
 * A snapshot about to be stored would not hold what the document holds: it was neither saved nor
 * compacted. `documentId` names the document; the message says what differed, never the content.
 */
export class YjsSnapshotMismatchError extends StorageError {
  constructor(
    /** The document whose snapshot was refused. */
    readonly documentId: string,
    /** What differed between the snapshot and the live document (never the content itself). */
    readonly differs: 'state vector and deletions' | 'content' | 'pending structs',
  ) {
    super(`the snapshot of document ${JSON.stringify(documentId)} differs from the live document in its ${differs}`);
  }
}

/**
 * `Y.encodeStateAsUpdate(doc)` without the structs and deletions Yjs keeps pending. Those wait for
 * content the document lacks; `encodeStateAsUpdate` merges them into the state, and an update of
 * pending items that reuse a writer's ids then replaces that writer's real items in the encoding.
 * They are left out (Yjs has no public call for that) and put back in the same synchronous step.
 */
export function encodeIntegratedState(doc: Y.Doc): Uint8Array {
  const { store } = doc;
  const { pendingStructs, pendingDs } = store;
  store.pendingStructs = null;
  store.pendingDs = null;
  try {
    return Y.encodeStateAsUpdate(doc);
  } finally {
    store.pendingStructs = pendingStructs;
    store.pendingDs = pendingDs;
  }
}

/**
 * Loads `data` into a fresh Y.Doc and compares it with `doc`: the same state vector and deletions
 * (`Y.snapshot`), nothing pending, and the same content in every shared type. Throws
 * `YjsSnapshotMismatchError` otherwise. Costs a decode and a walk of the document.
 */
export function checkYjsSnapshot(documentId: string, doc: Y.Doc, data: Uint8Array): void {
  const reloaded = new Y.Doc({ gc: doc.gc });
  try {
    Y.applyUpdate(reloaded, data);
    if (reloaded.store.pendingStructs !== null || reloaded.store.pendingDs !== null)
      throw new YjsSnapshotMismatchError(documentId, 'pending structs');
    if (!Y.equalSnapshots(Y.snapshot(reloaded), Y.snapshot(doc)))
      throw new YjsSnapshotMismatchError(documentId, 'state vector and deletions');
    if (contentSummary(reloaded, doc) !== contentSummary(doc, doc))
      throw new YjsSnapshotMismatchError(documentId, 'content');
  } finally {
    reloaded.destroy();
  }
}

/** The JSON of every shared type of `doc`, typed as in `model` (a fresh doc knows only the names), keys sorted. */
function contentSummary(doc: Y.Doc, model: Y.Doc): string {
  const names = [...new Set([...model.share.keys(), ...doc.share.keys()])].sort();
  const types = names.map((name) => {
    const shared = model.share.get(name);
    return [name, shared ? doc.get(name, shared.constructor as typeof Y.AbstractType).toJSON() : null];
  });
  return JSON.stringify(types, (_key, value: unknown) => sortedKeys(value));
}

// Y.Map#toJSON lists keys in the order they were integrated, which differs between replicas.
function sortedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, object[key]]),
  );
}
