import type { AwarenessEntry, StorageProvider } from '../../src/index.js';

/**
 * Everything a user can read back through the public API, with dates as numbers: two equal reads mean
 * nothing was written in between. Awareness entries are read for every document and for `rooms`
 * (entries may live under ids that have no document).
 */
export async function readObservableState(provider: StorageProvider, rooms: readonly string[] = []): Promise<unknown> {
  const { documents, awareness } = provider;
  const ids: string[] = [];
  for await (const id of documents.iterateDocumentIds({ pageSize: 100 })) ids.push(id);
  const docs = [];
  for (const id of ids) {
    const doc = await documents.get(id);
    const snapshot = await documents.getSnapshot(id);
    docs.push({
      id,
      vectorClock: doc?.vectorClock,
      createdAt: doc?.createdAt.getTime(),
      updatedAt: doc?.updatedAt.getTime(),
      deltas: await documents.getDeltasSince(id),
      snapshot: snapshot && {
        data: Array.from(snapshot.data),
        vectorClock: snapshot.vectorClock,
        createdAt: snapshot.createdAt.getTime(),
      },
    });
  }
  const presence: Record<string, unknown[]> = {};
  for (const room of new Set([...ids, ...rooms])) presence[room] = (await awareness.getAll(room)).map(plainEntry);
  // getExpired lists in no particular order.
  const expired = (await awareness.getExpired())
    .map(plainEntry)
    .map((entry) => JSON.stringify(entry))
    .sort();
  return { docs, presence, expired };
}

function plainEntry(entry: AwarenessEntry): Record<string, unknown> {
  return { ...entry, updatedAt: entry.updatedAt.getTime(), expiresAt: entry.expiresAt.getTime() };
}
