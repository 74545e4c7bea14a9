import { withCallers } from '../harness/measure.js';
import { count, expectEqual, vsFloor, type Scenario } from './context.js';

const PAGE_SIZE = 1_000;

/** Paging through every document id with iterateDocumentIds: it runs first, so the store holds only these. */
export const scenario: Scenario = {
  name: 'paging through document ids',
  async run(context) {
    const { documents, floor, sizes } = context;
    const total = sizes.pagedDocuments;
    const ids = Array.from({ length: total }, (_, i) => `page/${(i * 7919) % total}`);
    context.progress(`creating ${count(total)} documents`);
    await withCallers(ids, sizes.callers, (id) => documents.getOrCreate(id));
    await floor.createDocuments?.(ids);
    const ours = async () => {
      let seen = 0;
      for await (const id of documents.iterateDocumentIds({ pageSize: PAGE_SIZE })) if (id) seen++;
      expectEqual(seen, total, 'document ids paged through');
    };
    const pageAll = floor.pageDocumentIds?.bind(floor);
    const paged = await context.rates(async () => ({
      ops: total,
      sides: { ours, floor: pageAll ? async () => expectEqual(await pageAll(PAGE_SIZE), total, 'floor ids') : null },
    }));
    const detail = `${count(total)} documents, pages of ${count(PAGE_SIZE)} (rate per id)`;
    vsFloor(context, { id: 'iterateDocumentIds', scenario: 'iterateDocumentIds', detail, floor: 'pageIds' }, paged);
  },
};
