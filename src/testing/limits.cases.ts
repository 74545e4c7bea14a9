import { StorageError, StorageLimitError, type JsonValue, type StorageProvider } from '../index.js';
import { expectRejectedEverywhere, type BadInputSite } from './bad-input.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { makeDelta, readStorage, sleep } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

/** A clock with `size` keys. */
const clockOf = (size: number, counter = 1): Record<string, number> =>
  Object.fromEntries(Array.from({ length: size }, (_, i) => [`k${i}`, counter]));

/** `depth` nested containers, arrays and objects in turn. */
function nested(depth: number): JsonValue {
  let value: JsonValue = 0;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { v: value };
  return value;
}

const CLOCK_SITES: BadInputSite[] = [
  {
    name: 'documents.addDelta',
    argument: 'delta.vectorClock',
    call: (p, v) => p.documents.addDelta('doc', { ...makeDelta('x', 'k0', 1), vectorClock: v }),
  },
  { name: 'documents.getDeltasSince', argument: 'since', call: (p, v) => p.documents.getDeltasSince('doc', v) },
  { name: 'documents.getDeltasPage', argument: 'since', call: (p, v) => p.documents.getDeltasPage('doc', v) },
  { name: 'documents.getChangesSince', argument: 'since', call: (p, v) => p.documents.getChangesSince('doc', v) },
  {
    name: 'documents.saveSnapshot',
    argument: 'vectorClock',
    call: (p, v) => p.documents.saveSnapshot('doc', new Uint8Array([1]), v),
  },
  { name: 'documents.compactDeltas', argument: 'upToClock', call: (p, v) => p.documents.compactDeltas('doc', v) },
];

/** Awareness writes for `count` new clients of `documentId`, one after the other. */
async function fillPresence(provider: StorageProvider, documentId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expect(await provider.awareness.set(documentId, `c${i}`, { i }, 1)).toBe(true);
}

export function limitCases(context: ConformanceContextGetter): void {
  describe('limits', () => {
    it('a clock argument with more than maxClockEntries keys is rejected everywhere; one at the limit is accepted', async () => {
      await context().withProvider({ maxClockEntries: 5 }, async (provider) => {
        await expectRejectedEverywhere(provider, CLOCK_SITES, [['a clock of 6 entries', clockOf(6)]]);
        const { documents } = provider;
        // After the seeded storage: a document of its own.
        expect(await documents.addDelta('new', { ...makeDelta('x', 'k0', 1), vectorClock: clockOf(5) })).toBe(true);
        expect(await documents.getDeltasSince('new', clockOf(5, 0))).toHaveLength(1);
        await documents.saveSnapshot('new', new Uint8Array([1]), clockOf(5));
        expect(await documents.compactDeltas('new', clockOf(5))).toBe(1);
      });
    });

    it('by default a clock may have 10000 entries and not 10001', async () => {
      const { documents } = context();
      expect(await documents.getDeltasSince('doc', clockOf(10_000))).toEqual([]);
      await expect(documents.getDeltasSince('doc', clockOf(10_001))).rejects.toMatchObject({
        name: 'StorageValidationError',
        argument: 'since',
      });
    });

    it('a write that would give a document more than maxDocumentAuthors authors gets StorageLimitError and writes nothing', async () => {
      await context().withProvider({ maxClockEntries: 10, maxDocumentAuthors: 5 }, async (provider) => {
        const { documents } = provider;
        expect(
          await documents.addDeltas('doc', [
            makeDelta('a1', 'a', 1, { clock: { b: 1, c: 1 } }),
            makeDelta('d1', 'd', 1),
          ]),
        ).toBe(2);
        expect(await documents.addDelta('doc', makeDelta('e1', 'e', 1))).toBe(true);
        const before = await readStorage(provider);
        const refusals = [
          () => documents.addDelta('doc', makeDelta('f1', 'f', 1)),
          () => documents.addDelta('doc', makeDelta('a2', 'a', 2, { clock: { f: 0 } })),
          // The sixth author comes in the last delta of the batch: nothing of the batch is stored.
          () => documents.addDeltas('doc', [makeDelta('a2', 'a', 2), makeDelta('b2', 'b', 2), makeDelta('g1', 'g', 1)]),
        ];
        for (const refuse of refusals) {
          const error = await refuse().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StorageLimitError);
          expect(error).toBeInstanceOf(StorageError);
          expect(error).toMatchObject({ limit: 'maxDocumentAuthors' });
        }
        expect(await readStorage(provider)).toEqual(before);
        // The document's own authors write on; a resend is still a no-op, whatever authors its clock names.
        expect(
          await documents.addDeltas('doc', [makeDelta('a2', 'a', 2, { clock: { e: 1 } }), makeDelta('b2', 'b', 2)]),
        ).toBe(2);
        expect(await documents.addDelta('doc', makeDelta('d1', 'd', 1, { clock: { z: 1 } }))).toBe(false);
        // Other documents have bounds of their own.
        expect(await documents.addDelta('other', makeDelta('f1', 'f', 1, { clock: clockOf(4) }))).toBe(true);
      });
    });

    it('a delta the snapshot covers is a no-op at maxDocumentAuthors, even when its clock names a new author', async () => {
      await context().withProvider({ maxDocumentAuthors: 2 }, async (provider) => {
        const { documents } = provider;
        await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('b1', 'b', 1)]);
        await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1, b: 1 });
        await documents.compactDeltas('doc', { a: 1, b: 1 });
        expect(await documents.addDelta('doc', makeDelta('a1-again', 'a', 1, { clock: { c: 1 } }))).toBe(false);
        await expect(documents.addDelta('doc', makeDelta('c1', 'c', 1))).rejects.toBeInstanceOf(StorageLimitError);
      });
    });

    it('of two writers racing for the last author of a document, exactly one is stored', async () => {
      await context().withProvider({ maxDocumentAuthors: 3 }, async (provider) => {
        const { documents } = provider;
        await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('b1', 'b', 1)]);
        const results = await Promise.allSettled([
          documents.addDelta('doc', makeDelta('c1', 'c', 1)),
          documents.addDeltas('doc', [makeDelta('a2', 'a', 2), makeDelta('d1', 'd', 1)]),
          documents.addDelta('doc', makeDelta('b2', 'b', 2)),
        ]);
        expect(results[0]).toEqual({ status: 'fulfilled', value: true });
        expect(results[1]).toMatchObject({ status: 'rejected', reason: { limit: 'maxDocumentAuthors' } });
        expect(results[2]).toEqual({ status: 'fulfilled', value: true });
        expect(await documents.getVectorClock('doc')).toEqual({ a: 1, b: 2, c: 1 });
      });
    });

    it('by default a document holds 10000 authors, and the clock it hands out is accepted back as since', async () => {
      const { documents } = context();
      expect(await documents.addDelta('wide', { ...makeDelta('x', 'k0', 1), vectorClock: clockOf(10_000) })).toBe(true);
      const clock = await documents.getVectorClock('wide');
      expect(Object.keys(clock)).toHaveLength(10_000);
      expect(await documents.getDeltasSince('wide', clock)).toEqual([]);
      expect((await documents.getChangesSince('wide', clock)).deltas).toEqual([]);
      await expect(documents.addDelta('wide', makeDelta('n1', 'new-author', 1))).rejects.toMatchObject({
        limit: 'maxDocumentAuthors',
      });
    });

    it('data or state nested deeper than maxJsonDepth is rejected; at the limit it is stored', async () => {
      await context().withProvider({ maxJsonDepth: 4 }, async (provider) => {
        const sites: BadInputSite[] = [
          {
            name: 'documents.addDelta',
            argument: 'delta.data',
            call: (p, v) => p.documents.addDelta('doc', makeDelta('x', 'a', 1, { data: v })),
          },
          { name: 'awareness.set', argument: 'state', call: (p, v) => p.awareness.set('doc', 'a', v, 1) },
        ];
        await expectRejectedEverywhere(provider, sites, [
          ['5 levels', nested(5)],
          ['5 levels inside a wide object', { a: 1, b: [1, 2], deep: nested(4) }],
        ]);
        expect(await provider.documents.addDelta('new', makeDelta('x', 'a', 1, { data: nested(4) }))).toBe(true);
        expect(await provider.awareness.set('new', 'a', nested(4), 1)).toBe(true);
      });
    });

    it('by default data may nest 64 levels and not 65', async () => {
      const { documents } = context();
      expect(await documents.addDelta('doc', makeDelta('x', 'a', 1, { data: nested(64) }))).toBe(true);
      await expect(documents.addDelta('doc', makeDelta('y', 'a', 2, { data: nested(65) }))).rejects.toMatchObject({
        name: 'StorageValidationError',
        argument: expect.stringMatching(/^delta\.data/),
      });
    });

    it('an addDeltas batch of more than maxBatchDeltas deltas is rejected before any delta is looked at', async () => {
      await context().withProvider({ maxBatchDeltas: 3 }, async (provider) => {
        const site: BadInputSite = {
          name: 'documents.addDeltas',
          argument: 'deltas',
          call: (p, v) => p.documents.addDeltas('doc', v),
        };
        await expectRejectedEverywhere(
          provider,
          [site],
          [
            ['4 deltas', [1, 2, 3, 4].map((n) => makeDelta(`x${n}`, 'a', n))],
            // Not a delta among them: the count is checked first.
            ['4 things that are not deltas', [null, 1, 'x', {}]],
          ],
        );
        expect(
          await provider.documents.addDeltas(
            'new',
            [1, 2, 3].map((n) => makeDelta(`x${n}`, 'a', n)),
          ),
        ).toBe(3);
      });
    });

    it('an awareness state larger than maxAwarenessBytes is rejected, independently of maxDeltaBytes', async () => {
      await context().withProvider({ maxAwarenessBytes: 100, maxDeltaBytes: 10_000 }, async (provider) => {
        const site: BadInputSite = {
          name: 'awareness.set',
          argument: 'state',
          call: (p, v) => p.awareness.set('doc', 'a', v, 1),
        };
        await expectRejectedEverywhere(provider, [site], [['101 bytes', 'x'.repeat(99)]]);
        expect(await provider.awareness.set('new', 'a', 'x'.repeat(98), 1)).toBe(true);
        expect(await provider.documents.addDelta('new', makeDelta('x', 'a', 1, { data: 'y'.repeat(1000) }))).toBe(true);
      });
    });

    it('a new client past maxAwarenessEntriesPerDocument gets StorageLimitError and nothing is written', async () => {
      await context().withProvider({ maxAwarenessEntriesPerDocument: 3 }, async (provider) => {
        await fillPresence(provider, 'doc', 3);
        const before = await readStorage(provider);
        const error = await provider.awareness.set('doc', 'late', { x: 1 }, 1).catch((rejection: unknown) => rejection);
        expect(error).toBeInstanceOf(StorageLimitError);
        expect(error).toBeInstanceOf(StorageError);
        expect(await readStorage(provider)).toEqual(before);
        // Other documents have their own count.
        expect(await provider.awareness.set('other', 'late', { x: 1 }, 1)).toBe(true);
      });
    });

    it('a client with a live entry may always update it, even with the document at its limit', async () => {
      await context().withProvider({ maxAwarenessEntriesPerDocument: 2 }, async (provider) => {
        await fillPresence(provider, 'doc', 2);
        expect(await provider.awareness.set('doc', 'c1', { moved: true }, 2)).toBe(true);
        expect(await provider.awareness.set('doc', 'c1', { stale: true }, 1)).toBe(false);
        expect((await provider.awareness.get('doc', 'c1'))!.state).toEqual({ moved: true });
      });
    });

    it('expired and removed entries do not count toward maxAwarenessEntriesPerDocument', async () => {
      await context().withProvider({ maxAwarenessEntriesPerDocument: 2, awarenessTimeoutMs: 300 }, async (provider) => {
        await fillPresence(provider, 'doc', 2);
        await provider.awareness.remove('doc', 'c0');
        expect(await provider.awareness.set('doc', 'new', 1, 1)).toBe(true);
        await sleep(400);
        expect(await provider.awareness.set('doc', 'after-expiry', 1, 1)).toBe(true);
        expect(await provider.awareness.set('doc', 'c1', 1, 1)).toBe(true);
        await expect(provider.awareness.set('doc', 'one-more', 1, 1)).rejects.toBeInstanceOf(StorageLimitError);
      });
    });

    it('racing new clients never take a document past maxAwarenessEntriesPerDocument', async () => {
      await context().withProvider({ maxAwarenessEntriesPerDocument: 5 }, async (provider) => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) => provider.awareness.set('doc', `racer-${i}`, { i }, 1)),
        );
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
        for (const outcome of outcomes)
          if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(StorageLimitError);
        expect(await provider.awareness.getAll('doc')).toHaveLength(5);
      });
    });
  });
}
