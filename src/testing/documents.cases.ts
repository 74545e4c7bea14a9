import type { ConformanceContextGetter } from './conformance-context.js';
import { makeDelta } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

export function documentCases(context: ConformanceContextGetter): void {
  describe('documents', () => {
    it('getOrCreate creates a missing document with the clock {}', async () => {
      const { documents } = context();
      const doc = await documents.getOrCreate('doc');
      expect(doc).toEqual({
        id: 'doc',
        vectorClock: {},
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
        version: 0,
      });
      expect(await documents.exists('doc')).toBe(true);
      expect(await documents.get('doc')).toEqual(doc);
      expect(await documents.getDocumentIds()).toEqual(['doc']);
    });

    it('getOrCreate returns an existing document as it is', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d1', 'a', 3));
      const before = await documents.get('doc');
      const again = await documents.getOrCreate('doc');
      expect(again).toEqual(before);
      expect(again.vectorClock).toEqual({ a: 3 });
    });

    it('concurrent getOrCreate calls for one id create exactly one document', async () => {
      const { documents } = context();
      const results = await Promise.all(Array.from({ length: 25 }, () => documents.getOrCreate('doc')));
      expect(await documents.getDocumentIds()).toEqual(['doc']);
      const stored = (await documents.get('doc'))!;
      for (const result of results) {
        expect(result.id).toBe('doc');
        expect(result.vectorClock).toEqual({});
        expect(result.createdAt.getTime()).toBe(stored.createdAt.getTime());
      }
    });

    it('concurrent getOrCreate calls for different ids create each document once', async () => {
      const { documents } = context();
      const ids = Array.from({ length: 10 }, (_, i) => `doc-${i}`);
      await Promise.all([...ids, ...ids].map((id) => documents.getOrCreate(id)));
      expect(await documents.getDocumentIds()).toEqual([...ids].sort());
    });

    it('get returns null and exists false for a document that does not exist', async () => {
      const { documents } = context();
      expect(await documents.get('missing')).toBeNull();
      expect(await documents.exists('missing')).toBe(false);
    });

    it('reading an unknown document never creates it', async () => {
      const { documents } = context();
      await documents.get('missing');
      await documents.exists('missing');
      expect(await documents.getDeltasSince('missing')).toEqual([]);
      expect(await documents.getChangesSince('missing')).toEqual({ snapshot: null, deltas: [], vectorClock: {} });
      expect(await documents.getVectorClock('missing')).toEqual({});
      expect(await documents.getSnapshot('missing')).toBeNull();
      expect(await documents.compactDeltas('missing', { a: 5 })).toBe(0);
      for await (const delta of documents.iterateDeltasSince('missing'))
        throw new Error(`unexpected delta ${delta.id}`);
      expect(await documents.exists('missing')).toBe(false);
      expect(await documents.getDocumentIds()).toEqual([]);
    });

    it('delete removes the document with its deltas, snapshot and awareness entries, and returns true', async () => {
      const { documents, awareness } = context();
      await documents.addDeltas('doc', [makeDelta('d1', 'a', 1), makeDelta('d2', 'a', 2)]);
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 1 });
      await awareness.set('doc', 'a', { cursor: 1 }, 1);
      expect(await documents.delete('doc')).toBe(true);
      expect(await documents.get('doc')).toBeNull();
      expect(await documents.exists('doc')).toBe(false);
      expect(await documents.getDocumentIds()).toEqual([]);
      expect(await documents.getDeltasSince('doc')).toEqual([]);
      expect(await documents.getSnapshot('doc')).toBeNull();
      expect(await documents.getVectorClock('doc')).toEqual({});
      expect(await awareness.get('doc', 'a')).toBeNull();
      expect(await awareness.getAll('doc')).toEqual([]);
    });

    it('delete returns false for a document that does not exist, yet removes the awareness entries under its id', async () => {
      const { documents, awareness } = context();
      await awareness.set('room', 'a', { cursor: 1 }, 1);
      await awareness.set('room', 'b', { cursor: 2 }, 1, { connectionId: 'conn' });
      expect(await documents.delete('room')).toBe(false);
      expect(await awareness.getAll('room')).toEqual([]);
      expect(await awareness.removeAllForConnection('conn')).toBe(0);
    });

    it('delete returns false the second time', async () => {
      const { documents } = context();
      await documents.getOrCreate('doc');
      expect(await documents.delete('doc')).toBe(true);
      expect(await documents.delete('doc')).toBe(false);
    });

    it('delete leaves other documents and their awareness entries alone', async () => {
      const { documents, awareness } = context();
      await documents.addDelta('doc', makeDelta('d1', 'a', 1));
      await documents.addDelta('other', makeDelta('d1', 'a', 1));
      await documents.saveSnapshot('other', new Uint8Array([7]), { a: 1 });
      await awareness.set('doc', 'a', { cursor: 1 }, 1);
      await awareness.set('other', 'a', { cursor: 2 }, 1);
      await documents.delete('doc');
      expect(await documents.getDocumentIds()).toEqual(['other']);
      expect((await documents.getDeltasSince('other')).map((delta) => delta.id)).toEqual(['d1']);
      expect(await documents.getSnapshot('other')).not.toBeNull();
      expect((await awareness.get('other', 'a'))?.state).toEqual({ cursor: 2 });
    });

    it('a deleted document starts afresh: its old delta ids and snapshot clock no longer apply', async () => {
      const { documents } = context();
      await documents.addDelta('doc', makeDelta('d1', 'a', 5));
      await documents.saveSnapshot('doc', new Uint8Array([1]), { a: 5 });
      await documents.delete('doc');
      expect(await documents.addDelta('doc', makeDelta('d1', 'a', 1))).toBe(true);
      await expect(documents.saveSnapshot('doc', new Uint8Array([2]), { a: 1 })).resolves.toBeUndefined();
      expect(await documents.getVectorClock('doc')).toEqual({ a: 1 });
      expect((await documents.getDeltasSince('doc')).map((delta) => delta.id)).toEqual(['d1']);
    });
  });
}
