import type { StoredDelta } from '../../src/index.js';
import { FLOOR_LABELS } from '../floors/floor.js';
import { catchUpCalls, count, expectEqual, loadHistory, vsFloor } from './context.js';
import type { Scenario, ScenarioContext } from './context.js';

/**
 * Cost against authors (issue 9): documents of one length written by more and more authors, and on each a
 * catch-up of the newest deltas (the client's clock is the document's minus those), `getVectorClock` and
 * `addDelta`. The reads go first, so the catch-up finds exactly the newest deltas.
 */
export const scenario: Scenario = {
  name: 'cost against authors',
  async run(context) {
    for (const authors of context.sizes.authorCounts) await onDocumentOf(context, authors);
  },
};

async function onDocumentOf(context: ScenarioContext, authors: number): Promise<void> {
  const { sizes, documents, floor } = context;
  const documentId = `authors/${authors}`;
  const shape = { documentId, authors, old: sizes.authorHistory - sizes.catchUpNew, fresh: sizes.catchUpNew };
  const loaded = await loadHistory(context, shape);
  const row = { detail: `${count(sizes.authorHistory)} deltas, ${count(authors)} authors`, extra: { authors } };
  const entries = Object.keys(loaded.since).length;
  const latency = (calls: Parameters<typeof context.latency>[0]) => context.latency(calls, sizes.authorSamples);

  const catchUp = await latency({
    ...catchUpCalls(context, loaded),
    readClock: async () => expectEqual(await floor.readClock(loaded.since), entries, 'reading the clock'),
  });
  const scenario = `catch-up of ${sizes.catchUpNew} new deltas, since of ${count(entries)} entries`;
  vsFloor(context, { ...row, id: `authors.catchUp.${authors}`, scenario, floor: 'catchUp' }, catchUp);
  context.record({
    id: `authors.readClock.${authors}`,
    scenario: `taking that since in: ${FLOOR_LABELS.readClock[context.driver]}`,
    detail: `${count(entries)} entries`,
    ours: catchUp.get('readClock')!,
  });

  const clocks = await latency({
    ours: async () => expectEqual(Object.keys(await documents.getVectorClock(documentId)).length, authors, 'clock'),
    floor: async () => expectEqual(await floor.getVectorClock(documentId, loaded.clock), authors, 'floor clock'),
  });
  const clockRow = { ...row, id: `authors.vectorClock.${authors}`, scenario: 'getVectorClock' };
  vsFloor(context, { ...clockRow, floor: 'vectorClock' }, clocks);

  // Each side stores its own copy of the next deltas (the floor in its own database), one per call.
  const next = loaded.sequence.take(sizes.authorSamples + 5);
  const writer = (write: (delta: StoredDelta) => Promise<unknown>) => {
    let taken = 0;
    return () => write(next[taken++]!);
  };
  const writes = await latency({
    ours: writer(async (delta) => expectEqual(await documents.addDelta(documentId, delta), true, 'addDelta')),
    floor: writer(async (delta) => expectEqual(await floor.addDeltas(documentId, [delta]), 1, 'floor addDelta')),
  });
  vsFloor(context, { ...row, id: `authors.addDelta.${authors}`, scenario: 'addDelta', floor: 'addDelta' }, writes);
}
