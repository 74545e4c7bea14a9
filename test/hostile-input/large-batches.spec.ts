import { DeltaConflictError, openStorageProvider, type StorageProvider, type StoredDelta } from '../../src/index.js';

/** The legal worst case of issue 23, finding 2: 10,000 deltas with 200-character ids and some data. */
const largeBatch = (clientId: string): StoredDelta[] =>
  Array.from({ length: 10_000 }, (_, i) => ({
    id: `${'i'.repeat(190)}-${clientId}-${i + 1}`,
    clientId,
    timestamp: i + 1,
    data: { text: 'x'.repeat(100) },
    vectorClock: { [clientId]: i + 1 },
  }));

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Reads `read` once per turn of the event loop until `until` settles; answers what each read saw. */
async function readEachTurn<T>(until: Promise<unknown>, read: () => Promise<T>): Promise<T[]> {
  let settled = false;
  void until.then(
    () => (settled = true),
    () => (settled = true),
  );
  const seen: T[] = [];
  while (!settled) {
    seen.push(await read());
    await nextTurn();
  }
  return seen;
}

describe('a batch of 10,000 deltas on the memory driver', () => {
  let provider: StorageProvider;

  beforeEach(async () => {
    provider = await openStorageProvider({ driver: 'memory' });
  });

  afterEach(() => provider.close());

  it('lets the event loop run while it is checked and stored, and readers meanwhile see none of it or all of it', async () => {
    const { documents } = provider;
    const writing = documents.addDeltas('doc', largeBatch('w'));
    const seen = await readEachTurn(writing, async () => (await documents.getVectorClock('doc'))['w'] ?? 0);
    expect(await writing).toBe(10_000);
    // Held whole, the batch would be stored before the first read: one read, seeing all of it.
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[0]).toBe(0);
    expect(seen.filter((counter) => counter !== 0 && counter !== 10_000)).toEqual([]);
    expect(await documents.getDeltasSince('doc')).toHaveLength(10_000);
  });

  it('judges a batch against the writes stored while it was checked: a conflict leaves exactly one of them', async () => {
    const { documents } = provider;
    const batch = largeBatch('w');
    const writing = documents.addDeltas('doc', batch);
    // Another id for an event the batch holds, written on the next turn of the event loop.
    await nextTurn();
    const single = documents.addDelta('doc', { ...batch[4_999]!, id: 'another-id' });
    const [batchOutcome, singleOutcome] = await Promise.allSettled([writing, single]);
    const stored = (await documents.getDeltasSince('doc')).map((delta) => delta.id);
    if (batchOutcome.status === 'fulfilled') {
      expect(singleOutcome).toEqual({ status: 'rejected', reason: expect.any(DeltaConflictError) });
      expect(stored).toEqual(batch.map((delta) => delta.id));
    } else {
      expect(batchOutcome.reason).toBeInstanceOf(DeltaConflictError);
      expect(singleOutcome).toEqual({ status: 'fulfilled', value: true });
      expect(stored).toEqual(['another-id']);
    }
  });
});
