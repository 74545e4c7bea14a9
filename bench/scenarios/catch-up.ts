import type { VectorClock } from '../../src/index.js';
import {
  catchUpCalls,
  count,
  expectEqual,
  loadHistory,
  vsFloor,
  type Scenario,
  type ScenarioContext,
} from './context.js';

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
    await firstPage(context, Math.max(...sizes.catchUpHistories));
  },
};

/**
 * Issue 23, finding 6: the first page (limit 1) of a client that has seen the older half of a two-author log,
 * against the first page without `since`, in the same run: the unseen half must not be read to answer it.
 */
async function firstPage(context: ScenarioContext, history: number): Promise<void> {
  const half = history / 2;
  const loaded = await loadHistory(context, {
    documentId: `first-page/${history}`,
    authors: 2,
    old: half,
    fresh: half,
  });
  const page = (since: VectorClock | null) => async () => {
    const { deltas, next } = await context.documents.getDeltasPage(loaded.documentId, since, { limit: 1 });
    expectEqual(deltas.length === 1 && next !== null, true, 'a first page of one delta, and more to come');
  };
  const latency = await context.latency({ since: page(loaded.since), without: page(null) });
  const detail = `limit 1, on a ${count(history)}-delta log of 2 authors`;
  context.record({
    id: `firstPage.since.${history}`,
    scenario: 'first catch-up page, since = the older half',
    detail,
    ours: latency.get('since')!,
    extra: { history },
  });
  context.record({
    id: `firstPage.null.${history}`,
    scenario: 'first catch-up page, since null',
    detail,
    ours: latency.get('without')!,
    extra: { history },
  });
}
