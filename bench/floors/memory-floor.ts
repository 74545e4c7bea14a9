import type { Floor } from './floor.js';

/**
 * The memory driver's floor: the JSON work it cannot skip. It must serialise what it is given (to check it and
 * keep it safe from the caller's later changes) and hand out fresh copies of what it returns.
 */
export function memoryFloor(): Floor {
  const snapshots = new Map<string, Uint8Array>();
  // Each count comes from the work's results, so the engine cannot drop the work.
  const parseAll = async (json: readonly string[]) => json.filter((text) => JSON.parse(text) !== undefined).length;
  const stringifyAll = async (values: readonly unknown[]) =>
    values.filter((value) => JSON.stringify(value) !== undefined).length;
  return {
    addDeltas: (_, deltas) => stringifyAll(deltas),
    getDeltasSince: (_, __, json) => parseAll(json),
    readClock: async (since) => Object.keys(JSON.parse(JSON.stringify(since)) as object).length,
    newClientChanges: async (_, snapshot, json) =>
      new Uint8Array(snapshot).byteLength === snapshot.byteLength ? parseAll(json) : -1,
    getVectorClock: async (_, clock) => {
      const copy: Record<string, number> = {};
      for (const key of Object.keys(clock)) copy[key] = clock[key]!;
      return Object.keys(copy).length;
    },
    saveSnapshot: async (documentId, data) => void snapshots.set(documentId, new Uint8Array(data)),
    getSnapshot: async (documentId) => new Uint8Array(snapshots.get(documentId)!).byteLength,
    setAwareness: async (_, __, state) => (await stringifyAll([state])) === 1,
    getAllAwareness: (_, json) => parseAll(json),
  };
}
