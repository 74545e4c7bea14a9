/**
 * How long one slice of a large call may run before it lets the event loop take other work: a legal batch
 * (10,000 deltas) costs tens of milliseconds to check and encode, and a process serving HTTP must answer
 * meanwhile (issue 23: `/health` waited for whole batches).
 */
export const SLICE_MS = 8;

/** Resolves after the event loop has run what was waiting (timers, I/O): a macrotask, not a microtask. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * `items.map(map)`, in slices of about `SLICE_MS`. Work that fits one slice is done at once and its result
 * returned as is (not a promise), so a small call keeps its place among concurrent calls as before; longer
 * work yields to the event loop (setImmediate) between slices and answers a promise. For work that reads no
 * shared state: what it depends on may change between slices. One that throws stops at the item that threw.
 */
export function mapInSlices<T, R>(items: readonly T[], map: (item: T, index: number) => R): R[] | Promise<R[]> {
  const results = new Array<R>(items.length);
  const sliceStart = performance.now();
  for (let index = 0; index < items.length; index++) {
    // Reading the clock costs tens of nanoseconds, against microseconds per delta: every item may check it.
    if (performance.now() - sliceStart >= SLICE_MS) return mapRest(items, map, results, index);
    results[index] = map(items[index]!, index);
  }
  return results;
}

async function mapRest<T, R>(
  items: readonly T[],
  map: (item: T, index: number) => R,
  results: R[],
  from: number,
): Promise<R[]> {
  let sliceStart = 0;
  for (let index = from; index < items.length; index++) {
    if (index === from || performance.now() - sliceStart >= SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
    results[index] = map(items[index]!, index);
  }
  return results;
}
