import { HistoryUnavailableError, StorageValidationError, type ChangesSince, type DocumentStore } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

const RETAINED = { historyRetentionMs: 60 * 60 * 1000 };

/** What a client rebuilds from an answer: the snapshot's bytes and clock, the deltas' ids in order, the clock. */
function content(changes: ChangesSince): unknown {
  return {
    snapshot: changes.snapshot && { data: [...changes.snapshot.data], clock: changes.snapshot.vectorClock },
    deltas: changes.deltas.map((delta) => ({ id: delta.id, data: delta.data, clock: delta.vectorClock })),
    vectorClock: changes.vectorClock,
  };
}

/** Writes of every kind, recording what the document held right after each version. */
async function writeHistory(documents: DocumentStore, documentId: string): Promise<Map<number, unknown>> {
  const states = new Map<number, unknown>();
  const remember = async (): Promise<void> => {
    const version = (await documents.get(documentId))!.version;
    states.set(version, content(await documents.getChangesSince(documentId, null)));
  };
  await documents.addDelta(documentId, makeDelta('a1', 'a', 1));
  await remember();
  await documents.addDeltas(documentId, [makeDelta('a2', 'a', 2), makeDelta('b1', 'b', 1, { clock: { a: 2 } })]);
  await remember();
  await documents.saveSnapshot(documentId, new Uint8Array([1, 2]), { a: 2 });
  await remember();
  await documents.compactDeltas(documentId, { a: 2 });
  await remember();
  await documents.addDelta(documentId, makeDelta('a3', 'a', 3, { clock: { b: 1 } }));
  await remember();
  await documents.saveSnapshot(documentId, new Uint8Array([3]), { a: 3, b: 1 });
  await remember();
  await documents.compactDeltas(documentId, { a: 3, b: 1 });
  await remember();
  await documents.addDelta(documentId, makeDelta('b2', 'b', 2, { clock: { a: 3 } }));
  await remember();
  return states;
}

/** The History rules (docs/CONTRACT.md 5b): versions, reads of the past, forks and erase, on both drivers. */
export function historyCases(context: ConformanceContextGetter): void {
  describe('history', () => {
    it('with historyRetentionMs on, every version reads back as the document was right after it', async () => {
      await context().withProvider(RETAINED, async ({ documents }) => {
        const states = await writeHistory(documents, 'doc');
        expect([...states.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        for (const [version, state] of states) {
          const at = await documents.getChangesAt('doc', { version });
          expect({ version: at.version, state: content(at) }).toEqual({ version, state });
        }
      });
    });

    it('lists the readable versions oldest first, paged, with their kind and authors', async () => {
      await context().withProvider(RETAINED, async ({ documents }) => {
        await writeHistory(documents, 'doc');
        const first = await documents.getVersions('doc', { limit: 3 });
        expect(first.versions.map((each) => [each.version, each.kind, each.clientIds])).toEqual([
          [1, 'deltas', ['a']],
          [2, 'deltas', expect.arrayContaining(['a', 'b'])],
          [3, 'snapshot', []],
        ]);
        expect(first.versions.every((each) => each.at instanceof Date)).toBe(true);
        const rest = await documents.getVersions('doc', { limit: 10, after: first.next });
        expect(rest.versions.map((each) => each.kind)).toEqual([
          'compacted',
          'deltas',
          'snapshot',
          'compacted',
          'deltas',
        ]);
        expect(rest.next).toBeNull();
        await expect(documents.getVersions('other', { after: first.next })).rejects.toThrow(StorageValidationError);
        expect(await documents.getVersions('missing')).toEqual({ versions: [], next: null });
      });
    });

    it('by time, answers the last version written at or before it', async () => {
      await context().withProvider(RETAINED, async ({ documents }) => {
        const before = new Date(Date.now() - 1000);
        const states = await writeHistory(documents, 'doc');
        const now = await documents.getChangesAt('doc', { time: new Date(Date.now() + 1000) });
        expect(now.version).toBe(8);
        expect(content(now)).toEqual(states.get(8));
        await expect(documents.getChangesAt('doc', { time: before })).rejects.toMatchObject({
          name: 'HistoryUnavailableError',
          version: null,
        });
      });
    });

    it('with history off, only the current version is readable; others reject with HistoryUnavailableError', async () => {
      const { documents } = context();
      const states = await writeHistory(documents, 'doc');
      expect(content(await documents.getChangesAt('doc', { version: 8 }))).toEqual(states.get(8));
      const error = await documents.getChangesAt('doc', { version: 2 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HistoryUnavailableError);
      expect(error).toMatchObject({ documentId: 'doc', version: 2 });
      expect((await documents.getVersions('doc')).versions.map((each) => each.version)).toEqual([8]);
    });

    it('a version never written rejects with HistoryUnavailableError', async () => {
      await context().withProvider(RETAINED, async ({ documents }) => {
        await documents.addDelta('doc', makeDelta('a1', 'a', 1));
        await expect(documents.getChangesAt('doc', { version: 2 })).rejects.toMatchObject({
          name: 'HistoryUnavailableError',
          documentId: 'doc',
          version: 2,
        });
        await expect(documents.getChangesAt('missing', { version: 1 })).rejects.toThrow(HistoryUnavailableError);
      });
    });

    it('a version older than historyRetentionMs rejects with HistoryUnavailableError', async () => {
      await context().withProvider({ historyRetentionMs: 200 }, async ({ documents }) => {
        await documents.addDelta('doc', makeDelta('a1', 'a', 1));
        await new Promise((resolve) => setTimeout(resolve, 300));
        await documents.addDelta('doc', makeDelta('a2', 'a', 2));
        await expect(documents.getChangesAt('doc', { version: 1 })).rejects.toThrow(HistoryUnavailableError);
        expect((await documents.getChangesAt('doc', { version: 2 })).deltas).toHaveLength(2);
      });
    });

    it('forkDocument copies the content at that version into a new document; the two stay independent', async () => {
      await context().withProvider(RETAINED, async ({ documents }) => {
        const states = await writeHistory(documents, 'doc');
        const fork = await documents.forkDocument('doc', { version: 5 }, 'copy');
        expect(fork.id).toBe('copy');
        const copied = await documents.getChangesSince('copy', null);
        const original = states.get(5) as ReturnType<typeof content> & { vectorClock: unknown };
        expect(copied.vectorClock).toEqual((original as { vectorClock: unknown }).vectorClock);
        expect(content(copied)).toEqual(original);
        await documents.addDelta('copy', makeDelta('c1', 'c', 1));
        await documents.addDelta('doc', makeDelta('d1', 'd', 1));
        expect((await documents.getDeltasSince('doc', null)).map((delta) => delta.id)).not.toContain('c1');
        expect((await documents.getDeltasSince('copy', null)).map((delta) => delta.id)).not.toContain('d1');
        await expect(documents.forkDocument('doc', { version: 1 }, 'copy')).rejects.toMatchObject({
          name: 'StorageValidationError',
          argument: 'targetId',
        });
      });
    });

    it('erase removes the document, its history and its awareness; nothing of it reads back', async () => {
      await context().withProvider(RETAINED, async ({ documents, awareness }) => {
        await writeHistory(documents, 'doc');
        await awareness.set('doc', 'alice', { cursor: 1 }, 1);
        expect(await documents.erase('doc')).toBe(true);
        expect(await documents.get('doc')).toBeNull();
        expect(await documents.getVersions('doc')).toEqual({ versions: [], next: null });
        await expect(documents.getChangesAt('doc', { version: 1 })).rejects.toThrow(HistoryUnavailableError);
        expect(await awareness.getAll('doc')).toEqual([]);
        expect(await documents.erase('doc')).toBe(false);
        await documents.addDelta('doc', makeDelta('new', 'a', 1));
        expect((await documents.getChangesAt('doc', { version: 1 })).deltas.map((delta) => delta.id)).toEqual(['new']);
      });
    });

    it('bad history arguments reject with a StorageValidationError naming them, and change nothing', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      const bad: [() => Promise<unknown>, string][] = [
        [() => documents.getChangesAt('doc', { version: 0 }), 'at.version'],
        [() => documents.getChangesAt('doc', { version: 1.5 }), 'at.version'],
        [() => documents.getChangesAt('doc', { time: new Date(Number.NaN) }), 'at.time'],
        [() => documents.getChangesAt('doc', { time: 5 as unknown as Date }), 'at.time'],
        [() => documents.getChangesAt('doc', { version: 1, time: new Date() } as never), 'at'],
        [() => documents.getChangesAt('doc', null as never), 'at'],
        [() => documents.getChangesAt('', { version: 1 }), 'documentId'],
        [() => documents.getVersions('doc', { limit: 0 }), 'limit'],
        [() => documents.getVersions('doc', { after: 'nope' }), 'after'],
        [() => documents.forkDocument('doc', { version: 1 }, ''), 'targetId'],
        [() => documents.forkDocument('doc', { version: 0 }, 'copy'), 'at.version'],
        [() => documents.forkDocument('doc', { version: 1 }, 'doc'), 'targetId'],
        [() => documents.erase(42 as never), 'documentId'],
      ];
      for (const [call, argument] of bad) {
        const error = await call().catch((caught: unknown) => caught);
        expect({ argument, error }).toEqual({ argument, error: expect.any(StorageValidationError) });
        expect((error as StorageValidationError).argument).toBe(argument);
      }
      expect((await documents.get('doc'))!.version).toBe(1);
      expect(await documents.exists('copy')).toBe(false);
    });
  });
}
