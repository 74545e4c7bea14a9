import type { StorageProvider } from '../index.js';
import type { ConformanceContextGetter } from './conformance-context.js';
import { plainEntry, sleep, sortEntries } from './conformance-helpers.js';
import { describe, expect, it } from './runner.js';

/** Short enough to keep the suite fast; the waits below are generous because the machine is shared. */
const TIMEOUT_MS = 200;
const WAIT_FOR_EXPIRY_MS = TIMEOUT_MS + 250;

export function awarenessExpiryCases(context: ConformanceContextGetter): void {
  const withShortTimeout = (use: (provider: StorageProvider) => Promise<void>): Promise<void> =>
    context().withProvider({ awarenessTimeoutMs: TIMEOUT_MS }, use);

  describe('awareness expiry', () => {
    it('an entry expires awarenessTimeoutMs after it is written, and get/getAll stop returning it', async () => {
      await withShortTimeout(async ({ awareness }) => {
        await awareness.set('doc', 'a', { old: true }, 1);
        const entry = (await awareness.get('doc', 'a'))!;
        expect(entry.expiresAt.getTime() - entry.updatedAt.getTime()).toBe(TIMEOUT_MS);
        await sleep(WAIT_FOR_EXPIRY_MS);
        await awareness.set('doc', 'b', { fresh: true }, 1);
        expect(await awareness.get('doc', 'a')).toBeNull();
        expect((await awareness.getAll('doc')).map((live) => live.clientId)).toEqual(['b']);
      });
    });

    it('an expired entry never blocks set, whatever its clock', async () => {
      await withShortTimeout(async ({ awareness }) => {
        await awareness.set('doc', 'a', { v: 'old' }, 100, { connectionId: 'conn-old' });
        await sleep(WAIT_FOR_EXPIRY_MS);
        expect(await awareness.set('doc', 'a', { v: 'new' }, 1)).toBe(true);
        expect(await awareness.get('doc', 'a')).toMatchObject({ state: { v: 'new' }, clock: 1, connectionId: null });
        expect(await awareness.getExpired()).toEqual([]);
        expect(await awareness.removeAllForConnection('conn-old')).toBe(0);
      });
    });

    it('getExpired lists every expired entry in every document, and pruneExpired deletes them', async () => {
      await withShortTimeout(async ({ awareness }) => {
        await awareness.set('doc', 'a', { n: 1 }, 1, { connectionId: 'conn' });
        await awareness.set('doc', 'b', { n: 2 }, 2);
        await awareness.set('room', 'a', { n: 3 }, 3);
        const written = sortEntries(
          [await awareness.get('doc', 'a'), await awareness.get('doc', 'b'), await awareness.get('room', 'a')].map(
            (entry) => plainEntry(entry!),
          ),
        );
        await sleep(WAIT_FOR_EXPIRY_MS);
        await awareness.set('doc', 'live', { n: 4 }, 1);
        expect(sortEntries((await awareness.getExpired()).map(plainEntry))).toEqual(written);
        // Listing does not delete.
        expect(await awareness.getExpired()).toHaveLength(3);
        expect(await awareness.pruneExpired()).toBe(3);
        expect(await awareness.getExpired()).toEqual([]);
        expect(await awareness.pruneExpired()).toBe(0);
        expect((await awareness.getAll('doc')).map((entry) => entry.clientId)).toEqual(['live']);
      });
    });

    it('remove and removeAllForConnection delete expired entries but count only unexpired ones', async () => {
      await withShortTimeout(async ({ awareness }) => {
        await awareness.set('doc', 'a', 1, 1, { connectionId: 'conn' });
        await awareness.set('other', 'a', 1, 1, { connectionId: 'conn' });
        await awareness.set('doc', 'b', 1, 1);
        await sleep(WAIT_FOR_EXPIRY_MS);
        await awareness.set('room', 'a', 1, 1, { connectionId: 'conn' });
        expect(await awareness.removeAllForConnection('conn')).toBe(1);
        expect(await awareness.remove('doc', 'b')).toBe(false);
        expect(await awareness.getExpired()).toEqual([]);
        expect(await awareness.get('room', 'a')).toBeNull();
      });
    });

    it('deleting a document removes its expired entries too', async () => {
      await withShortTimeout(async ({ awareness, documents }) => {
        await awareness.set('doc', 'a', 1, 1);
        await awareness.set('other', 'a', 1, 1);
        await sleep(WAIT_FOR_EXPIRY_MS);
        expect(await documents.delete('doc')).toBe(false);
        expect((await awareness.getExpired()).map((entry) => entry.documentId)).toEqual(['other']);
      });
    });
  });
}
