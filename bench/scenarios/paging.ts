import { pairedThroughput, withCallers } from '../harness/measure.js';
import { count, documentsOf, expectEqual, type ScenarioContext } from './scenario-context.js';

/**
 * Paging through every document id with iterateDocumentIds. Runs first on a driver, so the
 * store (and the floor's database) hold exactly these documents.
 */
export async function runPagingScenario(context: ScenarioContext): Promise<void> {
  const { sizes, floor } = context;
  const documents = documentsOf(context);
  const total = sizes.pagedDocuments;
  const ids = Array.from({ length: total }, (_, i) => `page/${(i * 7919) % total}`);
  context.progress(`creating ${count(total)} documents`);
  if (documents) await withCallers(ids, sizes.concurrentCallers, (id) => documents.getOrCreate(id));
  await floor.createDocuments(ids);

  const floorLabel = floor.label('pageIds');
  const paged = await pairedThroughput(
    context.rounds,
    async () => ({
      ops: total,
      ours: documents
        ? async () => {
            let seen = 0;
            for await (const id of documents.iterateDocumentIds({ pageSize: sizes.pageSize })) if (id) seen++;
            expectEqual(seen, total, 'document ids paged through');
          }
        : null,
      floor: floorLabel
        ? async () => expectEqual(await floor.pageDocumentIds(sizes.pageSize), total, 'floor ids')
        : null,
    }),
    context.warmupRounds,
  );
  context.record({
    id: 'iterateDocumentIds',
    scenario: 'iterateDocumentIds',
    detail: `${count(total)} documents, pages of ${count(sizes.pageSize)} (rate per id)`,
    ours: paged.ours,
    floor: paged.floor,
    floorLabel,
  });
}
