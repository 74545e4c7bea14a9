/** Most items one chunk holds; a fuller chunk is split in two. */
const MAX_CHUNK = 512;

/**
 * Items kept sorted by a key, in chunks of at most `MAX_CHUNK`: an insert or removal anywhere moves at most
 * one chunk (plus, when a chunk splits or empties, the list of chunks), so items arriving in any order cost
 * O(log n + MAX_CHUNK) each. A plain sorted array moved half the array per out-of-order insert: authors
 * writing counters in descending order made 100,000 deltas take 11 s. Written here rather than taken from a
 * B-tree package so the memory driver, which every app loads, adds no dependency; it needs four operations.
 */
export class SortedChunks<T, K> {
  private chunks: T[][] = [];
  private count = 0;

  constructor(
    private readonly keyOf: (item: T) => K,
    private readonly compare: (a: K, b: K) => number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The item with the largest key. */
  last(): T | undefined {
    const chunk = this.chunks[this.chunks.length - 1];
    return chunk?.[chunk.length - 1];
  }

  /** Inserts `item` after the items whose key is <= its key. */
  insert(item: T): void {
    const key = this.keyOf(item);
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
    } else {
      const index = Math.min(this.chunkAbove(key), this.chunks.length - 1);
      const chunk = this.chunks[index]!;
      chunk.splice(this.indexAbove(chunk, key), 0, item);
      if (chunk.length > MAX_CHUNK) this.chunks.splice(index + 1, 0, chunk.splice(MAX_CHUNK / 2));
    }
    this.count++;
  }

  /** The first item whose key equals `key`. */
  find(key: K): T | undefined {
    const index = this.chunkAtLeast(key);
    const chunk = this.chunks[index];
    if (!chunk) return undefined;
    const item = chunk[this.indexAtLeast(chunk, key)];
    return item !== undefined && this.compare(this.keyOf(item), key) === 0 ? item : undefined;
  }

  /** Removes the first item whose key equals `key` and for which `matches` holds; true when one was removed. */
  remove(key: K, matches: (item: T) => boolean = () => true): boolean {
    for (let index = this.chunkAtLeast(key); index < this.chunks.length; index++) {
      const chunk = this.chunks[index]!;
      for (let i = this.indexAtLeast(chunk, key); i < chunk.length; i++) {
        const item = chunk[i]!;
        if (this.compare(this.keyOf(item), key) !== 0) return false;
        if (!matches(item)) continue;
        chunk.splice(i, 1);
        if (chunk.length === 0) this.chunks.splice(index, 1);
        this.count--;
        return true;
      }
    }
    return false;
  }

  /** The items whose key is above `key` (all of them when `key` is undefined), in key order. */
  *itemsAbove(key?: K): Generator<T> {
    let index = key === undefined ? 0 : this.chunkAbove(key);
    if (index >= this.chunks.length) return;
    const first = this.chunks[index]!;
    for (let i = key === undefined ? 0 : this.indexAbove(first, key); i < first.length; i++) yield first[i]!;
    for (index++; index < this.chunks.length; index++) yield* this.chunks[index]!;
  }

  /** Removes and returns the items whose key is <= `key`, in key order. */
  removeUpTo(key: K): T[] {
    const removed: T[] = [];
    while (this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const end = this.indexAbove(chunk, key);
      if (end === chunk.length) {
        removed.push(...this.chunks.shift()!);
        continue;
      }
      removed.push(...chunk.splice(0, end));
      break;
    }
    this.count -= removed.length;
    return removed;
  }

  /** How many items each chunk holds (for tests of the bound). */
  chunkSizes(): number[] {
    return this.chunks.map((chunk) => chunk.length);
  }

  /** Index of the first chunk whose last key is above `key` (chunks.length when none is). */
  private chunkAbove(key: K): number {
    return lowerBound(this.chunks.length, (i) => this.compare(this.lastKey(i), key) > 0);
  }

  /** Index of the first chunk whose last key is >= `key`. */
  private chunkAtLeast(key: K): number {
    return lowerBound(this.chunks.length, (i) => this.compare(this.lastKey(i), key) >= 0);
  }

  private indexAbove(chunk: readonly T[], key: K): number {
    return lowerBound(chunk.length, (i) => this.compare(this.keyOf(chunk[i]!), key) > 0);
  }

  private indexAtLeast(chunk: readonly T[], key: K): number {
    return lowerBound(chunk.length, (i) => this.compare(this.keyOf(chunk[i]!), key) >= 0);
  }

  private lastKey(index: number): K {
    const chunk = this.chunks[index]!;
    return this.keyOf(chunk[chunk.length - 1]!);
  }
}

/** The first index in [0, length) where `holds` is true, for a `holds` that is false then true. */
function lowerBound(length: number, holds: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (holds(mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}
