import { clockCovers, clockCoversDelta, mergeClocks, type VectorClock } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

const COVERS: ReadonlyArray<readonly [VectorClock, VectorClock, boolean]> = [
  [{}, {}, true],
  [{ a: 1 }, {}, true],
  [{}, { a: 1 }, false],
  [{}, { a: 0 }, true], // a missing key means 0
  [{ a: 2, b: 1 }, { a: 2 }, true],
  [{ a: 2 }, { a: 2, b: 1 }, false],
  [{ a: 1 }, { a: 2 }, false],
  [{ a: 3, b: 3 }, { a: 2, b: 3 }, true],
  [{ a: 3, b: 2 }, { a: 2, b: 3 }, false],
];

const COVERS_DELTA: ReadonlyArray<readonly [VectorClock, string, VectorClock, boolean]> = [
  [{ a: 3 }, 'a', { a: 3, b: 9 }, true], // only the own counter matters
  [{ a: 4 }, 'a', { a: 3 }, true],
  [{ a: 2, b: 100 }, 'a', { a: 3 }, false],
  [{}, 'a', { a: 1 }, false],
  [{ b: 5 }, 'a', { a: 1, b: 5 }, false],
];

export function clockCases(context: ConformanceContextGetter): void {
  describe('clock helpers', () => {
    it('mergeClocks takes the pointwise maximum into a new object', () => {
      const a = { a: 1, b: 5 };
      const b = { b: 3, c: 2 };
      const merged = mergeClocks(a, b);
      expect(merged).toEqual({ a: 1, b: 5, c: 2 });
      expect(mergeClocks(b, a)).toEqual(merged);
      expect(mergeClocks({}, b)).toEqual(b);
      expect(mergeClocks(a, {})).toEqual(a);
      expect(merged).not.toBe(a);
      expect(a).toEqual({ a: 1, b: 5 });
      expect(b).toEqual({ b: 3, c: 2 });
    });

    it.each(COVERS)('clockCovers(%j, %j) is %s', (a, b, expected) => {
      expect(clockCovers(a, b)).toBe(expected);
    });

    it.each(COVERS_DELTA)(
      'clockCoversDelta(%j, a delta of %s with clock %j) is %s',
      (clock, clientId, vectorClock, expected) => {
        expect(clockCoversDelta(clock, { clientId, vectorClock })).toBe(expected);
      },
    );
  });

  describe('document timestamps', () => {
    it('updatedAt moves forward on every stored delta and snapshot while createdAt stays', async () => {
      const { documents } = context();
      const created = await documents.getOrCreate('doc');
      let previous = created.updatedAt.getTime();
      const changes = [
        () => documents.addDelta('doc', makeDelta('d1', 'a', 1)),
        () => documents.addDeltas('doc', [makeDelta('d2', 'a', 2), makeDelta('d3', 'b', 1)]),
        () => documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2 }),
        () => documents.addDelta('doc', makeDelta('d4', 'a', 3)),
        () => documents.saveSnapshot('doc', new Uint8Array([2]), { a: 2 }),
      ];
      for (const change of changes) {
        await change();
        const doc = (await documents.get('doc'))!;
        expect(doc.updatedAt.getTime()).toBeGreaterThan(previous);
        expect(doc.createdAt.getTime()).toBe(created.createdAt.getTime());
        previous = doc.updatedAt.getTime();
      }
    });

    it('a new document is not updated before it is created', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d1', 'a', 1));
      const doc = (await documents.get('doc'))!;
      expect(doc.updatedAt.getTime()).toBeGreaterThanOrEqual(doc.createdAt.getTime());
    });

    it('no-ops, reads and rejected writes leave updatedAt alone', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d1', 'a', 1));
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      await documents.addDelta('doc', makeDelta('d2', 'a', 2));
      const before = await documents.get('doc');
      await documents.addDelta('doc', makeDelta('d1', 'a', 1));
      await documents.addDeltas('doc', [makeDelta('d2', 'a', 2)]);
      await documents.addDeltas('doc', []);
      await documents.addDelta('doc', makeDelta('covered', 'a', 1));
      await documents.saveSnapshot('doc', new Uint8Array([2]), {}).catch(() => undefined);
      await documents.getOrCreate('doc');
      await documents.getChangesSince('doc');
      expect(await documents.get('doc')).toEqual(before);
    });
  });
}
