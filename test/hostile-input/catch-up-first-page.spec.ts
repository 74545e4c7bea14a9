import type { StorageProvider, StoredDelta, VectorClock } from '../../src/index.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { DRIVERS, lazyTargets } from '../support/storage-targets.js';

const targets = lazyTargets();
afterAll(() => targets.dispose());

const ids = (deltas: readonly StoredDelta[]): string[] => deltas.map((delta) => delta.id);

/**
 * Authors that stored their counters out of order, each a way a write can do it: `down` in one descending batch,
 * `late` with a lower counter in a later batch, `single` one addDelta at a time, `up` in order (the control).
 */
async function outOfOrderHistory(provider: StorageProvider, documentId: string): Promise<void> {
  const { documents } = provider;
  await documents.addDeltas(
    documentId,
    Array.from({ length: 8 }, (_, i) => makeDelta(`down-${8 - i}`, 'down', 8 - i)),
  );
  for (let counter = 1; counter <= 8; counter++) {
    await documents.addDelta(documentId, makeDelta(`up-${counter}`, 'up', counter));
    if (counter === 4)
      await documents.addDeltas(
        documentId,
        [5, 6, 7, 8].map((c) => makeDelta(`late-${c}`, 'late', c)),
      );
  }
  await documents.addDeltas(
    documentId,
    [1, 2, 3, 4].map((c) => makeDelta(`late-${c}`, 'late', c)),
  );
  for (const counter of [3, 1, 4, 2])
    await documents.addDelta(documentId, makeDelta(`single-${counter}`, 'single', counter));
}

describe.each(DRIVERS)('the first page of a catch-up on the %s driver', (driver) => {
  let provider: StorageProvider;

  beforeAll(async () => {
    provider = await (await targets.get(driver)).createProvider();
    await outOfOrderHistory(provider, 'shuffled');
  }, 120_000);

  // Mostly seen documents, each leaving one author's deltas unseen, read by author on PostgreSQL; then mixes.
  const sinces: VectorClock[] = [
    { up: 8, late: 8, single: 4, down: 2 },
    { up: 8, down: 8, single: 4, late: 1 },
    { up: 8, down: 8, late: 8 },
    { up: 8, down: 8, late: 4 },
    { up: 8, down: 8, single: 1 },
    { down: 6, late: 2 },
    { up: 2, single: 2 },
    {},
  ];

  it('answers the first unseen deltas in storage order when authors stored their counters out of order', async () => {
    const { documents } = provider;
    for (const since of sinces) {
      const all = ids(await documents.getDeltasSince('shuffled', since));
      for (const limit of [1, 2, 3, 5]) {
        const page = await documents.getDeltasPage('shuffled', since, { limit });
        expect({ since, limit, page: ids(page.deltas) }).toEqual({ since, limit, page: all.slice(0, limit) });
      }
    }
  });

  it('pages through the same deltas as getDeltasSince from such a first page', async () => {
    const { documents } = provider;
    for (const since of sinces) {
      const paged: string[] = [];
      for (let after: string | null = null, pages = 0; pages < 50; pages++) {
        const page = await documents.getDeltasPage('shuffled', since, { limit: 2, after });
        paged.push(...ids(page.deltas));
        if (page.next === null) break;
        after = page.next;
      }
      expect(paged).toEqual(ids(await documents.getDeltasSince('shuffled', since)));
    }
  });
});
