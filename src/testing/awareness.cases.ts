import type { ConformanceContextGetter } from './conformance-context.js';
import { codePointSort, makeDelta, sortEntries } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

const DEFAULT_AWARENESS_TIMEOUT_MS = 30_000;

export function awarenessCases(context: ConformanceContextGetter): void {
  describe('awareness', () => {
    it('set stores an entry that get returns, without a connection, expiring awarenessTimeoutMs after it was written', async () => {
      const { awareness } = context();
      const before = Date.now();
      expect(await awareness.set('doc', 'a', { cursor: { x: 1 } }, 3)).toBe(true);
      const entry = await awareness.get('doc', 'a');
      expect(entry).toEqual({
        documentId: 'doc',
        clientId: 'a',
        connectionId: null,
        state: { cursor: { x: 1 } },
        clock: 3,
        updatedAt: expect.any(Date),
        expiresAt: expect.any(Date),
      });
      expect(entry!.expiresAt.getTime() - entry!.updatedAt.getTime()).toBe(DEFAULT_AWARENESS_TIMEOUT_MS);
      // Allow for clock skew between this process and a database server of a few seconds.
      expect(Math.abs(entry!.updatedAt.getTime() - before)).toBeLessThan(5_000);
    });

    it('the entry lives for the configured awarenessTimeoutMs', async () => {
      await context().withProvider({ awarenessTimeoutMs: 45_000 }, async ({ awareness }) => {
        await awareness.set('doc', 'a', null, 0);
        const entry = (await awareness.get('doc', 'a'))!;
        expect(entry.expiresAt.getTime() - entry.updatedAt.getTime()).toBe(45_000);
      });
    });

    it('set records the connectionId it is given', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', 'hello', 1, { connectionId: 'conn-1' });
      expect((await awareness.get('doc', 'a'))!.connectionId).toBe('conn-1');
      expect((await awareness.getAll('doc'))[0]!.connectionId).toBe('conn-1');
    });

    it('set with connectionId null or without options records no connection', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', 1, 1, { connectionId: null as never });
      await awareness.set('doc', 'b', 1, 1, {});
      expect((await awareness.getAll('doc')).map((entry) => entry.connectionId)).toEqual([null, null]);
    });

    it('set neither needs nor creates the document', async () => {
      const { awareness, documents } = context();
      expect(await awareness.set('room', 'a', { on: true }, 1)).toBe(true);
      expect(await documents.exists('room')).toBe(false);
      expect(await documents.getDocumentIds()).toEqual([]);
      expect((await awareness.get('room', 'a'))!.state).toEqual({ on: true });
    });

    it('set replaces the entry when the new clock is higher', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', { v: 1 }, 1, { connectionId: 'conn-1' });
      expect(await awareness.set('doc', 'a', { v: 2 }, 2, { connectionId: 'conn-2' })).toBe(true);
      expect(await awareness.get('doc', 'a')).toMatchObject({ state: { v: 2 }, clock: 2, connectionId: 'conn-2' });
      expect(await awareness.set('doc', 'a', { v: 3 }, 10)).toBe(true);
      expect(await awareness.get('doc', 'a')).toMatchObject({ state: { v: 3 }, clock: 10, connectionId: null });
      expect(await awareness.getAll('doc')).toHaveLength(1);
    });

    it('set returns false and changes nothing when the unexpired entry has an equal or higher clock', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', { v: 5 }, 5, { connectionId: 'conn-1' });
      const before = await awareness.get('doc', 'a');
      expect(await awareness.set('doc', 'a', { v: 'same' }, 5, { connectionId: 'conn-2' })).toBe(false);
      expect(await awareness.set('doc', 'a', { v: 'older' }, 4)).toBe(false);
      expect(await awareness.set('doc', 'a', { v: 'oldest' }, 0)).toBe(false);
      expect(await awareness.get('doc', 'a')).toEqual(before);
      expect(await awareness.removeAllForConnection('conn-2')).toBe(0);
    });

    it('clock 0 is accepted for a new entry, and then blocks another clock 0', async () => {
      const { awareness } = context();
      expect(await awareness.set('doc', 'a', 1, 0)).toBe(true);
      expect(await awareness.set('doc', 'a', 2, 0)).toBe(false);
      expect((await awareness.get('doc', 'a'))!.state).toBe(1);
    });

    it('entries are kept per document and per client', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', 'doc-a', 5);
      expect(await awareness.set('other', 'a', 'other-a', 1)).toBe(true);
      expect(await awareness.set('doc', 'b', 'doc-b', 1)).toBe(true);
      expect((await awareness.get('doc', 'a'))!.state).toBe('doc-a');
      expect((await awareness.get('other', 'a'))!.state).toBe('other-a');
      expect((await awareness.get('doc', 'b'))!.state).toBe('doc-b');
    });

    it('get returns null and getAll [] when there is no entry', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', 1, 1);
      expect(await awareness.get('doc', 'b')).toBeNull();
      expect(await awareness.get('other', 'a')).toBeNull();
      expect(await awareness.getAll('other')).toEqual([]);
    });

    it('getAll returns the entries of one document ordered by clientId in code-point order', async () => {
      const { awareness } = context();
      const clients = ['b', 'a', 'B', '\u{10000}', '\uFFFF', '\uE000', 'aa', '\u00e9'];
      for (const [i, clientId] of clients.entries()) await awareness.set('doc', clientId, { i }, 1);
      await awareness.set('other', 'c', {}, 1);
      const entries = await awareness.getAll('doc');
      expect(entries.map((entry) => entry.clientId)).toEqual(codePointSort(clients));
      expect(entries.every((entry) => entry.documentId === 'doc')).toBe(true);
      expect(entries.find((entry) => entry.clientId === '\uFFFF')!.state).toEqual({ i: 4 });
    });

    it('remove deletes one entry and returns whether it existed', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', 1, 7);
      await awareness.set('doc', 'b', 2, 1);
      expect(await awareness.remove('doc', 'a')).toBe(true);
      expect(await awareness.get('doc', 'a')).toBeNull();
      expect(await awareness.remove('doc', 'a')).toBe(false);
      expect(await awareness.remove('doc', 'zzz')).toBe(false);
      expect((await awareness.getAll('doc')).map((entry) => entry.clientId)).toEqual(['b']);
      // A removed entry no longer blocks a lower clock.
      expect(await awareness.set('doc', 'a', 3, 1)).toBe(true);
    });

    it("removeAllForConnection removes that connection's entries in every document and counts them", async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', 1, 1, { connectionId: 'conn-1' });
      await awareness.set('doc', 'b', 2, 1, { connectionId: 'conn-2' });
      await awareness.set('other', 'a', 3, 1, { connectionId: 'conn-1' });
      await awareness.set('room', 'c', 4, 1, { connectionId: 'conn-1' });
      await awareness.set('room', 'd', 5, 1);
      expect(await awareness.removeAllForConnection('conn-1')).toBe(3);
      const left = [
        ...(await awareness.getAll('doc')),
        ...(await awareness.getAll('other')),
        ...(await awareness.getAll('room')),
      ];
      expect(sortEntries(left).map((entry) => [entry.documentId, entry.clientId])).toEqual([
        ['doc', 'b'],
        ['room', 'd'],
      ]);
      expect(await awareness.removeAllForConnection('conn-1')).toBe(0);
      expect(await awareness.removeAllForConnection('never-used')).toBe(0);
    });

    it('an entry rewritten under another connection belongs to the new connection only', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', 1, 1, { connectionId: 'conn-1' });
      await awareness.set('doc', 'a', 2, 2, { connectionId: 'conn-2' });
      expect(await awareness.removeAllForConnection('conn-1')).toBe(0);
      expect((await awareness.get('doc', 'a'))!.state).toBe(2);
      expect(await awareness.removeAllForConnection('conn-2')).toBe(1);
      expect(await awareness.get('doc', 'a')).toBeNull();
    });

    it('deleting a document removes its awareness entries only', async () => {
      const { awareness, documents } = context();
      await documents.addDelta('doc', makeDelta('d1', 'a', 1));
      await awareness.set('doc', 'a', 1, 1, { connectionId: 'conn' });
      await awareness.set('doc', 'b', 1, 1);
      await awareness.set('other', 'a', 1, 1, { connectionId: 'conn' });
      expect(await documents.delete('doc')).toBe(true);
      expect(await awareness.getAll('doc')).toEqual([]);
      expect(await awareness.get('other', 'a')).not.toBeNull();
      expect(await awareness.removeAllForConnection('conn')).toBe(1);
    });

    it('getExpired and pruneExpired find nothing while every entry is live', async () => {
      const { awareness } = context();
      await awareness.set('doc', 'a', 1, 1);
      expect(await awareness.getExpired()).toEqual([]);
      expect(await awareness.pruneExpired()).toBe(0);
      expect(await awareness.get('doc', 'a')).not.toBeNull();
    });

    it('mutating a returned state or the state passed in does not change the stored entry', async () => {
      const { awareness } = context();
      const state = { cursor: { x: 1 }, list: [1] };
      await awareness.set('doc', 'a', state, 1);
      state.list.push(2);
      state.cursor.x = 5;
      const read = (await awareness.get('doc', 'a'))!;
      (read.state as { list: number[] }).list.push(3);
      expect((await awareness.get('doc', 'a'))!.state).toEqual({ cursor: { x: 1 }, list: [1] });
    });
  });
}
