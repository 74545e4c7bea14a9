import { clientIds, DeltaSequence } from '../workload.js';
import { count, expectEqual, loadDocument, vsFloor, type Scenario } from './context.js';

/** Catch-up of a few new deltas on longer and longer histories: ours, its floor, and the naive way. */
export const scenario: Scenario = {
  name: 'catch-up against history',
  async run(context) {
    const { sizes, documents, floor, pkg } = context;
    for (const history of sizes.catchUpHistories) {
      const sequence = new DeltaSequence(clientIds(sizes.clients));
      const old = sequence.take(history);
      const since = sequence.clockSoFar();
      const fresh = sequence.take(sizes.catchUpNew);
      const documentId = `catch-up/${history}`;
      await loadDocument(context, documentId, [...old, ...fresh]);
      const json = fresh.map((delta) => JSON.stringify(delta));
      const latency = await context.latency({
        ours: async () =>
          expectEqual((await documents.getDeltasSince(documentId, since)).length, fresh.length, 'catch-up'),
        floor: async () => expectEqual(await floor.getDeltasSince(documentId, since, json), fresh.length, 'floor'),
      });
      const row = { detail: `${sizes.catchUpNew} new on a ${count(history)}-delta history`, extra: { history } };
      vsFloor(context, { ...row, id: `catchUp.${history}`, scenario: 'catch-up', floor: 'catchUp' }, latency);
      // What a store without an index by author does: read the whole log, keep what the clock has not seen.
      const naive = async () => {
        const all = await documents.getDeltasSince(documentId, null);
        expectEqual(all.filter((delta) => !pkg.clockCoversDelta(since, delta)).length, fresh.length, 'naive catch-up');
      };
      const ours = (await context.latency({ ours: naive }, sizes.naiveSamples)).get('ours')!;
      context.record({ ...row, id: `catchUp.naive.${history}`, scenario: 'naive catch-up (read all, filter)', ours });
    }
  },
};
