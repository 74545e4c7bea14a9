import { openStorageProvider, type StorageProvider, type StoredDelta } from '../../src/index.js';
import { SortedChunks } from '../../src/storage/memory/sorted-chunks.js';

/**
 * The memory driver's work measured without a clock: how many array elements its writes shift (what
 * `splice` moves) and how many it sorts. Timing budgets are in bench/ (the hostile-inputs scenario).
 */
function countWork<T>(run: () => Promise<T>): Promise<{ result: T; shifted: number; sorted: number }> {
  const { splice, sort } = Array.prototype;
  let shifted = 0;
  let sorted = 0;
  Array.prototype.splice = function (this: unknown[], start: number, ...rest: unknown[]) {
    const from = start < 0 ? Math.max(this.length + start, 0) : Math.min(start, this.length);
    shifted += this.length - from;
    return splice.call(this, start, ...(rest as [number, ...unknown[]]));
  } as typeof splice;
  Array.prototype.sort = function (this: unknown[], compare?: (a: unknown, b: unknown) => number) {
    sorted += this.length;
    return sort.call(this, compare);
  } as typeof sort;
  return run()
    .then((result) => ({ result, shifted, sorted }))
    .finally(() => {
      Array.prototype.splice = splice;
      Array.prototype.sort = sort;
    });
}

const delta = (clientId: string, counter: number): StoredDelta => ({
  id: `${clientId}-${counter}`,
  clientId,
  timestamp: counter,
  data: null,
  vectorClock: { [clientId]: counter },
});

describe('the memory driver under adversarial orders', () => {
  let provider: StorageProvider;

  beforeEach(async () => {
    provider = await openStorageProvider({ driver: 'memory' });
  });

  afterEach(() => provider.close());

  it('stores counters written in descending order shifting a bounded number of elements per delta', async () => {
    const count = 20_000;
    const { shifted } = await countWork(async () => {
      for (let top = count; top > 0; top -= 500) {
        const batch = Array.from({ length: 500 }, (_, i) => delta('down', top - i));
        await provider.documents.addDeltas('doc', batch);
      }
    });
    // A sorted array shifted every stored delta on each insert: about count² / 2 = 200,000,000 elements.
    expect(shifted).toBeLessThan(count * 1_000);
    const page = await provider.documents.getDeltasPage('doc', { down: count - 3 }, { limit: 10 });
    expect(page.deltas.map((each) => each.id)).toEqual(['down-20000', 'down-19999', 'down-19998']);
    expect(await provider.documents.addDelta('doc', delta('down', 1))).toBe(false);
  });

  it('creates and lists documents in any order without re-sorting the index on each read', async () => {
    const { shifted, sorted } = await countWork(async () => {
      for (let i = 5_000; i > 0; i--) {
        await provider.documents.getOrCreate(`doc-${String(i).padStart(5, '0')}`);
        await provider.documents.getDocumentIds({ limit: 1 });
      }
    });
    expect(shifted + sorted).toBeLessThan(5_000 * 1_000);
    expect(await provider.documents.getDocumentIds({ limit: 2, cursor: 'doc-00001' })).toEqual([
      'doc-00002',
      'doc-00003',
    ]);
  });

  it('answers the first page of a catch-up without sorting every unseen delta', async () => {
    const deltas = Array.from({ length: 20_000 }, (_, i) => delta(i % 2 ? 'ann' : 'bob', Math.floor(i / 2) + 1));
    for (let i = 0; i < deltas.length; i += 5_000)
      await provider.documents.addDeltas('doc', deltas.slice(i, i + 5_000));
    const { result, sorted } = await countWork(() => provider.documents.getDeltasPage('doc', { ann: 1 }, { limit: 1 }));
    expect(sorted).toBeLessThan(100);
    expect(result.deltas.map((each) => each.id)).toEqual(['bob-1']);
    const second = await provider.documents.getDeltasPage('doc', { ann: 1 }, { limit: 2, after: result.next });
    expect(second.deltas.map((each) => each.id)).toEqual(['bob-2', 'ann-2']);
  });
});

describe('SortedChunks', () => {
  const numbers = () =>
    new SortedChunks<number, number>(
      (n) => n,
      (a, b) => a - b,
    );

  it.each([
    ['ascending', (i: number) => i],
    ['descending', (i: number) => 50_000 - i],
    ['shuffled', (i: number) => (i * 7_919) % 50_000],
  ])('keeps %s inserts sorted, in chunks of at most 512 items', (_, valueAt) => {
    const sorted = numbers();
    for (let i = 0; i < 50_000; i++) sorted.insert(valueAt(i));
    expect(sorted.size).toBe(50_000);
    expect(Math.max(...sorted.chunkSizes())).toBeLessThanOrEqual(512);
    const expected = Array.from({ length: 50_000 }, (_, i) => valueAt(i)).sort((a, b) => a - b);
    expect([...sorted.itemsAbove()]).toEqual(expected);
    expect([...sorted.itemsAbove(49_996)]).toEqual(expected.filter((n) => n > 49_996));
  });

  it('finds, removes and removes a prefix of items, keeping its size', () => {
    const sorted = numbers();
    for (let i = 2_000; i > 0; i--) sorted.insert(i);
    expect(sorted.find(1_500)).toBe(1_500);
    expect(sorted.find(2_001)).toBeUndefined();
    expect(sorted.remove(1_500)).toBe(true);
    expect(sorted.remove(1_500)).toBe(false);
    expect(sorted.removeUpTo(1_000)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    expect(sorted.size).toBe(999);
    expect([...sorted.itemsAbove(1_498)].slice(0, 2)).toEqual([1_499, 1_501]);
    expect(sorted.last()).toBe(2_000);
  });
});
