import {
  clockCovers,
  clockCoversDelta,
  mergeClocks,
  StaleSnapshotError,
  StorageValidationError,
  type VectorClock,
} from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { collect, idsOf } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

/** Names an object inherits from Object.prototype: as client ids or clock keys they are ordinary strings. */
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;

/** `{ [name]: counter }` as an own key, even for `__proto__` (which a literal would turn into the prototype). */
const clockOf = (name: string, counter: number): VectorClock =>
  JSON.parse(`{${JSON.stringify(name)}:${counter}}`) as VectorClock;

export function prototypeNameCases(context: ConformanceContextGetter): void {
  describe('ids named like Object.prototype members', () => {
    it.each(NAMES)(
      'a client called %s is an ordinary client in clocks, catch-up, snapshots and compaction',
      async (name) => {
        const { documents } = context();
        const delta = { id: 'd1', clientId: name, timestamp: 1, data: { by: name }, vectorClock: clockOf(name, 2) };
        expect(await documents.addDelta('doc', delta)).toBe(true);
        const clock = await documents.getVectorClock('doc');
        expect(Object.hasOwn(clock, name) && clock[name]).toBe(2);
        expect(Object.getPrototypeOf(clock)).toBe(Object.prototype);
        expect(await documents.getDeltasSince('doc', {})).toEqual([delta]);
        expect(await documents.getDeltasSince('doc', clockOf(name, 1))).toEqual([delta]);
        expect(await documents.getDeltasSince('doc', clockOf(name, 2))).toEqual([]);
        // The catch-up of another client must not read a counter from Object.prototype.
        expect(idsOf(await documents.getDeltasSince('doc', { other: 1 }))).toEqual(['d1']);

        await documents.saveSnapshot('doc', new Uint8Array([1]), clockOf(name, 2));
        await expect(documents.saveSnapshot('doc', new Uint8Array([2]), {})).rejects.toBeInstanceOf(StaleSnapshotError);
        expect(await documents.addDelta('doc', { ...delta, id: 'd1-again' })).toBe(false);
        expect(await documents.compactDeltas('doc', { other: 9 })).toBe(0);
        expect(await documents.compactDeltas('doc', clockOf(name, 5))).toBe(1);
        expect(await documents.getDeltasSince('doc')).toEqual([]);
      },
    );

    it.each(NAMES)('a delta by %s without its own counter is rejected', async (name) => {
      const { documents } = context();
      const delta = { id: 'd1', clientId: name, timestamp: 1, data: null, vectorClock: { x: 1 } };
      await expect(documents.addDelta('doc', delta)).rejects.toBeInstanceOf(StorageValidationError);
      expect(await documents.exists('doc')).toBe(false);
    });

    it.each(NAMES)('%s works as a document id, an awareness client id and a connection id', async (name) => {
      const { documents, awareness } = context();
      await documents.getOrCreate(name);
      expect(await documents.getDocumentIds()).toEqual([name]);
      expect(await collect(documents.iterateDocumentIds())).toEqual([name]);
      expect(await awareness.set(name, name, { name }, 1, { connectionId: name })).toBe(true);
      expect(await awareness.set('other', 'a', 1, 1)).toBe(true);
      expect(await awareness.get(name, name)).toMatchObject({
        documentId: name,
        clientId: name,
        connectionId: name,
        state: { name },
      });
      expect((await awareness.getAll(name)).map((entry) => entry.clientId)).toEqual([name]);
      expect(await awareness.set(name, name, { name }, 1)).toBe(false);
      expect(await documents.delete(name)).toBe(true);
      expect(await awareness.getAll(name)).toEqual([]);
      expect(await awareness.removeAllForConnection(name)).toBe(0);
      expect(await awareness.get('other', 'a')).not.toBeNull();
    });

    it.each(NAMES)('the clock helpers treat %s as an ordinary key', (name) => {
      expect(clockCovers({}, clockOf(name, 1))).toBe(false);
      expect(clockCovers(clockOf(name, 1), clockOf(name, 1))).toBe(true);
      expect(clockCoversDelta({}, { clientId: name, vectorClock: clockOf(name, 1) })).toBe(false);
      expect(clockCoversDelta(clockOf(name, 1), { clientId: name, vectorClock: clockOf(name, 1) })).toBe(true);
      const merged = mergeClocks({ a: 1 }, clockOf(name, 3));
      expect(Object.hasOwn(merged, name) && merged[name]).toBe(3);
      expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
      expect(mergeClocks(clockOf(name, 5), clockOf(name, 3))[name]).toBe(5);
    });
  });
}
