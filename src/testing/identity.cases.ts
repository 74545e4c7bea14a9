import { DeltaConflictError, StorageError } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { idsOf, makeDelta, readStorage } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

/** Calls `write`, which must reject with a DeltaConflictError naming these ids, and checks nothing changed. */
async function expectConflict(
  context: ConformanceContextGetter,
  write: () => Promise<unknown>,
  expected: { documentId: string; deltaId: string; existingDeltaId: string },
): Promise<void> {
  const before = await readStorage(context().provider);
  const error = await write().then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(DeltaConflictError);
  expect(error).toBeInstanceOf(StorageError);
  expect(error).toMatchObject(expected);
  expect(await readStorage(context().provider)).toEqual(before);
}

export function identityCases(context: ConformanceContextGetter): void {
  describe('delta identity: (clientId, own counter) names one event', () => {
    it('a delta whose event is stored under another id rejects with DeltaConflictError and writes nothing', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('first', 'a', 1));
      await expectConflict(context, () => documents.addDelta('doc', makeDelta('second', 'a', 1, { data: 'other' })), {
        documentId: 'doc',
        deltaId: 'second',
        existingDeltaId: 'first',
      });
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['first']);
    });

    it('one conflicting delta rejects its whole batch, new deltas before and after it included', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('a2', 'a', 2));
      await expectConflict(
        context,
        () =>
          documents.addDeltas('doc', [makeDelta('b1', 'b', 1), makeDelta('again', 'a', 2), makeDelta('c1', 'c', 1)]),
        { documentId: 'doc', deltaId: 'again', existingDeltaId: 'a2' },
      );
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['a2']);
    });

    it('two deltas of one batch with one event and different ids reject the batch, naming the earlier one', async () => {
      const { documents } = context();
      await expectConflict(
        context,
        () => documents.addDeltas('doc', [makeDelta('x', 'a', 1), makeDelta('y', 'a', 1)]),
        {
          documentId: 'doc',
          deltaId: 'y',
          existingDeltaId: 'x',
        },
      );
      expect(await documents.exists('doc')).toBe(false);
    });

    it('an earlier delta of the batch claims its event even when it is itself a no-op resend', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('x', 'a', 4));
      // x is stored under (a, 4); the batch's x is a resend with another counter, and y then reuses (a, 5).
      await expectConflict(
        context,
        () => documents.addDeltas('doc', [makeDelta('x', 'a', 5), makeDelta('y', 'a', 5)]),
        {
          documentId: 'doc',
          deltaId: 'y',
          existingDeltaId: 'x',
        },
      );
    });

    it('a stored id is a no-op before its event is looked at: a resend with a reused event returns false', async () => {
      const { documents } = context();
      await documents.addDeltas('doc', [makeDelta('x', 'a', 1), makeDelta('y', 'a', 2)]);
      expect(await documents.addDelta('doc', makeDelta('y', 'a', 1))).toBe(false);
      expect(await documents.addDeltas('doc', [makeDelta('x', 'a', 2), makeDelta('y', 'a', 1)])).toBe(0);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['x', 'y']);
    });

    it('a delta the snapshot covers is a no-op even when its event was stored under another id', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('x', 'a', 1));
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      expect(await documents.addDelta('doc', makeDelta('other', 'a', 1))).toBe(false);
      await documents.compactDeltas('doc', { a: 1 });
      expect(await documents.addDeltas('doc', [makeDelta('other', 'a', 1), makeDelta('x2', 'a', 2)])).toBe(1);
    });

    it('an id repeated inside a batch counts once, so its repeat never conflicts with it', async () => {
      const { documents } = context();
      expect(await documents.addDeltas('doc', [makeDelta('x', 'a', 1), makeDelta('x', 'a', 1)])).toBe(1);
      expect(await documents.addDeltas('doc', [makeDelta('z', 'b', 1), makeDelta('z', 'b', 2)])).toBe(1);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 1, b: 1 });
    });

    it('the same event may be stored once in each document', async () => {
      const { documents } = context();
      expect(await documents.addDelta('one', makeDelta('x', 'a', 1))).toBe(true);
      expect(await documents.addDelta('two', makeDelta('y', 'a', 1))).toBe(true);
    });

    it('after a conflict the document takes new deltas as before', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('x', 'a', 1));
      await expect(documents.addDelta('doc', makeDelta('y', 'a', 1))).rejects.toBeInstanceOf(DeltaConflictError);
      expect(await documents.addDelta('doc', makeDelta('y', 'a', 2))).toBe(true);
      expect(await documents.getVectorClock('doc')).toEqual({ a: 2 });
    });

    it('concurrent calls on one document each keep their own result: a conflict fails only its own call', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('seed', 's', 1));
      const calls = [
        documents.addDelta('doc', makeDelta('a1', 'a', 1)),
        documents.addDelta('doc', makeDelta('clash', 's', 1)),
        documents.addDeltas('doc', [makeDelta('b1', 'b', 1), makeDelta('b2', 'b', 2)]),
        documents.addDelta('doc', makeDelta('seed', 's', 1)),
        documents.addDeltas('doc', [makeDelta('c1', 'c', 1), makeDelta('c1-twin', 'c', 1)]),
        documents.addDelta('doc', makeDelta('d1', 'd', 1)),
      ];
      const outcomes = await Promise.allSettled(calls);
      expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : outcome.reason))).toEqual([
        true,
        expect.objectContaining({ name: 'DeltaConflictError', deltaId: 'clash', existingDeltaId: 'seed' }),
        2,
        false,
        expect.objectContaining({ name: 'DeltaConflictError', deltaId: 'c1-twin', existingDeltaId: 'c1' }),
        true,
      ]);
      expect(idsOf(await documents.getDeltasSince('doc'))).toEqual(['seed', 'a1', 'b1', 'b2', 'd1']);
    });

    it('concurrent calls that reuse one event with different ids store exactly one of them', async () => {
      const { documents } = context();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => documents.addDelta('doc', makeDelta(`id-${i}`, 'a', 1))),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toEqual([
        { status: 'fulfilled', value: true },
      ]);
      for (const outcome of outcomes.filter((each) => each.status === 'rejected'))
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(DeltaConflictError);
      expect(await documents.getDeltasSince('doc')).toHaveLength(1);
    });
  });
}
