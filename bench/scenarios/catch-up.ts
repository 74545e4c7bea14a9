import { catchUpCalls, count, expectEqual, loadHistory, vsFloor, type Scenario } from './context.js';

/** Catch-up of a few new deltas on longer and longer histories: ours, its floor, and the naive way. */
export const scenario: Scenario = {
  name: 'catch-up against history',
  async run(context) {
    const { sizes, documents, pkg } = context;
    for (const history of sizes.catchUpHistories) {
      const documentId = `catch-up/${history}`;
      const shape = { documentId, authors: sizes.clients, old: history, fresh: sizes.catchUpNew };
      const loaded = await loadHistory(context, shape);
      const latency = await context.latency(catchUpCalls(context, loaded));
      const row = { detail: `${sizes.catchUpNew} new on a ${count(history)}-delta history`, extra: { history } };
      vsFloor(context, { ...row, id: `catchUp.${history}`, scenario: 'catch-up', floor: 'catchUp' }, latency);
      // What a store without an index by author does: read the whole log, keep what the clock has not seen.
      const naive = async () => {
        const all = await documents.getDeltasSince(documentId, null);
        const unseen = all.filter((delta) => !pkg.clockCoversDelta(loaded.since, delta));
        expectEqual(unseen.length, sizes.catchUpNew, 'naive catch-up');
      };
      const ours = (await context.latency({ ours: naive }, sizes.naiveSamples)).get('ours')!;
      context.record({ ...row, id: `catchUp.naive.${history}`, scenario: 'naive catch-up (read all, filter)', ours });
    }
  },
};
