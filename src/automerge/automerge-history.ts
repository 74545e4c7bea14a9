import * as A from '@automerge/automerge';
import type { DocumentStore, HistoryPoint } from '../storage/contract/types.js';
import { loadAutomergeDoc, type LoadAutomergeDocOptions, type LoadedAutomergeDoc } from './automerge-document.js';

/** An Automerge document as it was at a version. */
export interface LoadedAutomergeDocAt<T> extends LoadedAutomergeDoc<T> {
  /** The version read (for a time: the last one written at or before it). */
  version: number;
}

/**
 * Builds the Automerge document as it was right after a version (`getChangesAt`), like `loadAutomergeDoc`
 * does for the current one: one history read. Rejects with `HistoryUnavailableError` past retention.
 */
export async function loadAutomergeDocAt<T>(
  store: Pick<DocumentStore, 'getChangesAt'>,
  documentId: string,
  at: HistoryPoint,
  options: { actor?: A.ActorId } & LoadAutomergeDocOptions = {},
): Promise<LoadedAutomergeDocAt<T>> {
  let version = 0;
  const loaded = await loadAutomergeDoc<T>(
    {
      getChangesSince: async () => {
        const changes = await store.getChangesAt(documentId, at);
        version = changes.version;
        return changes;
      },
    },
    documentId,
    options,
  );
  return { ...loaded, version };
}

/**
 * The restore recipe for Automerge: a new change on `current` that makes its root keys equal to `old`'s
 * (keys `old` lacks are deleted, the others set to `old`'s values where they differ), so it is stored and
 * merged like any edit (`saveAutomergeChanges`). For a read-only look at the past, `Automerge.view(current,
 * heads)` needs no store at all. Costs the two documents' content.
 */
export function restoreAutomergeDoc<T>(current: A.Doc<T>, old: A.Doc<T>, message = 'restore'): A.Doc<T> {
  const target = A.toJS(old) as Record<string, unknown>;
  return A.change(current, { message }, (draft) => {
    const root = draft as Record<string, unknown>;
    const now = A.toJS(current) as Record<string, unknown>;
    for (const key of Object.keys(now)) if (!(key in target)) delete root[key];
    for (const [key, value] of Object.entries(target))
      if (JSON.stringify(now[key]) !== JSON.stringify(value)) root[key] = value;
  });
}
