import * as Y from 'yjs';
import { loadYDoc, snapshotYDoc } from '../../src/yjs/index.js';
import { withSeed } from '../fixtures/seeded-random.js';
import type { SharedStorage } from './support/shared-storage.js';
import { TwoServerRun } from './support/two-server-run.js';
import { content } from './support/yjs-content.js';

/**
 * The two-server suite for one driver: random concurrent edits through two Hocuspocus servers on one
 * storage, with real providers over WebSockets. The tests of one seed run in order on one run.
 */
export function twoServerCases(
  createStorage: () => Promise<SharedStorage>,
  seeds: readonly number[],
  steps: number,
): void {
  let storage: SharedStorage;
  beforeAll(async () => {
    storage = await createStorage();
  });
  afterAll(() => storage?.dispose());

  describe.each(seeds)('random edits, seed %i', (seed) => {
    let run: TwoServerRun;
    beforeAll(async () => {
      run = new TwoServerRun(storage, seed);
      await run.start();
    });
    afterAll(() => run?.stop());
    const step = (name: string, body: () => Promise<void>): void => it(name, () => withSeed(seed, body));

    step(
      'every client, both servers, the store and a late joiner hold the same content, the offline client included',
      async () => {
        await run.editWithAnOfflineClient(steps);
        if (storage.dropFeedConnections) {
          // The feed's connections drop mid-run: changes announced meanwhile are lost, a resync follows.
          expect(await storage.dropFeedConnections()).toBeGreaterThan(0);
          await run.editWithAnOfflineClient(steps / 4);
        }
        await run.converge();
        expect(await run.lateJoinerMatches(run.b.server)).toBe(true);
        expect(await run.writersWithGaps()).toEqual([]);
      },
    );

    step(
      'after one server is killed with updates it had not stored and is restarted, they all converge again',
      async () => {
        const { storedEverythingBeforeKill } = await run.killAndRestartA(steps / 3);
        expect(storedEverythingBeforeKill).toBe(false);
        await run.converge();
        expect(await run.lateJoinerMatches(run.a.server)).toBe(true);
        expect(await run.writersWithGaps()).toEqual([]);
      },
    );

    step('updates sent again by every client, and every stored delta added again, store nothing', async () => {
      const before = await storage.documents.getChangesSince(run.documentName, null);
      for (const client of run.clients) client.provider.documentUpdateHandler(Y.encodeStateAsUpdate(client.doc), null);
      await run.converge();
      expect(await storage.documents.addDeltas(run.documentName, before.deltas)).toBe(0);
      const after = await storage.documents.getChangesSince(run.documentName, null);
      expect(after.vectorClock).toEqual(before.vectorClock);
      expect(after.deltas.map((delta) => delta.id)).toEqual(before.deltas.map((delta) => delta.id));
    });

    step('snapshots and compaction, by policy and on demand, leave the content unchanged', async () => {
      const byPolicy = await storage.documents.getChangesSince(run.documentName, null);
      expect(byPolicy.snapshot).not.toBeNull();
      const counters = Object.values(byPolicy.vectorClock).reduce((sum, counter) => sum + counter, 0);
      expect(byPolicy.deltas.length).toBeLessThan(counters); // compaction deleted some
      const { doc, clock } = await loadYDoc(storage.documents, run.documentName);
      expect(content(doc)).toBe(content(run.clients[0]!.doc));
      await snapshotYDoc(storage.documents, run.documentName, doc, clock);
      const { doc: reloaded, deltas } = await loadYDoc(storage.documents, run.documentName);
      expect(deltas).toBe(0);
      expect(content(reloaded)).toBe(content(run.clients[0]!.doc));
      expect(await run.lateJoinerMatches(run.b.server)).toBe(true);
    });
  });
}
