import type { AwarenessEntry, DeltaData, StorageProvider, StoredDelta, SyncDocument } from '../index.js';

/** Builds a valid delta whose own counter is `counter`; `clock` adds the other clients it has seen. */
export function makeDelta(
  id: string,
  clientId: string,
  counter: number,
  extra: { clock?: Record<string, number>; data?: DeltaData; timestamp?: number } = {},
): StoredDelta {
  return {
    id,
    clientId,
    timestamp: extra.timestamp ?? 1_700_000_000_000 + counter,
    data: extra.data === undefined ? { note: id } : extra.data,
    vectorClock: { ...extra.clock, [clientId]: counter },
  };
}

/**
 * Stores one delta per key of `clock`, with that key's counter as its own, so that the document clock covers
 * `clock`: a snapshot may only claim what was stored.
 */
export async function storeClock(
  documents: StorageProvider['documents'],
  documentId: string,
  clock: Record<string, number>,
): Promise<void> {
  const deltas = Object.entries(clock)
    .filter(([, counter]) => counter > 0)
    .map(([clientId, counter]) => makeDelta(`seed-${clientId}-${counter}`, clientId, counter));
  await documents.addDeltas(documentId, deltas);
}

export const idsOf = (deltas: readonly StoredDelta[]): string[] => deltas.map((delta) => delta.id);

/** Gathers an async iterable; stops with an error past `max` items, so an iterator that never ends fails instead of hanging. */
export async function collect<T>(iterable: AsyncIterable<T>, max = 20_000): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) {
    if (items.length === max) throw new Error(`the iterable yielded more than ${max} items`);
    items.push(item);
  }
  return items;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const bytesOf = (data: Uint8Array): number[] => Array.from(data);

/** Code-point order written independently of the driver's: compare the code point sequences. */
export function codePointSort(values: readonly string[]): string[] {
  const points = (value: string): number[] => Array.from(value, (char) => char.codePointAt(0)!);
  return [...values].sort((a, b) => {
    const x = points(a);
    const y = points(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  });
}

/** Document ids that awareness-only tests write under, so a storage read can see entries without a document. */
export const AWARENESS_ROOMS = ['doc', 'room', 'other'] as const;

/**
 * Everything observable through the public API, with dates as numbers: two equal reads mean nothing was written.
 * It lists documents, their deltas, snapshots and clocks, and awareness entries (live and expired).
 */
export async function readStorage(provider: StorageProvider): Promise<unknown> {
  const { documents, awareness } = provider;
  const ids = await collect(documents.iterateDocumentIds());
  const docs = [];
  for (const id of ids) {
    const snapshot = await documents.getSnapshot(id);
    docs.push({
      document: plainDocument(await documents.get(id)),
      deltas: await documents.getDeltasSince(id),
      snapshot: snapshot && {
        data: bytesOf(snapshot.data),
        vectorClock: snapshot.vectorClock,
        createdAt: snapshot.createdAt.getTime(),
      },
    });
  }
  const rooms = [...new Set([...ids, ...AWARENESS_ROOMS])];
  const live = [];
  for (const room of rooms) live.push(...(await awareness.getAll(room)).map(plainEntry));
  const expired = (await awareness.getExpired()).map(plainEntry).sort((a, b) => entryKey(a).localeCompare(entryKey(b)));
  return { docs, live, expired };
}

function plainDocument(doc: SyncDocument | null): unknown {
  return (
    doc && {
      id: doc.id,
      vectorClock: doc.vectorClock,
      createdAt: doc.createdAt.getTime(),
      updatedAt: doc.updatedAt.getTime(),
    }
  );
}

export function plainEntry(
  entry: AwarenessEntry,
): Omit<AwarenessEntry, 'updatedAt' | 'expiresAt'> & { updatedAt: number; expiresAt: number } {
  return { ...entry, updatedAt: entry.updatedAt.getTime(), expiresAt: entry.expiresAt.getTime() };
}

const entryKey = (entry: { documentId: string; clientId: string }): string =>
  `${entry.documentId}\u0001${entry.clientId}`;

/** Sorts awareness entries by document then client, for comparisons that must ignore order. */
export function sortEntries<T extends { documentId: string; clientId: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => (entryKey(a) < entryKey(b) ? -1 : entryKey(a) > entryKey(b) ? 1 : 0));
}
