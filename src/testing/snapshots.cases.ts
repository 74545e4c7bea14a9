import { SnapshotAheadError, StaleSnapshotError, StorageError } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { bytesOf, idsOf, makeDelta, readStorage, storeClock } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

export function snapshotCases(context: ConformanceContextGetter): void {
  describe('snapshots', () => {
    it('saveSnapshot creates a missing document when its clock claims nothing', async () => {
      const { documents } = context();
      await documents.saveSnapshot('doc', new Uint8Array([1, 2, 3]), {});
      expect(await documents.exists('doc')).toBe(true);
      expect(await documents.getVectorClock('doc')).toEqual({});
      const snapshot = await documents.getSnapshot('doc');
      expect(snapshot).toEqual({ data: expect.any(Uint8Array), vectorClock: {}, createdAt: expect.any(Date) });
      expect(bytesOf(snapshot!.data)).toEqual([1, 2, 3]);
    });

    it('saveSnapshot stores a snapshot whose clock the document clock covers, and leaves the document clock as it was', async () => {
      const { documents } = context();
      await storeClock(documents, 'doc', { a: 2, b: 1 });
      await documents.addDelta('doc', makeDelta('c1', 'c', 1, { clock: { z: 0 } }));
      await documents.saveSnapshot('doc', new Uint8Array([1, 2, 3]), { a: 2, b: 1, y: 0 });
      expect(await documents.getVectorClock('doc')).toEqual({ a: 2, b: 1, c: 1, z: 0 });
      expect((await documents.getSnapshot('doc'))!.vectorClock).toEqual({ a: 2, b: 1, y: 0 });
    });

    it.each([
      ['a missing document', {}, { a: 1 }],
      ['a counter above the document clock', { a: 2, b: 1 }, { a: 3, b: 1 }],
      ['an author the document clock lacks', { a: 2 }, { a: 2, victim: 9_007_199_254_740_991 }],
    ])(
      'saveSnapshot with refuseClockAhead rejects with SnapshotAheadError and writes nothing when its clock runs ahead: %s',
      async (_, stored, clock) => {
        const { documents, provider } = context();
        await storeClock(documents, 'doc', stored);
        const before = await readStorage(provider);
        const error = await documents
          .saveSnapshot('doc', new Uint8Array([9]), clock, { refuseClockAhead: true })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SnapshotAheadError);
        expect(error).toBeInstanceOf(StorageError);
        expect((error as SnapshotAheadError).documentId).toBe('doc');
        expect(await readStorage(provider)).toEqual(before);
      },
    );

    it('saveSnapshot merges a clock that runs ahead of the document clock into it, unless told to refuse it', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 3, b: 1 });
      expect(await documents.getVectorClock('doc')).toEqual({ a: 3, b: 1 });
      expect(await documents.addDelta('doc', makeDelta('a3', 'a', 3))).toBe(false);
      expect(await documents.addDelta('doc', makeDelta('a4', 'a', 4))).toBe(true);
    });

    it('saveSnapshot on a missing document creates it with the snapshot clock as its clock', async () => {
      const { documents } = context();
      await documents.saveSnapshot('fresh', new Uint8Array([1]), { a: 2 });
      expect(await documents.getVectorClock('fresh')).toEqual({ a: 2 });
      expect((await documents.getSnapshot('fresh'))?.vectorClock).toEqual({ a: 2 });
    });

    it('a snapshot whose clock is merged cannot take the document past maxDocumentAuthors', async () => {
      await context().withProvider({ maxDocumentAuthors: 2 }, async (provider) => {
        const { documents } = provider;
        await documents.addDelta('doc', makeDelta('a1', 'a', 1));
        const before = await readStorage(provider);
        await expect(documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1, b: 1, c: 1 })).rejects.toMatchObject({
          name: 'StorageLimitError',
          limit: 'maxDocumentAuthors',
        });
        expect(await readStorage(provider)).toEqual(before);
        await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1, b: 1 });
        expect(await documents.getVectorClock('doc')).toEqual({ a: 1, b: 1 });
      });
    });

    it.each([
      ['a string', 'yes'],
      ['a number', 1],
      ['an array', []],
      ['not an object', true],
    ])('saveSnapshot rejects options that are %s with StorageValidationError', async (_, value) => {
      const { documents, provider } = context();
      const options = (typeof value === 'boolean' ? value : { refuseClockAhead: value }) as never;
      const before = await readStorage(provider);
      await expect(documents.saveSnapshot('doc', new Uint8Array([1]), {}, options)).rejects.toMatchObject({
        name: 'StorageValidationError',
      });
      expect(await readStorage(provider)).toEqual(before);
    });

    it("a refused inflated snapshot clock leaves that author's later deltas stored, not dropped as resends", async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await expect(
        documents.saveSnapshot(
          'doc',
          new Uint8Array([1]),
          { a: 1, victim: 9_007_199_254_740_991 },
          { refuseClockAhead: true },
        ),
      ).rejects.toBeInstanceOf(SnapshotAheadError);
      expect(await documents.addDelta('doc', makeDelta('v1', 'victim', 1))).toBe(true);
      expect(await documents.addDeltas('doc', [makeDelta('v2', 'victim', 2), makeDelta('v3', 'victim', 3)])).toBe(2);
      expect(idsOf(await documents.getDeltasSince('doc', { a: 1 }))).toEqual(['v1', 'v2', 'v3']);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 1, victim: 3 });
    });

    it('getSnapshot returns null when there is no snapshot', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d1', 'a', 1));
      expect(await documents.getSnapshot('doc')).toBeNull();
    });

    it('saveSnapshot replaces the stored snapshot and merges its clock with the deltas clock', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d1', 'c', 5));
      await storeClock(documents, 'doc', { a: 3, b: 1 });
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      await documents.saveSnapshot('doc', new Uint8Array([2, 2]), { a: 3, b: 1 });
      const snapshot = await documents.getSnapshot('doc');
      expect(bytesOf(snapshot!.data)).toEqual([2, 2]);
      expect(snapshot!.vectorClock).toEqual({ a: 3, b: 1 });
      expect(await documents.getVectorClock('doc')).toEqual({ a: 3, b: 1, c: 5 });
    });

    it('saveSnapshot accepts a clock equal to the stored snapshot clock', async () => {
      const { documents } = context();
      await storeClock(documents, 'doc', { a: 2 });
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2 });
      await documents.saveSnapshot('doc', new Uint8Array([5]), { a: 2 });
      expect(bytesOf((await documents.getSnapshot('doc'))!.data)).toEqual([5]);
    });

    it.each([
      ['a lower counter', { a: 1, b: 1 }],
      ['a missing key', { a: 5 }],
      ['an empty clock', {}],
    ])(
      'saveSnapshot rejects with StaleSnapshotError and changes nothing when the new clock has %s',
      async (_, clock) => {
        const { documents } = context();
        await documents.addDelta('doc', makeDelta('d1', 'a', 1));
        await storeClock(documents, 'doc', { a: 5, b: 1 });
        await documents.saveSnapshot('doc', new Uint8Array([1, 1]), { a: 2, b: 1 });
        const before = { doc: await documents.get('doc'), snapshot: await documents.getSnapshot('doc') };
        const error = await documents.saveSnapshot('doc', new Uint8Array([9]), clock).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StaleSnapshotError);
        expect(error).toBeInstanceOf(StorageError);
        expect({ doc: await documents.get('doc'), snapshot: await documents.getSnapshot('doc') }).toEqual(before);
        expect(bytesOf((await documents.getSnapshot('doc'))!.data)).toEqual([1, 1]);
      },
    );

    it('saveSnapshot accepts a Node Buffer and an empty snapshot', async () => {
      const { documents } = context();
      await storeClock(documents, 'doc', { a: 1 });
      await documents.saveSnapshot('doc', Buffer.from('hello'), { a: 1 });
      const snapshot = await documents.getSnapshot('doc');
      expect(snapshot!.data).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(snapshot!.data).toString()).toBe('hello');
      await documents.saveSnapshot('doc', new Uint8Array(0), { a: 1 });
      expect(bytesOf((await documents.getSnapshot('doc'))!.data)).toEqual([]);
    });

    it('the stored snapshot keeps every byte value, including a view into a larger buffer', async () => {
      const { documents } = context();
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await storeClock(documents, 'doc', { a: 1 });
      await documents.saveSnapshot('doc', all, { a: 1 });
      expect(bytesOf((await documents.getSnapshot('doc'))!.data)).toEqual(bytesOf(all));
      await documents.saveSnapshot('doc', all.subarray(10, 13), { a: 1 });
      expect(bytesOf((await documents.getSnapshot('doc'))!.data)).toEqual([10, 11, 12]);
    });

    it('the stored snapshot is not aliased to the array passed in or the array returned', async () => {
      const { documents } = context();
      const input = new Uint8Array([1, 2, 3]);
      const clock = { a: 1 };
      await storeClock(documents, 'doc', clock);
      await documents.saveSnapshot('doc', input, clock);
      input[0] = 99;
      clock.a = 50;
      const read = (await documents.getSnapshot('doc'))!;
      read.data[1] = 98;
      (read.vectorClock as Record<string, number>).a = 60;
      const again = (await documents.getSnapshot('doc'))!;
      expect(bytesOf(again.data)).toEqual([1, 2, 3]);
      expect(again.vectorClock).toEqual({ a: 1 });
    });

    it('compactDeltas deletes only the deltas covered by both upToClock and the snapshot clock, and counts them', async () => {
      const { documents } = context();
      await documents.addDeltas('doc', [
        makeDelta('a1', 'a', 1),
        makeDelta('b1', 'b', 1, { clock: { a: 9 } }),
        makeDelta('a2', 'a', 2),
        makeDelta('a3', 'a', 3),
        makeDelta('b2', 'b', 2),
        makeDelta('c1', 'c', 1),
      ]);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2, b: 2 });
      // a: min(3, 2) = 2 -> a1, a2; b: min(1, 2) = 1 -> b1 (its a: 9 does not matter); c: not in the snapshot.
      expect(await documents.compactDeltas('doc', { a: 3, b: 1, c: 5 })).toBe(3);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['a3', 'b2', 'c1']);
      expect(await documents.compactDeltas('doc', { a: 3, b: 1, c: 5 })).toBe(0);
      expect(await documents.compactDeltas('doc', { a: 100, b: 100, c: 100 })).toBe(1);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['a3', 'c1']);
    });

    it('compactDeltas with no snapshot deletes nothing and returns 0', async () => {
      const { documents } = context();
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2)]);
      expect(await documents.compactDeltas('doc', { a: 10 })).toBe(0);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['a1', 'a2']);
    });

    it('compactDeltas leaves the document clock and the snapshot as they were', async () => {
      const { documents } = context();
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1, { clock: { z: 7 } }), makeDelta('a2', 'a', 2)]);
      await documents.saveSnapshot('doc', new Uint8Array([4]), { a: 2 });
      const clock = await documents.getVectorClock('doc');
      const snapshot = await documents.getSnapshot('doc');
      expect(await documents.compactDeltas('doc', { a: 2 })).toBe(2);
      expect(await documents.getVectorClock('doc')).toEqual(clock);
      expect(clock).toEqual({ a: 2, z: 7 });
      expect(await documents.getSnapshot('doc')).toEqual(snapshot);
    });

    it('a delta the stored snapshot covers is a no-op, before and after compaction', async () => {
      const { documents } = context();
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('a2', 'a', 2), makeDelta('b1', 'b', 1)]);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2, b: 1 });
      const before = await documents.get('doc');
      // New ids, but their own counters are covered by the snapshot clock.
      expect(await documents.addDelta('doc', makeDelta('late-a2', 'a', 2, { clock: { q: 50 } }))).toBe(false);
      expect(await documents.addDelta('doc', makeDelta('late-b1', 'b', 1))).toBe(false);
      await documents.compactDeltas('doc', { a: 2, b: 1 });
      expect(await documents.getDeltasSince('doc')).toEqual([]);
      expect(await documents.addDelta('doc', makeDelta('a1', 'a', 1))).toBe(false);
      expect(await documents.addDeltas('doc', [makeDelta('a2', 'a', 2), makeDelta('a1-again', 'a', 1)])).toBe(0);
      expect(await documents.getDeltasSince('doc')).toEqual([]);
      // Only the compaction changed the document: it took one version.
      expect(await documents.get('doc')).toEqual({ ...before, version: before!.version + 1 });
      expect(await documents.addDeltas('doc', [makeDelta('b1-again', 'b', 1), makeDelta('a3', 'a', 3)])).toBe(1);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['a3']);
    });
  });
}
