import { StorageValidationError } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { idsOf, makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

export function deltaCases(context: ConformanceContextGetter): void {
  describe('adding deltas', () => {
    it('addDelta creates the document, stores the delta and merges its clock', async () => {
      const { documents } = context();
      const delta = makeDelta('d1', 'a', 1, { clock: { b: 4 }, data: { op: 'insert' } });
      expect(await documents.addDelta('doc', delta)).toBe(true);
      expect(await documents.exists('doc')).toBe(true);
      expect(await documents.getDeltasSince('doc')).toEqual([delta]);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 1, b: 4 });
      await documents.addDelta('doc', makeDelta('d2', 'b', 2, { clock: { c: 7 } }));
      expect(await documents.getVectorClock('doc')).toEqual({ a: 1, b: 4, c: 7 });
      expect((await documents.get('doc'))!.vectorClock).toEqual({ a: 1, b: 4, c: 7 });
    });

    it('resending a delta id is a no-op that returns false, even with different content', async () => {
      const { documents } = context();
      const original = makeDelta('d1', 'a', 1, { data: 'first' });
      await documents.addDelta('doc', original);
      const before = await documents.get('doc');
      const resend = makeDelta('d1', 'z', 9, { clock: { a: 5 }, data: 'second', timestamp: 5 });
      expect(await documents.addDelta('doc', resend)).toBe(false);
      expect(await documents.addDeltas('doc', [resend, original])).toBe(0);
      expect(await documents.getDeltasSince('doc')).toEqual([original]);
      expect(await documents.get('doc')).toEqual(before);
    });

    it('the same delta id may be stored once in each document', async () => {
      const { documents } = context();
      expect(await documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
      expect(await documents.addDelta('other', makeDelta('d1', 'a', 1))).toBe(true);
      expect(idsOf(await documents.getDeltasSince('other'))).toEqual(['d1']);
    });

    it('a delta whose own counter the document clock covers is still stored when no snapshot covers it', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d3', 'a', 3));
      expect(await documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['d3', 'd1']);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 3 });
    });

    it('concurrent addDelta calls with one id store it once, and exactly one returns true', async () => {
      const { documents } = context();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => documents.addDelta('doc', makeDelta('d1', 'a', 1))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['d1']);
    });

    it('concurrent addDelta calls on a new document store every delta and merge every clock', async () => {
      const { documents } = context();
      const deltas = Array.from({ length: 12 }, (_, i) => makeDelta(`d${i}`, `client-${i % 4}`, Math.floor(i / 4) + 1));
      const results = await Promise.all(deltas.map((delta) => documents.addDelta('doc', delta)));
      expect(results.every(Boolean)).toBe(true);
      expect(await documents.getDocumentIds()).toEqual(['doc']);
      expect(idsOf(await documents.getDeltasSince('doc')).sort()).toEqual(idsOf(deltas).sort());
      expect(await documents.getVectorClock('doc')).toEqual({
        'client-0': 3,
        'client-1': 3,
        'client-2': 3,
        'client-3': 3,
      });
    });

    it('addDeltas stores a batch in order and returns how many were new', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d2', 'a', 2));
      const batch = [
        makeDelta('d1', 'a', 1),
        makeDelta('d2', 'a', 2),
        makeDelta('d3', 'b', 1),
        makeDelta('d4', 'a', 3),
      ];
      expect(await documents.addDeltas('doc', batch)).toBe(3);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['d2', 'd1', 'd3', 'd4']);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 3, b: 1 });
    });

    it('addDeltas merges clocks as the pointwise maximum, when a later delta carries an older counter of another author', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('x5', 'x', 5, { clock: { y: 7 } }));
      // y: 9 then 3 inside the batch, 7 in the document; x: 5 in the document, then 2, 1 and 4.
      const batch = [
        makeDelta('a1', 'a', 1, { clock: { y: 9, x: 2 } }),
        makeDelta('a2', 'a', 2, { clock: { y: 3, x: 1 } }),
        makeDelta('b1', 'b', 1, { clock: { x: 4, z: 2 } }),
      ];
      expect(await documents.addDeltas('doc', batch)).toBe(3);
      const expected = { x: 5, y: 9, a: 2, b: 1, z: 2 };
      expect(await documents.getVectorClock('doc')).toEqual(expected);
      expect((await documents.get('doc'))!.vectorClock).toEqual(expected);
      expect((await documents.getChangesSince('doc', expected)).vectorClock).toEqual(expected);
    });

    it('calls committed together merge their clocks as the pointwise maximum too', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('x5', 'x', 5, { clock: { y: 7 } }));
      // Concurrent calls on one document may be committed in one transaction (postgres group commit).
      await Promise.all([
        documents.addDeltas('doc', [
          makeDelta('a1', 'a', 1, { clock: { y: 9 } }),
          makeDelta('a2', 'a', 2, { clock: { y: 8 } }),
        ]),
        documents.addDeltas('doc', [makeDelta('b1', 'b', 1, { clock: { y: 2, x: 3 } }), makeDelta('b2', 'b', 2)]),
        documents.addDelta('doc', makeDelta('c1', 'c', 1, { clock: { x: 1, a: 1 } })),
      ]);
      expect(await documents.getVectorClock('doc')).toEqual({ x: 5, y: 9, a: 2, b: 2, c: 1 });
    });

    it('addDeltas creates the document when it is missing', async () => {
      const { documents } = context();
      expect(await documents.addDeltas('doc', [makeDelta('d1', 'a', 1)])).toBe(1);
      expect(await documents.exists('doc')).toBe(true);
    });

    it('an id repeated inside one batch counts once, and the first one is stored', async () => {
      const { documents } = context();
      const first = makeDelta('d1', 'a', 1, { data: 'first' });
      const second = makeDelta('d1', 'b', 2, { data: 'second' });
      expect(await documents.addDeltas('doc', [first, makeDelta('d2', 'a', 2), second])).toBe(2);
      expect(await documents.getDeltasSince('doc')).toEqual([first, makeDelta('d2', 'a', 2)]);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 2 });
    });

    it('an empty batch returns 0 and creates no document', async () => {
      const { documents } = context();
      expect(await documents.addDeltas('doc', [])).toBe(0);
      expect(await documents.exists('doc')).toBe(false);
      expect(await documents.getDocumentIds()).toEqual([]);
    });

    it('an empty batch leaves an existing document untouched', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d1', 'a', 1));
      const before = await documents.get('doc');
      expect(await documents.addDeltas('doc', [])).toBe(0);
      expect(await documents.get('doc')).toEqual(before);
    });

    it('one bad delta rejects the whole batch, and a missing document is not created', async () => {
      const { documents } = context();
      const bad = { ...makeDelta('d2', 'a', 2), data: undefined } as never;
      await expect(
        documents.addDeltas('doc', [makeDelta('d1', 'a', 1), bad, makeDelta('d3', 'a', 3)]),
      ).rejects.toBeInstanceOf(StorageValidationError);
      expect(await documents.exists('doc')).toBe(false);
      expect(await documents.getDeltasSince('doc')).toEqual([]);
      expect(await documents.getVectorClock('doc')).toEqual({});
    });

    it('one bad delta rejects the whole batch on an existing document, which stays as it was', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d0', 'a', 1));
      const before = await documents.get('doc');
      const bad = makeDelta('d9', 'b', 1, { timestamp: -1 });
      await expect(
        documents.addDeltas('doc', [makeDelta('d1', 'a', 2), makeDelta('d2', 'c', 1), bad]),
      ).rejects.toBeInstanceOf(StorageValidationError);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['d0']);
      expect(await documents.get('doc')).toEqual(before);
    });

    it('a stored delta does not change when the caller later mutates the object it passed', async () => {
      const { documents } = context();
      const delta = makeDelta('d1', 'a', 1, { data: { list: [1, 2] } });
      const expected = structuredClone(delta);
      await documents.addDelta('doc', delta);
      (delta.data as { list: number[] }).list.push(3);
      (delta.vectorClock as Record<string, number>).a = 99;
      expect(await documents.getDeltasSince('doc')).toEqual([expected]);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 1 });
    });

    it('mutating a returned delta or clock does not change what is stored', async () => {
      const { documents } = context();
      const delta = makeDelta('d1', 'a', 1, { data: { list: [1] } });
      await documents.addDelta('doc', delta);
      const [read] = await documents.getDeltasSince('doc');
      (read!.data as { list: number[] }).list.push(2);
      (read!.vectorClock as Record<string, number>).a = 50;
      const clock = (await documents.getVectorClock('doc')) as Record<string, number>;
      clock.a = 70;
      const doc = await documents.get('doc');
      (doc!.vectorClock as Record<string, number>).b = 1;
      expect(await documents.getDeltasSince('doc')).toEqual([delta]);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 1 });
      expect((await documents.get('doc'))!.vectorClock).toEqual({ a: 1 });
    });
  });
}
