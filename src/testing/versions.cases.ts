import type { StorageChange } from '../index.js';
import { recordChanges } from './change-recorder.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

const versionOf = async (context: ConformanceContextGetter, documentId: string): Promise<number | undefined> =>
  (await context().documents.get(documentId))?.version;

export function versionCases(context: ConformanceContextGetter): void {
  describe('document versions', () => {
    it('each content write takes the next version; no-ops, failures and awareness take none', async () => {
      const { documents, awareness } = context();
      expect((await documents.getOrCreate('doc')).version).toBe(0);
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      expect(await versionOf(context, 'doc')).toBe(1);
      await documents.addDeltas('doc', [makeDelta('a2', 'a', 2), makeDelta('b1', 'b', 1)]);
      expect(await versionOf(context, 'doc')).toBe(2); // one call, one version
      await documents.addDelta('doc', makeDelta('a1', 'a', 1)); // a resend
      await documents.addDeltas('doc', []);
      await expect(documents.addDeltas('doc', [makeDelta('x', 'x', 1), makeDelta('y', 'x', 1)])).rejects.toThrow();
      await awareness.set('doc', 'alice', { x: 1 }, 1);
      await documents.compactDeltas('doc', { a: 9 }); // no snapshot: removes nothing
      expect(await versionOf(context, 'doc')).toBe(2);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      expect(await versionOf(context, 'doc')).toBe(3);
      await expect(documents.saveSnapshot('doc', new Uint8Array([2]), {})).rejects.toThrow(); // stale
      expect(await documents.compactDeltas('doc', { a: 1 })).toBe(1);
      expect(await versionOf(context, 'doc')).toBe(4);
      expect(await documents.compactDeltas('doc', { a: 1 })).toBe(0);
      expect(await versionOf(context, 'doc')).toBe(4);
    });

    it('every published content change carries the version its write took, the one get() answers after it', async () => {
      const { provider, documents } = context();
      const feed = recordChanges(provider, 'doc');
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      const afterDelta = await versionOf(context, 'doc');
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      const afterSnapshot = await versionOf(context, 'doc');
      const changes = await feed.received(2);
      expect(changes.map((change) => change.version)).toEqual([afterDelta, afterSnapshot]);
      feed.stop();
    });

    it('a document created again after delete starts at version 1; subscribers see the deletion first', async () => {
      const { provider, documents } = context();
      await documents.addDelta('doc', makeDelta('a1', 'a', 1));
      await documents.addDelta('doc', makeDelta('a2', 'a', 2));
      const feed = recordChanges(provider, 'doc');
      expect(await documents.delete('doc')).toBe(true);
      expect(await documents.delete('doc')).toBe(false); // nothing left: no version, no change
      await documents.addDelta('doc', makeDelta('again', 'a', 1));
      expect(await versionOf(context, 'doc')).toBe(1);
      expect(await feed.received(2)).toEqual([
        { documentId: 'doc', kind: 'deleted', version: 3, source: 'local' },
        { documentId: 'doc', kind: 'deltas', deltaIds: ['again'], version: 1, source: 'local' },
      ]);
      feed.stop();
    });

    it('concurrent writers publish contiguous versions, each deltas change with its ids, each id once', async () => {
      const { provider, documents } = context();
      const feed = recordChanges(provider, 'doc');
      const writes = Array.from({ length: 30 }, (_, i) =>
        i % 4 === 0
          ? documents.addDeltas('doc', [makeDelta(`p${i}`, `w${i}`, 1), makeDelta(`q${i}`, `w${i}`, 2)])
          : documents.addDelta('doc', makeDelta(`s${i}`, `w${i}`, 1)),
      );
      await Promise.all(writes);
      const { version } = (await documents.get('doc'))!;
      const changes = await feed.until((all) => all.at(-1)?.version === version);
      expect(changes.map((change) => change.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
      const ids = changes.flatMap((change: StorageChange) => change.deltaIds!);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(38);
      feed.stop();
    });
  });
}
