import type { StoredDelta } from '../../src/index.js';
import { withCallers } from '../harness/measure.js';
import { chunk, clientIds, DeltaSequence, spreadWrites, type DeltaWrite } from '../workload.js';
import { count, expectEqual, vsFloor, type Scenario, type ScenarioContext } from './context.js';

/** addDelta alone, with concurrent callers on many documents and on one, and addDeltas in batches. */
export const scenario: Scenario = {
  name: 'writes',
  async run(context) {
    const { callers, writeDocuments, writeDeltas, oneDocumentDeltas } = context.sizes;
    await addDeltaRates(context, 'addDelta.sequential', 1, writeDocuments, writeDeltas);
    await addDeltaRates(context, 'addDelta.concurrent', callers, writeDocuments, writeDeltas);
    await addDeltaRates(context, 'addDelta.oneDocument', callers, 1, oneDocumentDeltas);
    await batchRates(context);
  },
};

async function addDeltaRates(context: ScenarioContext, id: string, callers: number, documents: number, total: number) {
  const { documents: store, floor, postgres, sizes } = context;
  const writer = (writes: DeltaWrite[], write: (item: DeltaWrite) => Promise<unknown>) => () =>
    withCallers(writes, callers, write);
  // SyncKit's two-transaction pattern runs beside the workloads on many documents, on postgres.
  const reference = documents > 1 ? postgres?.floor : undefined;
  const twoTransactionSide = (pattern: NonNullable<typeof reference>, others: DeltaWrite[]) => ({
    setUp: () => pattern.createDocuments([...new Set(others.map((write) => write.documentId))]),
    run: writer(others, ({ documentId, delta }) => pattern.addDeltaInTwoTransactions(documentId, delta)),
  });
  const rates = await context.rates(async (round) => {
    const writes = spreadWrites(`${id}/${round}`, total, documents, sizes.clients);
    // Built only where the pattern runs (postgres, many documents).
    const twoTransactions =
      reference &&
      twoTransactionSide(reference, spreadWrites(`${id}/two-transactions/${round}`, total, documents, sizes.clients));
    const ours = writer(writes, async ({ documentId, delta }) =>
      expectEqual(await store.addDelta(documentId, delta), true, 'addDelta of a new delta'),
    );
    const floorSide = writer(writes, async ({ documentId, delta }) =>
      expectEqual(await floor.addDeltas(documentId, [delta]), 1, 'floor addDelta'),
    );
    return { ops: total, sides: { ours, floor: floorSide, twoTransactions: twoTransactions ?? null } };
  }, context.sizes.writeRounds[context.driver]);
  const scenario = callers === 1 ? 'addDelta, sequential' : `addDelta, ${callers} callers`;
  const detail = `${count(total)} deltas, ${documents} document(s), ${sizes.clients} clients`;
  vsFloor(context, { id, scenario, detail, floor: 'addDelta' }, rates);
  const pattern = rates.get('twoTransactions');
  if (pattern)
    context.record({
      id: `${id}.twoTransactions`,
      scenario: `${scenario}: SyncKit's two-transaction pattern, pg`,
      detail: 'the delta, then 1 upsert per clock entry, each autocommitted',
      ours: pattern,
    });
}

/** addDeltas in batches, each to a document of its own. */
async function batchRates(context: ScenarioContext): Promise<void> {
  const { sizes, documents, floor } = context;
  const rates = await context.rates(async (round) => {
    const batches = chunk(new DeltaSequence(clientIds(sizes.clients)).take(sizes.writeDeltas), sizes.batchSize);
    const writeAll = (write: (id: string, batch: StoredDelta[]) => Promise<number>) => async () => {
      for (const [b, batch] of batches.entries())
        expectEqual(await write(`batch/${round}/${b}`, batch), batch.length, 'addDeltas');
    };
    const [ours, floorSide] = [writeAll(documents.addDeltas.bind(documents)), writeAll(floor.addDeltas.bind(floor))];
    return { ops: sizes.writeDeltas, sides: { ours, floor: floorSide } };
  });
  const detail = `${count(sizes.writeDeltas)} deltas (rate per delta)`;
  const scenario = `addDeltas, batches of ${sizes.batchSize}`;
  vsFloor(context, { id: 'addDeltas.batched', scenario, detail, floor: 'addDeltas' }, rates);
}
