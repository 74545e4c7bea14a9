import type { DocumentStore, StoredDelta, VectorClock } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { idsOf, makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

/** Pages from `after: null` until `next` is null; fails past `maxPages` so a loop that never ends shows. */
async function pageThrough(
  documents: DocumentStore,
  documentId: string,
  since: VectorClock | null,
  limit: number,
  beforeEachPage: (page: number) => Promise<void> = async () => {},
  maxPages = 500,
): Promise<{ deltas: StoredDelta[]; pages: number }> {
  const deltas: StoredDelta[] = [];
  let after: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    await beforeEachPage(page);
    const result = await documents.getDeltasPage(documentId, since, { limit, after });
    expect(result.deltas.length).toBeLessThanOrEqual(limit);
    deltas.push(...result.deltas);
    if (result.next === null) return { deltas, pages: page + 1 };
    expect(typeof result.next).toBe('string');
    after = result.next;
  }
  throw new Error(`paging did not end within ${maxPages} pages`);
}

/** Three authors interleaved, 30 deltas, so that every since below leaves unseen deltas spread over the log. */
async function interleavedHistory(documents: DocumentStore): Promise<void> {
  const deltas = Array.from({ length: 30 }, (_, i) =>
    makeDelta(`d${i}`, ['a', 'b', 'c'][i % 3]!, Math.floor(i / 3) + 1),
  );
  await documents.addDeltas('doc', deltas.slice(0, 12));
  for (const delta of deltas.slice(12)) await documents.addDelta('doc', delta);
}

const SINCES: ReadonlyArray<readonly [string, VectorClock | null]> = [
  ['null', null],
  ['{}', {}],
  ['{ a: 4 }', { a: 4 }],
  ['{ a: 10, b: 3, c: 9 }', { a: 10, b: 3, c: 9 }],
  ['a clock that covers everything', { a: 10, b: 10, c: 10 }],
];

export function pagingCases(context: ConformanceContextGetter): void {
  describe('paged catch-up (getDeltasPage)', () => {
    it.each(SINCES)(
      'paging with since %s returns exactly getDeltasSince, in order, for every limit',
      async (_, since) => {
        const { documents } = context();
        await interleavedHistory(documents);
        const expected = idsOf(await documents.getDeltasSince('doc', since));
        for (const limit of [1, 2, 3, 7, 29, 30, 31, 1000]) {
          const { deltas, pages } = await pageThrough(documents, 'doc', since, limit);
          expect(idsOf(deltas)).toEqual(expected);
          expect(pages).toBe(Math.max(1, Math.ceil(expected.length / limit)));
        }
      },
    );

    it('a page returns whole deltas, the same objects getDeltasSince returns', async () => {
      const { documents } = context();
      await interleavedHistory(documents);
      const page = await documents.getDeltasPage('doc', { a: 8 }, { limit: 5 });
      expect(page.deltas).toEqual((await documents.getDeltasSince('doc', { a: 8 })).slice(0, 5));
    });

    it('next is null on the last page, even when it is exactly full', async () => {
      const { documents } = context();
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      expect(await documents.getDeltasPage('doc', null, { limit: 2 })).toMatchObject({ next: null });
      const first = await documents.getDeltasPage('doc', null, { limit: 1 });
      expect(first.next).not.toBeNull();
      expect(await documents.getDeltasPage('doc', null, { limit: 1, after: first.next })).toMatchObject({
        deltas: [makeDelta('a2', 'a', 2)],
        next: null,
      });
    });

    it('limit defaults to 1000', async () => {
      const { documents } = context();
      await documents.addDeltas(
        'doc',
        Array.from({ length: 1001 }, (_, i) => makeDelta(`d${i}`, 'a', i + 1)),
      );
      const page = await documents.getDeltasPage('doc');
      expect(page.deltas).toHaveLength(1000);
      expect(page.next).not.toBeNull();
    });

    it('an unknown document has one empty page', async () => {
      const { documents } = context();
      expect(await documents.getDeltasPage('missing', { a: 1 })).toEqual({ deltas: [], next: null });
    });

    it('deltas stored while paging appear at most once, and none stored before the first page is skipped', async () => {
      const { documents } = context();
      await interleavedHistory(documents);
      const since = { a: 2 };
      const before = idsOf(await documents.getDeltasSince('doc', since));
      let added = 0;
      const { deltas } = await pageThrough(documents, 'doc', since, 4, async (page) => {
        if (page === 0) return;
        // New deltas of a known author and of a new one, between pages.
        added++;
        await documents.addDeltas('doc', [
          makeDelta(`late-a${added}`, 'a', 10 + added),
          makeDelta(`late-z${added}`, 'z', added),
        ]);
      });
      const seen = idsOf(deltas);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.slice(0, before.length)).toEqual(before);
      for (const id of seen.slice(before.length)) expect(id).toMatch(/^late-/);
    });
  });
}
