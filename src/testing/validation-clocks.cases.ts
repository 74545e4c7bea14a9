import type { StoredDelta } from '../index.js';
import { expectRejectedEverywhere, type BadInputSite, type LabelledValues } from './bad-input.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { idsOf, makeDelta, storeClock } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

class ClockLike {
  a = 1;
}

/** Values that are not plain objects at all. */
const NOT_OBJECTS: LabelledValues = [
  ['an array', [1]],
  ['a Date', new Date(0)],
  ['a Map', new Map([['a', 1]])],
  ['a class instance', new ClockLike()],
  ['a string', 'a:1'],
  ['a number', 1],
  ['true', true],
];
const NOT_CLOCKS: LabelledValues = [...NOT_OBJECTS, ['null', null], ['undefined', undefined]];

/** Plain objects with one bad key or value. */
const BAD_ENTRIES: LabelledValues = [
  ['an empty key', { '': 1 }],
  ['a 256-character key', { ['k'.repeat(256)]: 1 }],
  ['a 256-astral-character key', { ['\u{1F600}'.repeat(256)]: 1 }],
  ['a key containing U+0000', { 'a\u0000': 1 }],
  ['a key with a lone surrogate', { '\uD800': 1 }],
  ['the value -1', { a: -1 }],
  ['the value 1.5', { a: 1.5 }],
  ['the value NaN', { a: NaN }],
  ['the value Infinity', { a: Infinity }],
  ["the value '3'", { a: '3' }],
  ['the value 2**53', { a: 2 ** 53 }],
  ['the value null', { a: null }],
  ['the value undefined', { a: undefined }],
  ['a bigint value', { a: 3n }],
];

/** A delta by 'w' always carries its own counter, so only the bad entry can be the reason for rejecting it. */
const deltaClocks: LabelledValues = [
  ...NOT_CLOCKS,
  ...BAD_ENTRIES.map(([label, entries]) => [label, { w: 5, ...(entries as object) }] as const),
];
const OWN_COUNTER: LabelledValues = [
  ['the own counter missing', { x: 1 }],
  ['the own counter 0', { w: 0, x: 1 }],
  ['no keys at all', {}],
];
const BAD_COUNTERS: LabelledValues = [
  ['-1', -1],
  ['1.5', 1.5],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ["'3'", '3'],
  ['2**53', 2 ** 53],
  ['null', null],
  ['undefined', undefined],
  ['a bigint', 3n],
];

const byW = (changes: Partial<Record<keyof StoredDelta, unknown>>): StoredDelta =>
  ({ ...makeDelta('fresh', 'w', 5), ...changes }) as StoredDelta;

const DELTA_CLOCK_SITES: BadInputSite[] = [
  {
    name: 'documents.addDelta',
    argument: 'delta.vectorClock',
    call: (p, v) => p.documents.addDelta('doc', byW({ vectorClock: v })),
  },
  {
    name: 'documents.addDeltas',
    argument: 'deltas[1].vectorClock',
    call: (p, v) => p.documents.addDeltas('doc', [makeDelta('first', 'c', 1), byW({ vectorClock: v })]),
  },
];
const SINCE_SITES: BadInputSite[] = [
  { name: 'documents.getDeltasSince', argument: 'since', call: (p, v) => p.documents.getDeltasSince('doc', v) },
  { name: 'documents.iterateDeltasSince', argument: 'since', call: (p, v) => p.documents.iterateDeltasSince('doc', v) },
  { name: 'documents.getDeltasPage', argument: 'since', call: (p, v) => p.documents.getDeltasPage('doc', v) },
  { name: 'documents.getChangesSince', argument: 'since', call: (p, v) => p.documents.getChangesSince('doc', v) },
];
const REQUIRED_CLOCK_SITES: BadInputSite[] = [
  {
    name: 'documents.saveSnapshot',
    argument: 'vectorClock',
    call: (p, v) => p.documents.saveSnapshot('doc', new Uint8Array([5]), v),
  },
  // The seeded d1 is covered by the snapshot, so an unchecked huge clock would compact it away.
  { name: 'documents.compactDeltas', argument: 'upToClock', call: (p, v) => p.documents.compactDeltas('doc', v) },
];
const TIMESTAMP_SITES: BadInputSite[] = [
  {
    name: 'documents.addDelta',
    argument: 'delta.timestamp',
    call: (p, v) => p.documents.addDelta('doc', byW({ timestamp: v })),
  },
  {
    name: 'documents.addDeltas',
    argument: 'deltas[1].timestamp',
    call: (p, v) => p.documents.addDeltas('doc', [makeDelta('first', 'c', 1), byW({ timestamp: v })]),
  },
];

export function badClockCases(context: ConformanceContextGetter): void {
  describe('bad input: clocks and counters', () => {
    it("an error about a bad clock never repeats the clock's keys or counters", async () => {
      const { documents } = context();
      const secretKey = 'secret-client-name';
      const clocks: Record<string, number>[] = [
        { [secretKey]: -987654 },
        { [secretKey]: 1, [`${secretKey}\u0000`]: 1 },
      ];
      for (const since of clocks) {
        const error = (await documents.getDeltasSince('doc', since).catch((caught: unknown) => caught)) as Error;
        expect(error).toMatchObject({ name: 'StorageValidationError', argument: 'since' });
        expect(error.message).not.toContain(secretKey);
        expect(error.message).not.toContain('987654');
      }
    });

    it('a counter behind a getter is read once: what is stored is what was checked', async () => {
      const { documents } = context();
      /** A clock whose `b` reads 2 the first time and -5 after that. */
      const shifty = (): Record<string, number> => {
        let reads = 0;
        return {
          a: 1,
          get b() {
            return reads++ === 0 ? 2 : -5;
          },
        };
      };
      await documents.addDelta('doc', { id: 'd1', clientId: 'a', timestamp: 1, data: null, vectorClock: shifty() });
      await storeClock(documents, 'other', { a: 1, b: 2 });
      await documents.saveSnapshot('other', new Uint8Array([1]), shifty());
      expect(await documents.getVectorClock('doc')).toEqual({ a: 1, b: 2 });
      expect((await documents.getSnapshot('other'))!.vectorClock).toEqual({ a: 1, b: 2 });
      expect((await documents.getDeltasSince('doc'))[0]!.vectorClock).toEqual({ a: 1, b: 2 });
    });

    it.each(DELTA_CLOCK_SITES)('$name rejects every malformed $argument and writes nothing', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], deltaClocks);
    });

    it.each(DELTA_CLOCK_SITES)('$name rejects a delta whose own counter is missing or 0', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], OWN_COUNTER);
    });

    it.each(SINCE_SITES)(
      '$name rejects every malformed since clock (null and undefined mean "from the start")',
      async (site) => {
        await expectRejectedEverywhere(context().provider, [site], [...NOT_OBJECTS, ...BAD_ENTRIES]);
      },
    );

    it.each(REQUIRED_CLOCK_SITES)('$name rejects every malformed $argument and writes nothing', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], [...NOT_CLOCKS, ...BAD_ENTRIES]);
    });

    it.each(TIMESTAMP_SITES)('$name rejects every timestamp that is not a safe integer >= 0', async (site) => {
      await expectRejectedEverywhere(context().provider, [site], BAD_COUNTERS);
    });

    it('awareness.set rejects every clock that is not a safe integer >= 0 and writes nothing', async () => {
      const site: BadInputSite = {
        name: 'awareness.set',
        argument: 'clock',
        call: (p, v) => p.awareness.set('doc', 'a', { x: 1 }, v),
      };
      await expectRejectedEverywhere(context().provider, [site], BAD_COUNTERS);
    });

    it('clocks without a prototype, with 0 counters and with the largest safe integer are accepted', async () => {
      const { documents, awareness } = context();
      const clock = Object.assign(Object.create(null) as Record<string, number>, { w: Number.MAX_SAFE_INTEGER, z: 0 });
      expect(await documents.addDelta('doc', byW({ vectorClock: clock }))).toBe(true);
      const stored = await documents.getVectorClock('doc');
      expect(stored.w).toBe(Number.MAX_SAFE_INTEGER);
      expect(stored.z ?? 0).toBe(0); // a missing key means 0
      expect(idsOf(await documents.getDeltasSince('doc', Object.create(null) as Record<string, number>))).toEqual([
        'fresh',
      ]);
      await documents.saveSnapshot('doc', new Uint8Array([1]), clock);
      expect(await documents.compactDeltas('doc', clock)).toBe(1);
      expect(await awareness.set('doc', 'a', 1, Number.MAX_SAFE_INTEGER)).toBe(true);
      expect((await awareness.get('doc', 'a'))!.clock).toBe(Number.MAX_SAFE_INTEGER);
    });
  });
}
