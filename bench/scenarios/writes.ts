import { pairedThroughput, withCallers } from '../harness/measure.js';
import { batchWrites, spreadWrites } from '../workload.js';
import { count, documentsOf, expectEqual, type ScenarioContext } from './scenario-context.js';

/** addDelta one at a time, with concurrent callers, and addDeltas in batches: the same deltas each way. */
export async function runWriteScenarios(context: ScenarioContext): Promise<void> {
  const { sizes, floor } = context;
  const documents = documentsOf(context);
  const detail = `${count(sizes.writeDeltas)} deltas, ${sizes.writeDocuments} documents, ${sizes.clients} clients`;

  const sequential = await pairedThroughput(
    context.rounds,
    async (round) => {
      const writes = spreadWrites(`sequential/${round}`, sizes.writeDeltas, sizes.writeDocuments, sizes.clients);
      return {
        ops: writes.length,
        ours: documents
          ? async () => {
              for (const { documentId, delta } of writes)
                expectEqual(await documents.addDelta(documentId, delta), true, 'addDelta of a new delta');
            }
          : null,
        floor: async () => expectEqual(await floor.addDeltaEach(writes), writes.length, 'floor addDelta'),
      };
    },
    context.warmupRounds,
  );
  context.record({
    id: 'addDelta.sequential',
    scenario: 'addDelta, sequential',
    detail,
    ours: sequential.ours,
    floor: sequential.floor,
    floorLabel: floor.label('addDelta'),
  });

  const callers = sizes.concurrentCallers;
  const concurrent = await pairedThroughput(
    context.rounds,
    async (round) => {
      const writes = spreadWrites(`concurrent/${round}`, sizes.writeDeltas, sizes.writeDocuments, sizes.clients);
      return {
        ops: writes.length,
        ours: documents
          ? () =>
              withCallers(writes, callers, async ({ documentId, delta }) =>
                expectEqual(await documents.addDelta(documentId, delta), true, 'addDelta of a new delta'),
              )
          : null,
        floor: async () =>
          expectEqual(await floor.addDeltaConcurrently(writes, callers), writes.length, 'floor addDelta'),
      };
    },
    context.warmupRounds,
  );
  context.record({
    id: 'addDelta.concurrent',
    scenario: `addDelta, ${callers} concurrent callers`,
    detail,
    ours: concurrent.ours,
    floor: concurrent.floor,
    floorLabel: floor.label('addDelta'),
  });

  const batchDocuments = Math.max(1, Math.floor(sizes.writeDeltas / sizes.batchSize / 3));
  const batched = await pairedThroughput(
    context.rounds,
    async (round) => {
      const batches = batchWrites(
        `batched/${round}`,
        sizes.writeDeltas,
        batchDocuments,
        sizes.batchSize,
        sizes.clients,
      );
      return {
        ops: sizes.writeDeltas,
        ours: documents
          ? async () => {
              for (const { documentId, deltas } of batches)
                expectEqual(await documents.addDeltas(documentId, deltas), deltas.length, 'addDeltas of new deltas');
            }
          : null,
        floor: async () => expectEqual(await floor.addDeltasInBatches(batches), sizes.writeDeltas, 'floor addDeltas'),
      };
    },
    context.warmupRounds,
  );
  context.record({
    id: 'addDeltas.batched',
    scenario: `addDeltas, batches of ${sizes.batchSize}`,
    detail: `${count(sizes.writeDeltas)} deltas, ${batchDocuments} documents (rate per delta)`,
    ours: batched.ours,
    floor: batched.floor,
    floorLabel: floor.label('addDeltas'),
  });
}
