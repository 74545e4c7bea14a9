import { expectRejectedEverywhere, type BadInputSite, type LabelledValues } from './bad-input.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { collect, idsOf, makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

const BAD_PAGE_SIZES: LabelledValues = [
  ['0', 0],
  ['10001', 10_001],
  ['1.5', 1.5],
  ['2.5', 2.5],
  ["'5'", '5'],
  ["'10'", '10'],
  ['-1', -1],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['null', null],
];

const PAGE_SITES: BadInputSite[] = [
  { name: 'documents.getDocumentIds', argument: 'limit', call: (p, v) => p.documents.getDocumentIds({ limit: v }) },
  {
    name: 'documents.iterateDocumentIds',
    argument: 'pageSize',
    call: (p, v) => p.documents.iterateDocumentIds({ pageSize: v }),
  },
  {
    name: 'documents.iterateDeltasSince',
    argument: 'batchSize',
    call: (p, v) => p.documents.iterateDeltasSince('doc', null, { batchSize: v }),
  },
  {
    name: 'documents.getDeltasPage',
    argument: 'limit',
    call: (p, v) => p.documents.getDeltasPage('doc', null, { limit: v }),
  },
];

/** A cursor need not be a stored id, but it must be a string the database can compare. */
const BAD_CURSORS: LabelledValues = [
  ['a number', 42],
  ['an object', { id: 'doc' }],
  ['a string containing U+0000', 'a\u0000'],
  ['a lone surrogate', '\uD800'],
];

/** Option bags may be left out (undefined or null) but are otherwise plain objects. */
const NOT_OPTIONS: LabelledValues = [
  ['a number', 5],
  ['a string', 'conn'],
  ['an array', [5]],
];
const OPTIONS_SITES: BadInputSite[] = [
  { name: 'documents.getDocumentIds', argument: 'options', call: (p, v) => p.documents.getDocumentIds(v) },
  { name: 'documents.iterateDocumentIds', argument: 'options', call: (p, v) => p.documents.iterateDocumentIds(v) },
  {
    name: 'documents.iterateDeltasSince',
    argument: 'options',
    call: (p, v) => p.documents.iterateDeltasSince('doc', null, v),
  },
  { name: 'documents.getDeltasPage', argument: 'options', call: (p, v) => p.documents.getDeltasPage('doc', null, v) },
  { name: 'awareness.set', argument: 'options', call: (p, v) => p.awareness.set('doc', 'a', { x: 1 }, 9, v) },
];

export function badPagingCases(context: ConformanceContextGetter): void {
  describe('bad input: paging', () => {
    it.each(PAGE_SITES)('$name rejects every $argument that is not an integer from 1 to 10000', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], BAD_PAGE_SIZES);
    });

    it('page sizes 1 and 10000 are accepted everywhere', async () => {
      const { documents } = context();
      await documents.addDelta('doc', { id: 'd1', clientId: 'a', timestamp: 0, data: null, vectorClock: { a: 1 } });
      for (const size of [1, 10_000]) {
        expect(await documents.getDocumentIds({ limit: size })).toEqual(['doc']);
        expect(await collect(documents.iterateDocumentIds({ pageSize: size }))).toEqual(['doc']);
        expect(await collect(documents.iterateDeltasSince('doc', null, { batchSize: size }))).toHaveLength(1);
        expect((await documents.getDeltasPage('doc', null, { limit: size })).deltas).toHaveLength(1);
      }
    });

    it('getDocumentIds rejects a cursor that is not a comparable string', async () => {
      const site: BadInputSite = {
        name: 'documents.getDocumentIds',
        argument: 'cursor',
        call: (p, v) => p.documents.getDocumentIds({ cursor: v }),
      };
      await expectRejectedEverywhere(context().provider, [site], BAD_CURSORS);
    });

    it('getDeltasPage rejects an after that no page of it could have returned', async () => {
      const site: BadInputSite = {
        name: 'documents.getDeltasPage',
        argument: 'after',
        call: (p, v) => p.documents.getDeltasPage('doc', null, { after: v }),
      };
      await expectRejectedEverywhere(
        context().provider,
        [site],
        [
          ...BAD_CURSORS,
          ['an empty string', ''],
          ['a word', 'next'],
          ['a negative number', '-1'],
          ['a fraction', '1.5'],
          ['a leading zero', '01'],
          ['a number past 2^53', '9007199254740993'],
          ['spaces', ' 1'],
          ['a bare first position', '0'],
          ['a bare far position', '999999999999999'],
        ],
      );
    });

    it("getDeltasPage rejects a next of another document's page, and a next whose position was changed", async () => {
      const { documents } = context();
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2), makeDelta('a3', 'a', 3)]);
      await documents.addDeltas('other', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      const { next } = await documents.getDeltasPage('other', null, { limit: 1 });
      expect(next).not.toBeNull();
      await expect(documents.getDeltasPage('doc', null, { after: next })).rejects.toMatchObject({
        name: 'StorageValidationError',
        argument: 'after',
      });
      const [position, check] = next!.split('.');
      const moved = `${Number(position) + 1}.${check}`;
      await expect(documents.getDeltasPage('other', null, { after: moved })).rejects.toMatchObject({
        argument: 'after',
      });
      expect(idsOf((await documents.getDeltasPage('other', null, { after: next })).deltas)).toEqual(['a2']);
    });

    it.each(OPTIONS_SITES)('$name rejects options that are not an object', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], NOT_OPTIONS);
    });
  });
}
