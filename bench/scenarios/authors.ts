import type { StoredDelta } from '../../src/index.js';
import { FLOOR_LABELS } from '../floors/floor.js';
import { clientIds, DeltaSequence } from '../workload.js';
import { count, expectEqual, loadDocument, vsFloor, type Scenario, type ScenarioContext } from './context.js';

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
  const sequence = new DeltaSequence(clientIds(authors));
  const old = sequence.take(sizes.authorHistory - sizes.catchUpNew);
  const since = sequence.clockSoFar();
  const fresh = sequence.take(sizes.catchUpNew);
  const clock = sequence.clockSoFar();
  await loadDocument(context, documentId, [...old, ...fresh]);
  const row = { detail: `${count(sizes.authorHistory)} deltas, ${count(authors)} authors`, extra: { authors } };
  const json = fresh.map((delta) => JSON.stringify(delta));
  const entries = Object.keys(since).length;

  const latency = (calls: Parameters<typeof context.latency>[0]) => context.latency(calls, sizes.authorSamples);
  const catchUp = await latency({
    ours: async () => expectEqual((await documents.getDeltasSince(documentId, since)).length, fresh.length, 'catch-up'),
    floor: async () => expectEqual(await floor.getDeltasSince(documentId, since, json), fresh.length, 'floor'),
    readClock: async () => expectEqual(await floor.readClock(since), entries, 'reading the clock'),
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
    floor: async () => expectEqual(await floor.getVectorClock(documentId, clock), authors, 'floor clock'),
  });
  vsFloor(
    context,
    { ...row, id: `authors.vectorClock.${authors}`, scenario: 'getVectorClock', floor: 'vectorClock' },
    clocks,
  );

  // Each side stores its own copy of the next deltas (the floor in its own database), one per call.
  const next = sequence.take(sizes.authorSamples + 5);
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
