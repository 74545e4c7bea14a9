import type { DocumentStore, VectorClock } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { bytesOf, collect, idsOf, makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

/**
 * Added neither in counter nor in timestamp order, across clients, through addDelta and addDeltas.
 * a3 has seen b9 and c1 although no such deltas are stored: only own counters decide coverage.
 */
async function addHistory(documents: DocumentStore): Promise<void> {
  await documents.addDelta('doc', makeDelta('b2', 'b', 2, { timestamp: 10 }));
  await documents.addDeltas('doc', [
    makeDelta('a1', 'a', 1, { timestamp: 50 }),
    makeDelta('b1', 'b', 1, { timestamp: 40 }),
  ]);
  await documents.addDelta('doc', makeDelta('a2', 'a', 2, { clock: { b: 2 }, timestamp: 5 }));
  await documents.addDeltas('doc', [
    makeDelta('c1', 'c', 1, { clock: { a: 2, b: 2 }, timestamp: 30 }),
    makeDelta('a3', 'a', 3, { clock: { b: 9, c: 1 }, timestamp: 1 }),
  ]);
}
const ADD_ORDER = ['b2', 'a1', 'b1', 'a2', 'c1', 'a3'];
const DOCUMENT_CLOCK = { a: 3, b: 9, c: 1 };

/** [description, since, the ids getDeltasSince returns] */
const SINCE_CASES: ReadonlyArray<readonly [string, VectorClock | null | undefined, string[]]> = [
  ['undefined', undefined, ADD_ORDER],
  ['null', null, ADD_ORDER],
  ['{}', {}, ADD_ORDER],
  ['{ a: 1 }', { a: 1 }, ['b2', 'b1', 'a2', 'c1', 'a3']],
  ['{ b: 1 }', { b: 1 }, ['b2', 'a1', 'a2', 'c1', 'a3']],
  ['{ a: 2, b: 2, c: 0 }', { a: 2, b: 2, c: 0 }, ['c1', 'a3']],
  // a3's clock has b: 9 and c: 1, above since, but its own counter a: 3 is covered.
  ['{ a: 3 }', { a: 3 }, ['b2', 'b1', 'c1']],
  ['clients the document never saw', { zzz: 10, yyy: 1 }, ADD_ORDER],
  ['{ a: 3, b: 2, c: 1 }', { a: 3, b: 2, c: 1 }, []],
  ['a clock beyond the document clock', { a: 100, b: 100, c: 100, d: 5 }, []],
];

export function catchUpCases(context: ConformanceContextGetter): void {
  describe('catching up', () => {
    it.each(SINCE_CASES)(
      'getDeltasSince(since %s) returns the deltas since does not cover, in the order added',
      async (_, since, expected) => {
        const { documents } = context();
        await addHistory(documents);
        expect(idsOf(await documents.getDeltasSince('doc', since))).toEqual(expected);
      },
    );

    it('getDeltasSince without a since argument returns every stored delta as it was added', async () => {
      const { documents } = context();
      const deltas = [makeDelta('x2', 'x', 2), makeDelta('x1', 'x', 1, { data: [1, 'two'] })];
      await documents.addDeltas('doc', deltas);
      expect(await documents.getDeltasSince('doc')).toEqual(deltas);
    });

    it('getDeltasSince of an unknown document is []', async () => {
      const { documents } = context();
      await addHistory(documents);
      expect(await documents.getDeltasSince('missing', null)).toEqual([]);
      expect(await documents.getDeltasSince('missing', { a: 1 })).toEqual([]);
    });

    it.each([1, 2, 4, 5, 6, 7, 10_000, undefined])(
      'iterateDeltasSince with batchSize %s yields what getDeltasSince returns, for every since',
      async (batchSize) => {
        const { documents } = context();
        await addHistory(documents);
        for (const [, since] of SINCE_CASES) {
          const iterated = await collect(
            documents.iterateDeltasSince('doc', since, batchSize === undefined ? undefined : { batchSize }),
          );
          expect(iterated).toEqual(await documents.getDeltasSince('doc', since));
        }
      },
    );

    it('getChangesSince without a snapshot returns null and getDeltasSince, with the document clock', async () => {
      const { documents } = context();
      await addHistory(documents);
      for (const [, since, expected] of SINCE_CASES) {
        const changes = await documents.getChangesSince('doc', since);
        expect(changes).toEqual({
          snapshot: null,
          deltas: await documents.getDeltasSince('doc', since),
          vectorClock: DOCUMENT_CLOCK,
        });
        expect(idsOf(changes.deltas)).toEqual(expected);
      }
    });

    it('getChangesSince returns the snapshot and the deltas covered by neither it nor since, when since does not cover the snapshot', async () => {
      const { documents } = context();
      await addHistory(documents);
      await documents.saveSnapshot('doc', new Uint8Array([9, 8, 7]), { a: 2, b: 1 });
      const stored = await documents.getSnapshot('doc');
      const cases: Array<[VectorClock | null | undefined, string[]]> = [
        [undefined, ['b2', 'c1', 'a3']],
        [null, ['b2', 'c1', 'a3']],
        [{}, ['b2', 'c1', 'a3']],
        [{ c: 1 }, ['b2', 'a3']],
        [{ a: 5 }, ['b2', 'c1']],
        [{ a: 1, b: 5, c: 1 }, ['a3']],
      ];
      for (const [since, expected] of cases) {
        const changes = await documents.getChangesSince('doc', since);
        expect(changes.snapshot).toEqual(stored);
        expect(bytesOf(changes.snapshot!.data)).toEqual([9, 8, 7]);
        expect(idsOf(changes.deltas)).toEqual(expected);
        expect(changes.vectorClock).toEqual(DOCUMENT_CLOCK);
      }
    });

    it('getChangesSince returns no snapshot and getDeltasSince when since covers the snapshot', async () => {
      const { documents } = context();
      await addHistory(documents);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2, b: 1 });
      const covering: VectorClock[] = [
        { a: 2, b: 1 },
        { a: 2, b: 1, c: 0 },
        { a: 3, b: 2 },
        { a: 3, b: 9, c: 1 },
      ];
      for (const since of covering) {
        expect(await documents.getChangesSince('doc', since)).toEqual({
          snapshot: null,
          deltas: await documents.getDeltasSince('doc', since),
          vectorClock: DOCUMENT_CLOCK,
        });
      }
      expect(idsOf((await documents.getChangesSince('doc', { a: 2, b: 1 })).deltas)).toEqual(['b2', 'c1', 'a3']);
    });

    it('getChangesSince gives the same answers after the covered deltas are compacted away', async () => {
      const { documents } = context();
      await addHistory(documents);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2, b: 1 });
      expect(await documents.compactDeltas('doc', { a: 2, b: 1 })).toBe(3);
      expect(idsOf((await documents.getChangesSince('doc')).deltas)).toEqual(['b2', 'c1', 'a3']);
      expect((await documents.getChangesSince('doc')).snapshot).not.toBeNull();
      expect(await documents.getChangesSince('doc', { a: 2, b: 1 })).toEqual({
        snapshot: null,
        deltas: await documents.getDeltasSince('doc', { a: 2, b: 1 }),
        vectorClock: DOCUMENT_CLOCK,
      });
    });

    it('getChangesSince of an unknown document has no snapshot, no deltas and the clock {}', async () => {
      expect(await context().documents.getChangesSince('missing', { a: 1 })).toEqual({
        snapshot: null,
        deltas: [],
        vectorClock: {},
      });
    });

    it('getChangesSince reads one consistent view while deltas are being added', async () => {
      const { documents } = context();
      // Each answer must hold exactly the deltas its own clock counts: a1..aN for a clock { a: N }.
      const writes = Array.from({ length: 20 }, (_, i) => makeDelta(`a${i + 1}`, 'a', i + 1));
      const reads = await Promise.all([
        ...writes.map(async (delta) => void (await documents.addDelta('doc', delta))),
        ...writes.map(() => documents.getChangesSince('doc')),
      ]);
      for (const changes of reads) {
        if (!changes) continue;
        const seen = changes.vectorClock.a ?? 0;
        expect(changes.deltas.map((delta) => delta.vectorClock.a).sort((x, y) => x! - y!)).toEqual(
          Array.from({ length: seen }, (_, i) => i + 1),
        );
      }
    });

    it('getVectorClock returns {} for an unknown document and the merge of every delta and snapshot clock otherwise', async () => {
      const { documents } = context();
      expect(await documents.getVectorClock('doc')).toEqual({});
      await addHistory(documents);
      expect(await documents.getVectorClock('doc')).toEqual(DOCUMENT_CLOCK);
      await documents.addDelta('doc', makeDelta('d4', 'd', 4));
      expect(await documents.getVectorClock('doc')).toEqual({ ...DOCUMENT_CLOCK, d: 4 });
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1, d: 4 });
      expect(await documents.getVectorClock('doc')).toEqual({ ...DOCUMENT_CLOCK, d: 4 });
    });
  });
}
