// Yjs on the stores (issue 13): what a Yjs update costs to store, binary against the base64 string a
// JSON-only store needs, and how long a document of many updates takes to load with and without a snapshot.
import * as Y from 'yjs';
import type { DocumentStore, StoredDelta } from '../../src/index.js';
// The built entry, by its name, as the rest of the bench loads the package.
import { loadYDoc, newWriterId, snapshotYDoc, yjsUpdateToDelta } from 'nest-sync-storage/yjs';
import { latencyOf, sum, type Bytes } from '../harness/measure.js';
import { chunk } from '../workload.js';
import { count, type Scenario, type ScenarioContext } from './context.js';

/** `count` one-keystroke Yjs updates of someone typing: mostly at the cursor, a backspace now and then, a jump. */
function typingUpdates(count: number): { updates: Uint8Array[]; doc: Y.Doc } {
  const doc = new Y.Doc();
  // Yjs draws client ids at random, and an update's size follows its id's length: fix a typical one.
  doc.clientID = 2_000_000_000;
  const text = doc.getText('t');
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  let cursor = 0;
  for (let n = 0; updates.length < count; n++) {
    if (n % 50 === 49) cursor = (n * 7919) % (text.length + 1);
    if (n % 10 === 9 && cursor > 0) text.delete(--cursor, 1);
    else text.insert(cursor++, 'etaoin shrdlu'[n % 13]!);
  }
  return { updates, doc };
}

async function storeInBatches(documents: DocumentStore, documentId: string, deltas: StoredDelta[]): Promise<void> {
  for (const batch of chunk(deltas, 1000)) await documents.addDeltas(documentId, batch);
}

const perUpdate = (bytes: number, items: number): Bytes => ({ kind: 'stored', bytesPerItem: bytes / items, items });
const BASE64_FLOOR = 'the base64 string in JSON';

/** postgres: the bytes a document's rows take on disk (heap pages holding them, plus their share of the indexes). */
async function diskBytes(query: NonNullable<ScenarioContext['postgres']>['query'], documentId: string) {
  const [row] = await query<{ heap: string; indexes: string }>(
    `select count(distinct (ctid::text::point)[0]) * 8192 as heap,
            pg_indexes_size('sync_deltas')::float8 * count(*) / (select count(*) from sync_deltas) as indexes
     from sync_deltas where document_id = '${documentId}'`,
  );
  return Number(row!.heap) + Number(row!.indexes);
}

/** Bytes per update, stored through the driver as binary deltas and as base64 strings in JSON. */
async function updateBytes(context: ScenarioContext, updates: readonly Uint8Array[]): Promise<void> {
  const writer = newWriterId();
  const binary = updates.map((update, i) => yjsUpdateToDelta(writer, i + 1, update, 1_700_000_000_000));
  const base64 = binary.map((delta) => ({ ...delta, data: Buffer.from(delta.data as Uint8Array).toString('base64') }));
  const [binaryId, base64Id] = ['binary', 'base64'].map((kind) => `yjs-bytes-${kind}-${writer}`);
  await storeInBatches(context.documents, binaryId!, binary);
  await storeInBatches(context.documents, base64Id!, base64);
  const n = updates.length;
  const payload = (sizes: number[]) => perUpdate(sum(sizes), n);
  context.record({
    id: 'yjs.bytes.payload',
    scenario: 'Yjs updates',
    detail: `payload per one-keystroke update (${count(n)}), binary delta`,
    ours: payload(updates.map((update) => update.byteLength)),
    floor: payload(base64.map((delta) => JSON.stringify(delta.data).length)),
    floorLabel: BASE64_FLOOR,
  });
  const postgres = context.postgres;
  if (!postgres) return;
  await postgres.analyze();
  context.record({
    id: 'yjs.bytes.disk',
    scenario: 'Yjs updates',
    detail: 'on disk per update (heap pages + share of the indexes), binary delta',
    ours: perUpdate(await diskBytes(postgres.query, binaryId!), n),
    floor: perUpdate(await diskBytes(postgres.query, base64Id!), n),
    floorLabel: BASE64_FLOOR,
  });
}

/** The time `loadYDoc` takes (reading from the store and applying) with a snapshot, against deltas only. */
async function loadTimes(context: ScenarioContext, updates: readonly Uint8Array[], doc: Y.Doc): Promise<void> {
  const writer = newWriterId();
  const deltas = updates.map((update, i) => yjsUpdateToDelta(writer, i + 1, update));
  const n = updates.length;
  const [allDeltas, snapshotted, tail] = ['deltas', 'snapshot', 'tail'].map((kind) => `yjs-load-${kind}-${writer}`);
  await storeInBatches(context.documents, allDeltas!, deltas);
  await storeInBatches(context.documents, snapshotted!, deltas);
  await snapshotYDoc(context.documents, snapshotted!, doc, { [writer]: n });
  const head = n - 100;
  await storeInBatches(context.documents, tail!, deltas.slice(0, head));
  const { doc: headDoc, clock } = await loadYDoc(context.documents, tail!);
  await snapshotYDoc(context.documents, tail!, headDoc, clock);
  await storeInBatches(context.documents, tail!, deltas.slice(head));
  await context.postgres?.analyze();

  const text = doc.getText('t').toString();
  const time = async (documentId: string) => {
    const samples: number[] = [];
    for (let run = 0; run <= context.sizes.yjsLoads; run++) {
      const started = performance.now();
      const { doc: loaded } = await loadYDoc(context.documents, documentId);
      if (run > 0) samples.push(performance.now() - started); // the first run warms up
      if (loaded.getText('t').toString() !== text) throw new Error(`${documentId} loaded other content`);
    }
    return latencyOf(samples);
  };
  const deltasOnly = await time(allDeltas!);
  const floorLabel = `loadYDoc of the same ${count(n)} updates as deltas`;
  for (const [id, documentId, what] of [
    ['yjs.load.snapshot', snapshotted!, 'a snapshot, deltas compacted'],
    ['yjs.load.snapshotAnd100', tail!, 'a snapshot and the last 100 updates as deltas'],
  ] as const)
    context.record({
      id,
      scenario: 'Yjs updates',
      detail: `loadYDoc of ${count(n)} updates from ${what}`,
      ours: await time(documentId),
      floor: deltasOnly,
      floorLabel,
    });
}

export const scenario: Scenario = {
  name: 'Yjs updates',
  async run(context) {
    const { updates, doc } = typingUpdates(context.sizes.yjsUpdates);
    await updateBytes(context, updates);
    await loadTimes(context, updates, doc);
  },
};
