import type { StorageChange } from '../index.js';
import { recordChanges } from './change-recorder.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { idsOf, makeDelta, sleep } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

const local = (change: Omit<StorageChange, 'source'>): StorageChange => ({ ...change, source: 'local' });

export function changeFeedCases(context: ConformanceContextGetter): void {
  describe('change feed', () => {
    it('a stored delta and a batch are each published once, with the new ids in storage order', async () => {
      const { provider, documents } = context();
      const feed = recordChanges(provider, 'doc');
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await documents.addDeltas('doc', [makeDelta('a1', 'a', 1), makeDelta('b1', 'b', 1), makeDelta('a2', 'a', 2)]);
      expect(await feed.received(2)).toEqual([
        local({ documentId: 'doc', kind: 'deltas', deltaIds: ['a1'], version: 1 }),
        local({ documentId: 'doc', kind: 'deltas', deltaIds: ['b1', 'a2'], version: 2 }),
      ]);
      feed.stop();
    });

    it('snapshots, compaction, deletion and awareness are published with their kind', async () => {
      const { provider, documents, awareness } = context();
      const feed = recordChanges(provider);
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      await documents.compactDeltas('doc', { a: 1 });
      await awareness.set('doc', 'alice', { x: 1 }, 1, { connectionId: 'socket' });
      await awareness.remove('doc', 'alice');
      await awareness.set('room', 'bob', { x: 1 }, 1, { connectionId: 'socket' });
      await awareness.removeAllForConnection('socket');
      await documents.delete('doc');
      expect(await feed.received(8)).toEqual([
        local({ documentId: 'doc', kind: 'deltas', deltaIds: ['a1'], version: 1 }),
        local({ documentId: 'doc', kind: 'snapshot', version: 2 }),
        local({ documentId: 'doc', kind: 'compacted', version: 3 }),
        local({ documentId: 'doc', kind: 'awareness', clientId: 'alice' }),
        local({ documentId: 'doc', kind: 'awareness', clientId: 'alice' }),
        local({ documentId: 'room', kind: 'awareness', clientId: 'bob' }),
        local({ documentId: 'room', kind: 'awareness', clientId: 'bob' }),
        local({ documentId: 'doc', kind: 'deleted', version: 4 }),
      ]);
      feed.stop();
    });

    it('pruning expired presence publishes each removed entry', async () => {
      await context().withProvider({ awarenessTimeoutMs: 50 }, async (provider) => {
        await provider.awareness.set('doc', 'alice', 1, 1);
        await sleep(80);
        const feed = recordChanges(provider, 'doc');
        expect(await provider.awareness.pruneExpired()).toBe(1);
        expect(await feed.received(1)).toEqual([local({ documentId: 'doc', kind: 'awareness', clientId: 'alice' })]);
        feed.stop();
      });
    });

    it('no change is published for a no-op or a failed write', async () => {
      const { provider, documents, awareness } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      await documents.compactDeltas('doc', { a: 1 });
      await awareness.set('doc', 'alice', 1, 5);
      const feed = recordChanges(provider, 'doc');
      const failures = [
        documents.addDelta('doc', makeDelta('a1', 'a', 1)), // a resend
        documents.addDelta('doc', makeDelta('covered', 'a', 1)), // the snapshot covers it
        documents.addDeltas('doc', []),
        documents.addDeltas('doc', [makeDelta('x', 'x', 1), makeDelta('y', 'x', 1)]), // DeltaConflictError
        documents.addDelta('doc', { ...makeDelta('bad', 'a', 9), id: '' }), // StorageValidationError
        documents.saveSnapshot('doc', new Uint8Array([2]), {}), // StaleSnapshotError
        documents.compactDeltas('doc', { a: 1 }), // nothing left to delete
        awareness.set('doc', 'alice', 2, 4), // a stale clock
        awareness.remove('doc', 'nobody'),
        documents.delete('missing'),
      ];
      await Promise.allSettled(failures);
      await documents.addDelta('doc', makeDelta('marker', 'm', 1));
      // Changes of one document arrive in order: the marker's is the first, so none came before it.
      // Three versions came before it (the delta, the snapshot, the compaction); the failures took none.
      expect(await feed.received(1)).toEqual([
        local({ documentId: 'doc', kind: 'deltas', deltaIds: ['marker'], version: 4 }),
      ]);
      feed.stop();
    });

    it('a subscription to one document hears nothing of the others; an all-documents one hears all', async () => {
      const { provider, documents } = context();
      const one = recordChanges(provider, 'one');
      const all = recordChanges(provider);
      await documents.addDelta('two', makeDelta('t1', 't', 1));
      await documents.addDelta('one', makeDelta('o1', 'o', 1));
      // Order holds per document (version order); across documents it is not promised.
      const byDocument = (changes: StorageChange[]): StorageChange[] =>
        changes.sort((a, b) => String(a.documentId).localeCompare(String(b.documentId)));
      expect(byDocument(await all.received(2))).toEqual([
        local({ documentId: 'one', kind: 'deltas', deltaIds: ['o1'], version: 1 }),
        local({ documentId: 'two', kind: 'deltas', deltaIds: ['t1'], version: 1 }),
      ]);
      expect(await one.received(1)).toEqual([
        local({ documentId: 'one', kind: 'deltas', deltaIds: ['o1'], version: 1 }),
      ]);
      expect(one.changes).toHaveLength(1);
      one.stop();
      all.stop();
    });

    it('concurrent writers are published in the order their writes were stored', async () => {
      const { provider, documents } = context();
      const feed = recordChanges(provider, 'doc');
      const writes = Array.from({ length: 24 }, (_, i) =>
        i % 3 === 0
          ? documents.addDeltas('doc', [makeDelta(`p${i}`, `w${i % 4}`, i + 1), makeDelta(`q${i}`, `v${i % 5}`, i + 1)])
          : documents.addDelta('doc', makeDelta(`s${i}`, `w${i % 4}`, i + 1)),
      );
      await Promise.all(writes);
      const stored = idsOf(await documents.getDeltasSince('doc'));
      // Writes that waited behind others may be stored (and published) together: count ids, not changes.
      const announced = (changes: readonly StorageChange[]): string[] =>
        changes.flatMap((change) => change.deltaIds ?? []);
      const changes = await feed.until((all) => announced(all).length >= stored.length);
      expect(announced(changes)).toEqual(stored);
      feed.stop();
    });

    it('an unsubscribed subscriber hears nothing more', async () => {
      const { provider, documents } = context();
      const feed = recordChanges(provider, 'doc');
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await feed.received(1);
      feed.stop();
      const witness = recordChanges(provider, 'doc');
      await documents.addDelta('doc', makeDelta('a2', 'a', 2));
      await witness.received(1);
      expect(feed.changes).toHaveLength(1);
      witness.stop();
    });

    it('close() completes every subscription, and subscribing afterwards fails with StorageUnavailableError', async () => {
      await context().withProvider({}, async (provider) => {
        const one = recordChanges(provider, 'doc');
        const all = recordChanges(provider);
        await provider.close();
        expect(one.completed).toBe(true);
        expect(all.completed).toBe(true);
        const failure = await new Promise((resolve) => provider.changes().subscribe({ error: resolve }));
        expect(failure).toMatchObject({ name: 'StorageUnavailableError' });
      });
    });

    it('changes() with a bad document id errors with StorageValidationError naming documentId', async () => {
      const { provider } = context();
      for (const bad of ['', 'x'.repeat(256), 'a\u0000b', 42]) {
        const failure = await new Promise((resolve) =>
          provider.changes(bad as string).subscribe({ error: resolve, next: () => resolve('a change') }),
        );
        expect(failure).toMatchObject({ name: 'StorageValidationError', argument: 'documentId' });
      }
    });

    it('a subscription after the version it read hears every change after it, once, in order', async () => {
      const { provider, documents } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      const { version } = (await documents.get('doc'))!;
      const feed = recordChanges(provider, 'doc', { keepResync: true, afterVersion: version });
      await documents.addDelta('doc', makeDelta('a2', 'a', 2));
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 2 });
      expect(await feed.received(2)).toEqual([
        local({ documentId: 'doc', kind: 'deltas', deltaIds: ['a2'], version: 2 }),
        local({ documentId: 'doc', kind: 'snapshot', version: 3 }),
      ]);
      feed.stop();
    });

    it('a subscription after an older version first gets what it missed, or one resync naming the document', async () => {
      const { provider, documents } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await documents.addDelta('doc', makeDelta('a2', 'a', 2));
      await documents.addDelta('doc', makeDelta('a3', 'a', 3));
      const feed = recordChanges(provider, 'doc', { keepResync: true, afterVersion: 1 });
      await documents.addDelta('doc', makeDelta('a4', 'a', 4));
      const live = local({ documentId: 'doc', kind: 'deltas', deltaIds: ['a4'], version: 4 });
      const changes = await feed.until((all) => all.some((change) => change.version === 4));
      // A driver that keeps a change log replays versions 2 and 3; one that keeps none says what was missed.
      const resync = local({ documentId: 'doc', kind: 'resync' });
      const replayed = [
        local({ documentId: 'doc', kind: 'deltas', deltaIds: ['a2'], version: 2 }),
        local({ documentId: 'doc', kind: 'deltas', deltaIds: ['a3'], version: 3 }),
      ];
      expect(changes).toEqual(changes[0]?.kind === 'resync' ? [resync, live] : [...replayed, live]);
      feed.stop();
    });

    it('a subscription after a version the document never reached gets one resync naming it, then every change', async () => {
      const { provider, documents } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      const feed = recordChanges(provider, 'doc', { keepResync: true, afterVersion: 7 });
      await documents.addDelta('doc', makeDelta('a2', 'a', 2));
      expect(await feed.received(2)).toEqual([
        local({ documentId: 'doc', kind: 'resync' }),
        local({ documentId: 'doc', kind: 'deltas', deltaIds: ['a2'], version: 2 }),
      ]);
      feed.stop();
    });

    it('changes() with a bad afterVersion, or one without a document, errors with StorageValidationError', async () => {
      const { provider, documents } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      const cases: [string | undefined, unknown][] = [
        ['doc', -1],
        ['doc', 1.5],
        ['doc', '1'],
        ['doc', Number.MAX_SAFE_INTEGER + 2],
        [undefined, 0],
      ];
      for (const [documentId, afterVersion] of cases) {
        const failure = await new Promise((resolve) =>
          provider
            .changes(documentId, { afterVersion: afterVersion as number })
            .subscribe({ error: resolve, next: () => resolve('a change') }),
        );
        expect(failure).toMatchObject({ name: 'StorageValidationError', argument: 'options.afterVersion' });
      }
    });
  });
}
