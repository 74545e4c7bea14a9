// Version history (issue 21) on the durable server: what retention costs the hot path, what reading an old
// version costs, what the history of typing takes, and one erase of a long document with its history.
import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import type { DocumentStore } from '../../src/index.js';
import { newWriterId, yjsUpdateToDelta } from 'nest-sync-storage/yjs';
import { elapsedMs, latencyOf, type Bytes } from '../harness/measure.js';
import { chunk, clientIds, DeltaSequence } from '../workload.js';
import { count, expectEqual, type Scenario, type ScenarioContext } from './context.js';

const HOUR = 3_600_000;
const HISTORY = 20_000;
const SNAPSHOT_EVERY = 500;
const ERASED = 10_000;
const KEYSTROKES = 5_000;

/** Stores `deltas` in rounds of `every`, each round followed by a snapshot and the compaction it allows. */
async function loadWithSnapshots(
  documents: DocumentStore,
  documentId: string,
  total: number,
  every: number,
  snapshot: Uint8Array,
): Promise<{ versions: number[] }> {
  const sequence = new DeltaSequence(clientIds(4));
  const deltasVersions: number[] = [];
  for (let stored = 0; stored < total; stored += every) {
    for (const part of chunk(sequence.take(every), 500)) await documents.addDeltas(documentId, part);
    deltasVersions.push((await documents.get(documentId))!.version);
    const clock = sequence.clockSoFar();
    await documents.saveSnapshot(documentId, snapshot, clock);
    await documents.compactDeltas(documentId, clock);
  }
  return { versions: deltasVersions };
}

export const scenario: Scenario = {
  name: 'version history',
  drivers: ['postgres'],
  async run(context) {
    const postgres = context.postgres!;
    const retained = await postgres.startProvider({ historyRetentionMs: HOUR });
    try {
      await hotPath(context, retained.provider.documents);
      await oldVersion(context, retained.provider.documents);
      await typingHistory(context, retained.provider.documents);
      await erase(context, retained.provider.documents);
    } finally {
      await retained.close();
    }
  },
};

/** addDelta and catch-up with retention on against off, interleaved on one database. */
async function hotPath(context: ScenarioContext, on: DocumentStore): Promise<void> {
  const off = context.documents;
  const sequences = { on: new DeltaSequence(['writer']), off: new DeltaSequence(['writer']) };
  const writes = await context.latency({
    ours: async () => expectEqual(await on.addDelta('history/on', sequences.on.take(1)[0]!), true, 'addDelta on'),
    floor: async () => expectEqual(await off.addDelta('history/off', sequences.off.take(1)[0]!), true, 'addDelta off'),
  });
  context.record({
    id: 'history.addDelta',
    scenario: 'history retention',
    detail: 'addDelta, retention 1 h against 0 (interleaved, one database)',
    ours: writes.get('ours')!,
    floor: writes.get('floor')!,
    floorLabel: 'retention off',
  });
  // Both documents now hold the same number of deltas by one writer: catch up on the second half.
  const half = { writer: Math.floor(sequences.on.clockSoFar()['writer']! / 2) };
  const expected = (await off.getDeltasSince('history/off', half)).length;
  const reads = await context.latency({
    ours: async () => expectEqual((await on.getChangesSince('history/on', half)).deltas.length, expected, 'on'),
    floor: async () => expectEqual((await off.getChangesSince('history/off', half)).deltas.length, expected, 'off'),
  });
  context.record({
    id: 'history.catchUp',
    scenario: 'history retention',
    detail: `getChangesSince of ${count(expected)} deltas, retention 1 h against 0`,
    ours: reads.get('ours')!,
    floor: reads.get('floor')!,
    floorLabel: 'retention off',
  });
}

/** getChangesAt in the middle of a long history against getChangesSince(null) of a document of that size. */
async function oldVersion(context: ScenarioContext, documents: DocumentStore): Promise<void> {
  const snapshot = randomBytes(16 * 1024);
  const started = performance.now();
  const { versions } = await loadWithSnapshots(documents, 'history/long', HISTORY, SNAPSHOT_EVERY, snapshot);
  context.progress(
    `loaded ${count(HISTORY)} deltas with a snapshot every ${SNAPSHOT_EVERY}: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const middle = versions[Math.floor(versions.length / 2)]!;
  const at = await documents.getChangesAt('history/long', { version: middle });
  // The same current size: the snapshot and as many deltas, stored plainly.
  await documents.saveSnapshot('history/same-size', snapshot, {});
  const sequence = new DeltaSequence(clientIds(4));
  for (const part of chunk(sequence.take(at.deltas.length), 500)) await documents.addDeltas('history/same-size', part);
  await context.postgres!.analyze();
  const reads = await context.latency({
    ours: async () =>
      expectEqual(
        (await documents.getChangesAt('history/long', { version: middle })).deltas.length,
        at.deltas.length,
        'at',
      ),
    floor: async () =>
      expectEqual(
        (await documents.getChangesSince('history/same-size', null)).deltas.length,
        at.deltas.length,
        'since',
      ),
  });
  context.record({
    id: 'history.getChangesAt',
    scenario: 'history',
    detail: `version ${middle} of ${versions.at(-1)! + 2} (${count(HISTORY)} deltas, snapshot every ${SNAPSHOT_EVERY}): 16 KiB snapshot + ${count(at.deltas.length)} deltas`,
    ours: reads.get('ours')!,
    floor: reads.get('floor')!,
    floorLabel: 'getChangesSince(null), same size',
  });
}

/** Bytes the history of a typing session keeps per update, against Y.encodeStateAsUpdate of the same text. */
async function typingHistory(context: ScenarioContext, documents: DocumentStore): Promise<void> {
  const doc = new Y.Doc();
  doc.clientID = 2_000_000_000;
  const text = doc.getText('t');
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  let cursor = 0;
  for (let n = 0; updates.length < KEYSTROKES; n++) {
    if (n % 50 === 49) cursor = (n * 7919) % (text.length + 1);
    if (n % 10 === 9 && cursor > 0) text.delete(--cursor, 1);
    else text.insert(cursor++, 'etaoin shrdlu'[n % 13]!);
  }
  const writer = newWriterId();
  const documentId = `history/typing-${writer}`;
  const deltas = updates.map((update, i) => yjsUpdateToDelta(writer, i + 1, update, 1_700_000_000_000));
  // The server's copy as it goes: each snapshot holds what was stored so far.
  const state = new Y.Doc();
  for (const part of chunk(deltas, SNAPSHOT_EVERY)) {
    await documents.addDeltas(documentId, part);
    for (const delta of part) Y.applyUpdate(state, delta.data as Uint8Array);
    const clock = await documents.getVectorClock(documentId);
    await documents.saveSnapshot(documentId, Y.encodeStateAsUpdate(state), clock);
    await documents.compactDeltas(documentId, clock);
  }
  const [row] = await context.postgres!.query<{ bytes: string }>(
    `select (select coalesce(sum(octet_length(data_bytes)), 0) from sync_history_deltas where document_id = '${documentId}')
          + (select coalesce(sum(octet_length(data)), 0) from sync_history_snapshots where document_id = '${documentId}')
          + (select coalesce(sum(octet_length(data)), 0) from sync_snapshots where document_id = '${documentId}') as bytes`,
  );
  const perUpdate = (bytes: number): Bytes => ({
    kind: 'stored',
    bytesPerItem: bytes / updates.length,
    items: updates.length,
  });
  context.record({
    id: 'history.yjs.bytesPerUpdate',
    scenario: 'history',
    detail: `${count(KEYSTROKES)} keystrokes, snapshot every ${SNAPSHOT_EVERY}: kept deltas + snapshots, payload bytes`,
    ours: perUpdate(Number(row!.bytes)),
    floor: perUpdate(Y.encodeStateAsUpdate(doc).byteLength),
    floorLabel: 'Y.encodeStateAsUpdate of the text',
  });
}

/** One erase of a 10,000-delta document with its history. */
async function erase(context: ScenarioContext, documents: DocumentStore): Promise<void> {
  await loadWithSnapshots(documents, 'history/erased', ERASED, SNAPSHOT_EVERY, randomBytes(16 * 1024));
  const ms = await elapsedMs(async () => expectEqual(await documents.erase('history/erased'), true, 'erase'));
  context.record({
    id: 'history.erase',
    scenario: 'history',
    detail: `erase of ${count(ERASED)} deltas with their history (one call)`,
    ours: latencyOf([ms]),
  });
}
