import type { DocumentStore } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { codePointSort, collect } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

/** Ids whose code-point order differs from JavaScript's `<`: astral characters sort after U+E000..U+FFFF. */
const MIXED_IDS = [
  'b',
  'a',
  'B',
  'aa',
  'a b',
  '\u00e9',
  '\uE000',
  '\uFFFF',
  '\u{10000}',
  '\u{1F600}',
  'z\u{10000}',
  'z\uFFFF',
  '0',
  '~',
];

async function createAll(documents: DocumentStore, ids: readonly string[]): Promise<void> {
  for (let start = 0; start < ids.length; start += 50) {
    await Promise.all(ids.slice(start, start + 50).map((id) => documents.getOrCreate(id)));
  }
}

export function documentIdCases(context: ConformanceContextGetter): void {
  describe('listing document ids', () => {
    it('getDocumentIds returns [] when there are no documents', async () => {
      expect(await context().documents.getDocumentIds()).toEqual([]);
    });

    it('getDocumentIds returns ids in ascending code-point order, not UTF-16 order', async () => {
      const { documents } = context();
      await createAll(documents, MIXED_IDS);
      const ids = await documents.getDocumentIds();
      expect(ids).toEqual(codePointSort(MIXED_IDS));
      // JavaScript's `<` would put U+10000 (a surrogate pair) before U+FFFF.
      expect(ids.indexOf('\uFFFF')).toBeLessThan(ids.indexOf('\u{10000}'));
      expect(ids.indexOf('\uE000')).toBeLessThan(ids.indexOf('\u{1F600}'));
      expect(ids.indexOf('z\uFFFF')).toBeLessThan(ids.indexOf('z\u{10000}'));
    });

    it('getDocumentIds returns only ids strictly after the cursor', async () => {
      const { documents } = context();
      await createAll(documents, MIXED_IDS);
      const sorted = codePointSort(MIXED_IDS);
      for (const [index, cursor] of sorted.entries()) {
        expect(await documents.getDocumentIds({ cursor })).toEqual(sorted.slice(index + 1));
      }
      expect(await documents.getDocumentIds({ cursor: '\uFFFF' })).toEqual(sorted.slice(sorted.indexOf('\uFFFF') + 1));
    });

    it('a cursor that is not a stored id still lists the ids after it', async () => {
      const { documents } = context();
      await createAll(documents, ['a', 'c', 'e']);
      expect(await documents.getDocumentIds({ cursor: 'b' })).toEqual(['c', 'e']);
      expect(await documents.getDocumentIds({ cursor: 'e' })).toEqual([]);
      expect(await documents.getDocumentIds({ cursor: '\u{10FFFF}' })).toEqual([]);
      expect(await documents.getDocumentIds({ cursor: '' })).toEqual(['a', 'c', 'e']);
      expect(await documents.getDocumentIds({ cursor: null })).toEqual(['a', 'c', 'e']);
    });

    it('getDocumentIds returns at most limit ids, and cursor paging visits each id once', async () => {
      const { documents } = context();
      await createAll(documents, MIXED_IDS);
      const sorted = codePointSort(MIXED_IDS);
      expect(await documents.getDocumentIds({ limit: 1 })).toEqual(sorted.slice(0, 1));
      expect(await documents.getDocumentIds({ limit: 3, cursor: sorted[2] })).toEqual(sorted.slice(3, 6));
      expect(await documents.getDocumentIds({ limit: 10_000 })).toEqual(sorted);
      const paged: string[] = [];
      // Bounded, so that a cursor that does not move fails instead of looping forever.
      for (let page = await documents.getDocumentIds({ limit: 4 }); page.length > 0 && paged.length <= sorted.length;) {
        paged.push(...page);
        page = await documents.getDocumentIds({ limit: 4, cursor: page[page.length - 1] });
      }
      expect(paged).toEqual(sorted);
    });

    it('getDocumentIds returns 1000 ids by default', async () => {
      const { documents } = context();
      const ids = Array.from({ length: 1003 }, (_, i) => `doc-${String(i).padStart(4, '0')}`);
      await createAll(documents, ids);
      const first = await documents.getDocumentIds();
      expect(first).toEqual(ids.slice(0, 1000));
      expect(await documents.getDocumentIds({ cursor: first[999] })).toEqual(ids.slice(1000));
      expect(await collect(documents.iterateDocumentIds())).toEqual(ids);
    });

    it('iterateDocumentIds yields nothing when there are no documents', async () => {
      expect(await collect(context().documents.iterateDocumentIds({ pageSize: 2 }))).toEqual([]);
    });

    it.each([1, 2, 3, 7, 13, 14, 15, 10_000])(
      'iterateDocumentIds with pageSize %i yields every id once, in code-point order',
      async (pageSize) => {
        const { documents } = context();
        await createAll(documents, MIXED_IDS); // 14 ids: page sizes that divide it, and ones that do not
        expect(await collect(documents.iterateDocumentIds({ pageSize }))).toEqual(codePointSort(MIXED_IDS));
      },
    );

    it('iterateDocumentIds without options yields every id', async () => {
      const { documents } = context();
      await createAll(documents, MIXED_IDS);
      expect(await collect(documents.iterateDocumentIds())).toEqual(codePointSort(MIXED_IDS));
    });

    it('deleted documents are no longer listed', async () => {
      const { documents } = context();
      await createAll(documents, ['a', 'b', 'c']);
      await documents.delete('b');
      expect(await documents.getDocumentIds()).toEqual(['a', 'c']);
      expect(await collect(documents.iterateDocumentIds({ pageSize: 1 }))).toEqual(['a', 'c']);
    });
  });
}
