import * as Y from 'yjs';
import type { DocumentStore, HistoryPoint } from '../storage/contract/types.js';
import { applyChangesToYDoc, type ApplyYjsChangesOptions } from './yjs-updates.js';
import type { LoadedYDoc } from './yjs-document.js';

/** A document as it was at a version: `version` is the one read (for `{ time }`, the last at or before it). */
export interface LoadedYDocAt extends LoadedYDoc {
  /** The version read. */
  version: number;
}

/**
 * Builds a Y.Doc holding the document as it was right after a version (`getChangesAt`): one history read,
 * then the snapshot and deltas applied. Rejects with `HistoryUnavailableError` past `historyRetentionMs`.
 */
export async function loadYDocAt(
  store: Pick<DocumentStore, 'getChangesAt'>,
  documentId: string,
  at: HistoryPoint,
  { doc = new Y.Doc(), ...options }: ApplyYjsChangesOptions & { doc?: Y.Doc } = {},
): Promise<LoadedYDocAt> {
  const clock: Record<string, number> = {};
  const changes = await store.getChangesAt(documentId, at);
  return { doc, clock, version: changes.version, ...applyChangesToYDoc(doc, changes, clock, options) };
}

/** The origin of the transaction in which the restore update is computed (never seen by `current`). */
const REVERT = Symbol('nest-sync-storage restore');

/** A constructor of a Yjs shared type, as `Y.Doc#get` takes it. */
export type YjsRootType = typeof Y.Text | typeof Y.Map | typeof Y.Array | typeof Y.XmlFragment;

/**
 * An update that, applied to `current`, makes its content equal to `old`'s: new Yjs operations that delete
 * what was added since and re-insert what was deleted, so it merges like any edit. Replays the changes from
 * `old` to `current` on a copy of `old` and undoes them (Y.UndoManager): costs both documents' state.
 * `rootTypes` names the kind of each root type; by default it is read from `current` (a root type never
 * read with a kind is told from its content: map entries, text, XML or array items).
 */
export function restoreYDocUpdate(
  current: Y.Doc,
  old: Y.Doc,
  rootTypes: Record<string, YjsRootType> = rootTypesOf(current),
): Uint8Array {
  const work = new Y.Doc({ gc: false });
  Y.applyUpdate(work, Y.encodeStateAsUpdate(old));
  // The undo manager follows typed roots only (an untyped placeholder reports no change).
  const scope = Object.entries(rootTypes).map(([name, type]) => work.get(name, type));
  const undo = new Y.UndoManager(scope, { trackedOrigins: new Set([REVERT]), captureTimeout: 0 });
  Y.applyUpdate(work, Y.encodeStateAsUpdate(current, Y.encodeStateVector(work)), REVERT);
  undo.undo();
  undo.destroy();
  const update = Y.encodeStateAsUpdate(work, Y.encodeStateVector(current));
  work.destroy();
  return update;
}

/** The kind of each root type of `doc` that holds anything: its class when read with one, else told from its content. */
function rootTypesOf(doc: Y.Doc): Record<string, YjsRootType> {
  const kinds: Record<string, YjsRootType> = {};
  for (const [name, type] of doc.share) {
    if (type instanceof Y.Text || type instanceof Y.Map || type instanceof Y.Array || type instanceof Y.XmlFragment) {
      kinds[name] = type.constructor as YjsRootType;
      continue;
    }
    if (type._map.size > 0) kinds[name] = Y.Map;
    let kind: YjsRootType | undefined;
    for (let item = type._start; item !== null && kind === undefined; item = item.right) {
      const content = item.content;
      if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed)
        kind = Y.Text;
      else if (
        content instanceof Y.ContentType &&
        (content.type instanceof Y.XmlElement || content.type instanceof Y.XmlText || content.type instanceof Y.XmlHook)
      )
        kind = Y.XmlFragment;
    }
    if (type._start !== null) kinds[name] = kind ?? Y.Array;
  }
  return kinds;
}

/**
 * The restore recipe in one call: reads the version, and applies to `current` (the live document, e.g. the
 * Hocuspocus server's copy) the update that brings its content back to it. Whatever stores `current`'s
 * updates stores it like any edit, and every connected client receives it. Returns the update.
 */
export async function restoreYDocTo(
  store: Pick<DocumentStore, 'getChangesAt'>,
  documentId: string,
  at: HistoryPoint,
  current: Y.Doc,
  { origin }: { origin?: unknown } = {},
): Promise<Uint8Array> {
  const { doc: old } = await loadYDocAt(store, documentId, at);
  const update = restoreYDocUpdate(current, old);
  old.destroy();
  Y.applyUpdate(current, update, origin);
  return update;
}
