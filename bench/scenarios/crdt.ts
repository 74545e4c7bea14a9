// Figures for docs/INTEGRATIONS.md: what a Yjs update costs to store, binary against base64 in JSON,
// and how long a document of 10,000 updates takes to load with and without a snapshot. Plain
// functions over a provider's documents; the bench harness decides when to run them.
import * as Y from 'yjs';
import type { DocumentStore, StoredDelta } from '../../src/index.js';
// The built entry, by its name, as the rest of the bench loads the package.
import { loadYDoc, newWriterId, snapshotYDoc, yjsUpdateToDelta } from 'nest-sync-storage/yjs';
import { median } from '../harness/measure.js';

/** A number and its unit. */
export interface Figure {
  value: number;
  unit: 'bytes' | 'bytes/update' | 'ms' | 'updates';
}

/** PostgreSQL only: SQL on the driver's database, and the driver's `sync_deltas` table, schema-qualified. */
export interface DeltaTableAccess {
  query<Row extends Record<string, unknown>>(sql: string): Promise<Row[]>;
  deltasTable: string;
}

/** `count` one-keystroke Yjs updates of someone typing: mostly at the cursor, a backspace now and then, a jump. */
export function typingUpdates(count: number): { updates: Uint8Array[]; doc: Y.Doc } {
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
  for (let at = 0; at < deltas.length; at += 1000) await documents.addDeltas(documentId, deltas.slice(at, at + 1000));
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
const perUpdate = (value: number): Figure => ({ value: Math.round(value * 10) / 10, unit: 'bytes/update' });

/** What one way of storing Yjs updates costs, per update. */
export interface StoredUpdateCost {
  /** The payload as the caller hands it over: the update, or its base64 string as JSON. */
  payload: Figure;
  /** postgres: the data column of a row (`pg_column_size`), and the whole row. */
  dataColumn?: Figure;
  row?: Figure;
  /** postgres: the heap pages holding the document's rows, in bytes, divided by its rows. */
  heap?: Figure;
}

export interface YjsUpdateBytes {
  updates: Figure;
  meanUpdate: Figure;
  /** postgres: the delta table's indexes per row; the same keys either way, so the same for both. */
  indexes?: Figure;
  binary: StoredUpdateCost;
  base64Json: StoredUpdateCost;
}

/**
 * (a) Bytes per Yjs update, stored through the driver twice: as binary deltas, and as the base64 string
 * a JSON-only store needs. Pass `table` for the postgres driver to read the sizes on disk.
 */
export async function measureYjsUpdateBytes(
  documents: DocumentStore,
  { updates: count = 10_000, table }: { updates?: number; table?: DeltaTableAccess } = {},
): Promise<YjsUpdateBytes> {
  const { updates } = typingUpdates(count);
  const writer = newWriterId();
  const timestamp = Date.now();
  const binary = updates.map((update, i) => yjsUpdateToDelta(writer, i + 1, update, timestamp));
  const base64 = binary.map((delta) => ({ ...delta, data: Buffer.from(delta.data as Uint8Array).toString('base64') }));
  const suffix = newWriterId('');
  const cost = async (documentId: string, deltas: StoredDelta[], payloads: number[]): Promise<StoredUpdateCost> => {
    await storeInBatches(documents, documentId, deltas);
    if (!table) return { payload: perUpdate(mean(payloads)) };
    const [sizes] = await table.query<{ data: string; row: string; pages: string }>(
      `select avg(coalesce(pg_column_size(d.data_bytes), pg_column_size(d.data))) as data,
              avg(pg_column_size(d.*)) as row, count(distinct (d.ctid::text::point)[0]) as pages
       from ${table.deltasTable} d where d.document_id = '${documentId}'`,
    );
    return {
      payload: perUpdate(mean(payloads)),
      dataColumn: perUpdate(Number(sizes!.data)),
      row: perUpdate(Number(sizes!.row)),
      heap: perUpdate((Number(sizes!.pages) * 8192) / deltas.length),
    };
  };
  const binaryCost = await cost(
    `bytes-binary-${suffix}`,
    binary,
    updates.map((update) => update.byteLength),
  );
  const base64Cost = await cost(
    `bytes-base64-${suffix}`,
    base64,
    base64.map((delta) => JSON.stringify(delta.data).length),
  );
  return {
    updates: { value: count, unit: 'updates' },
    meanUpdate: perUpdate(mean(updates.map((update) => update.byteLength))),
    ...(table && { indexes: perUpdate(await indexBytesPerRow(table)) }),
    binary: binaryCost,
    base64Json: base64Cost,
  };
}

async function indexBytesPerRow({ query, deltasTable }: DeltaTableAccess): Promise<number> {
  const [row] = await query<{ bytes: string }>(
    `select pg_indexes_size('${deltasTable}')::float8 / greatest(1, (select count(*) from ${deltasTable})) as bytes`,
  );
  return Number(row!.bytes);
}

/** Median and fastest of the measured runs. */
export interface Timing {
  median: Figure;
  min: Figure;
}

export interface YjsLoadTimes {
  updates: Figure;
  deltaBytes: Figure;
  snapshotBytes: Figure;
  /** `loadYDoc` of a document that is all deltas. */
  deltasOnly: Timing;
  /** Of one whose deltas a snapshot holds and compaction removed. */
  snapshotOnly: Timing;
  /** Of one with a snapshot of all but the last 100 updates, and those 100 as deltas. */
  snapshotAnd100Deltas: Timing;
}

/** (b) The time `loadYDoc` takes (reading from the store and applying) for a document of `updates` updates. */
export async function measureYjsLoadTimes(
  documents: DocumentStore,
  { updates: count = 10_000, runs = 7 }: { updates?: number; runs?: number } = {},
): Promise<YjsLoadTimes> {
  const { updates, doc } = typingUpdates(count);
  const writer = newWriterId();
  const deltas = updates.map((update, i) => yjsUpdateToDelta(writer, i + 1, update));
  const suffix = newWriterId('');
  const [allDeltas, snapshotted, tail] = ['deltas', 'snapshot', 'tail'].map((kind) => `load-${kind}-${suffix}`);
  await storeInBatches(documents, allDeltas!, deltas);
  await storeInBatches(documents, snapshotted!, deltas);
  await snapshotYDoc(documents, snapshotted!, doc, { [writer]: count });
  const head = count - Math.min(100, count);
  await storeInBatches(documents, tail!, deltas.slice(0, head));
  const { doc: headDoc, clock } = await loadYDoc(documents, tail!);
  await snapshotYDoc(documents, tail!, headDoc, clock);
  await storeInBatches(documents, tail!, deltas.slice(head));

  const text = doc.getText('t').toString();
  const time = async (documentId: string): Promise<Timing> => {
    const samples: number[] = [];
    for (let run = 0; run <= runs; run++) {
      const started = performance.now();
      const { doc: loaded } = await loadYDoc(documents, documentId);
      if (run > 0) samples.push(performance.now() - started); // the first run warms up
      if (loaded.getText('t').toString() !== text) throw new Error(`${documentId} loaded other content`);
    }
    const ms = (value: number): Figure => ({ value: Math.round(value * 10) / 10, unit: 'ms' });
    return { median: ms(median(samples)), min: ms(Math.min(...samples)) };
  };
  return {
    updates: { value: count, unit: 'updates' },
    deltaBytes: { value: updates.reduce((sum, update) => sum + update.byteLength, 0), unit: 'bytes' },
    snapshotBytes: { value: Y.encodeStateAsUpdate(doc).byteLength, unit: 'bytes' },
    deltasOnly: await time(allDeltas!),
    snapshotOnly: await time(snapshotted!),
    snapshotAnd100Deltas: await time(tail!),
  };
}
