import type { StorageProvider, StoredDelta } from '../../src/index.js';
import { DRIVERS, lazyTargets } from '../support/storage-targets.js';
import { NEAR_PREFIX_IDS, SQL_TEXT_IDS } from '../fixtures/tricky-ids.js';

const targets = lazyTargets();
afterAll(() => targets.dispose());

/** Ids that share prefixes, differ by case or a trailing space, or would match each other as LIKE patterns. */
const NEIGHBOURS = [...NEAR_PREFIX_IDS, 'doc1%', 'doc_', 'doc\\', 'doc1\u{1F600}', SQL_TEXT_IDS[0]];

/** Every piece of data written under `documentId` names it, so a read can tell whose data it got. */
function deltasOf(documentId: string): StoredDelta[] {
  return [1, 2, 3].map((counter) => ({
    id: `delta-${counter}`,
    clientId: 'shared-client',
    timestamp: counter,
    data: { owner: documentId },
    vectorClock: { 'shared-client': counter },
  }));
}

describe.each(DRIVERS)('documents with neighbouring ids on the %s driver', (driver) => {
  let provider: StorageProvider;
  let reads = 0;

  beforeAll(async () => {
    provider = await (await targets.get(driver)).createProvider({ awarenessTimeoutMs: 3_600_000 });
    for (const [index, id] of NEIGHBOURS.entries()) {
      // The same delta ids and client in every document: only the document id keeps them apart.
      expect(await provider.documents.addDeltas(id, deltasOf(id))).toBe(3);
      await provider.documents.saveSnapshot(id, new Uint8Array([index]), { 'shared-client': 1 });
      await provider.awareness.set(id, 'shared-client', { owner: id }, 1, { connectionId: `conn-${index}` });
    }
  }, 120_000);

  const owners = (values: readonly { data?: unknown; state?: unknown }[]): unknown[] =>
    values.map((value) => ((value.data ?? value.state) as { owner?: unknown }).owner);

  it("never return another document's deltas, snapshot, clock or presence", async () => {
    const { documents, awareness } = provider;
    for (const [index, id] of NEIGHBOURS.entries()) {
      const expectOwn = (values: readonly { data?: unknown; state?: unknown }[], count: number): void => {
        reads++;
        expect({ id, owners: owners(values) }).toEqual({ id, owners: Array(count).fill(id) });
      };
      expectOwn(await documents.getDeltasSince(id), 3);
      expectOwn(await documents.getDeltasSince(id, { 'shared-client': 1 }), 2);
      const iterated: StoredDelta[] = [];
      for await (const delta of documents.iterateDeltasSince(id, null, { batchSize: 1 })) iterated.push(delta);
      expectOwn(iterated, 3);
      const changes = await documents.getChangesSince(id, {});
      expectOwn(changes.deltas, 2);
      expect(Array.from(changes.snapshot!.data)).toEqual([index]);
      expect(Array.from((await documents.getSnapshot(id))!.data)).toEqual([index]);
      expect(await documents.getVectorClock(id)).toEqual({ 'shared-client': 3 });
      expectOwn(await awareness.getAll(id), 1);
      expectOwn([(await awareness.get(id, 'shared-client'))!], 1);
    }
    expect(reads).toBe(NEIGHBOURS.length * 6);
  });

  it('change only their own document when compacting, deleting or dropping presence', async () => {
    const { documents, awareness } = provider;
    const [first, second, ...rest] = NEIGHBOURS;
    expect(await documents.compactDeltas(first!, { 'shared-client': 3 })).toBe(1);
    expect(await documents.delete(second!)).toBe(true);
    expect(await awareness.removeAllForConnection('conn-2')).toBe(1);
    expect(owners(await documents.getDeltasSince(first!))).toEqual([first, first]);
    expect(await documents.getDeltasSince(second!)).toEqual([]);
    for (const id of rest)
      expect({ id, owners: owners(await documents.getDeltasSince(id)) }).toEqual({ id, owners: [id, id, id] });
    expect(await awareness.getAll(NEIGHBOURS[2]!)).toEqual([]);
    for (const id of NEIGHBOURS.slice(3)) expect(await awareness.getAll(id)).toHaveLength(1);
  });
});
