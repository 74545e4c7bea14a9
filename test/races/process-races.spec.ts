import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockCoversDelta, mergeClocks, type StorageProvider, type StoredDelta } from '../../src/index.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { reliabilitySettings } from '../reliability/support/reliability-settings.js';
import { fixtureScript } from '../support/built-package.js';
import { exitOf, killRunning, runNode, type NodeProcess } from '../support/node-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { seededRandom } from '../fixtures/seeded-random.js';

/** One addDelta a writer process makes: its own delta, or another writer's sent again. */
interface PlannedSend {
  documentId: string;
  delta: StoredDelta;
  /** Counters the document must hold first: what the delta's clock says its author had seen. */
  requires: Record<string, number>;
  kind: 'own' | 'resend';
}

interface RacePlan {
  documents: string[];
  compaction: boolean;
  writers: { own: PlannedSend[]; resends: PlannedSend[] }[];
}

const WRITERS = 3;
const DOCUMENTS = ['race-doc1', 'race-doc10', 'race-doc'];
const PER_DOCUMENT = 30;
const RESEND_SHARE = 0.2;
/** Bound for the processes to finish on a busy machine; only a stuck process reaches it. */
const PROCESS_BOUND_MS = 120_000;

/**
 * Each writer is one client with its own counter, writing round-robin to the documents. A delta's clock
 * also carries the other writers' counters from three positions back in that document (the author has
 * seen them), and the send waits until they are committed, as a real client would have them. 20% of
 * deltas are sent again by another writer, which waits only for the author's previous delta in that
 * document: the resend races the author's own send of the same id.
 */
function makePlan(seed: number, compaction: boolean): RacePlan {
  // Seeded, so the plan (who resends what) is the same on every run of a seed.
  const { next } = seededRandom(seed);
  const counterOf = (position: number, documentIndex: number): number =>
    position * DOCUMENTS.length + documentIndex + 1;
  const writers = Array.from({ length: WRITERS }, () => ({ own: [] as PlannedSend[], resends: [] as PlannedSend[] }));
  for (let writer = 0; writer < WRITERS; writer++) {
    const clientId = `p${writer}`;
    for (let position = 0; position < PER_DOCUMENT; position++) {
      DOCUMENTS.forEach((documentId, documentIndex) => {
        const seen: Record<string, number> = {};
        if (position >= 3)
          for (let other = 0; other < WRITERS; other++)
            if (other !== writer) seen[`p${other}`] = counterOf(position - 3, documentIndex);
        const counter = counterOf(position, documentIndex);
        const delta: StoredDelta = {
          id: `${clientId}-${counter}`,
          clientId,
          timestamp: 1_764_000_000_000 + counter,
          data: { documentId, clientId, counter },
          vectorClock: { ...seen, [clientId]: counter },
        };
        writers[writer]!.own.push({ documentId, delta, requires: seen, kind: 'own' });
        if (next() < RESEND_SHARE) {
          const resender = (writer + 1 + Math.floor(next() * (WRITERS - 1))) % WRITERS;
          const previous = position > 0 ? { [clientId]: counterOf(position - 1, documentIndex) } : {};
          writers[resender]!.resends.push({ documentId, delta, requires: { ...seen, ...previous }, kind: 'resend' });
        }
      });
    }
  }
  return { documents: DOCUMENTS, compaction, writers };
}

interface WriterResult {
  sends: { documentId: string; id: string; kind: 'own' | 'resend'; stored: boolean }[];
}
interface ReaderResult {
  received: Record<string, string[]>;
  snapshots: Record<string, Record<string, number>[]>;
  rounds: number;
}
interface CompactorResult {
  snapshotsSaved: number;
  compacted: number;
}

let database: TestDatabase;
let workDir: string;
const settings = reliabilitySettings();

beforeAll(async () => {
  database = await createTestDatabase();
  workDir = mkdtempSync(join(tmpdir(), 'sync-storage-races-'));
}, 120_000);

afterAll(async () => {
  await database?.drop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Starts every process at once on a fresh schema (so their migrations race), lets the writers finish, then stops the rest. */
async function race(schema: string, plan: RacePlan) {
  const planFile = join(workDir, `${schema}.json`);
  writeFileSync(planFile, JSON.stringify(plan));
  const env = { RACE_PLAN: planFile, DATABASE_URL: database.url, DATABASE_SCHEMA: schema };
  const start = (role: string, worker?: number): NodeProcess =>
    runNode(fixtureScript('race-worker.mjs'), { env: { ...env, RACE_ROLE: role, RACE_WORKER: String(worker ?? '') } });
  const writers = plan.writers.map((_, index) => start('writer', index));
  const reader = start('reader');
  const compactor = plan.compaction ? start('compactor') : undefined;
  const exits: Awaited<ReturnType<typeof exitOf>>[] = [];
  try {
    for (const writer of writers) exits.push(await exitOf(writer, PROCESS_BOUND_MS));
    for (const follower of [reader, compactor]) follower?.child.stdin!.end('done\n');
    exits.push(await exitOf(reader, PROCESS_BOUND_MS));
    if (compactor) exits.push(await exitOf(compactor, PROCESS_BOUND_MS));
  } finally {
    // A process left running by a failure must not outlive the test.
    killRunning();
  }
  const failed = [...writers, reader, compactor].filter((process, index) => process && exits[index]?.code !== 0);
  expect(failed.map((process) => process!.output().slice(-3000))).toEqual([]);
  return {
    writers: writers.map((writer) => writer.messages<WriterResult>('RESULT ')[0]!),
    reader: reader.messages<ReaderResult>('RESULT ')[0]!,
    compactor: compactor?.messages<CompactorResult>('RESULT ')[0],
  };
}

function plannedDeltas(plan: RacePlan): Map<string, StoredDelta[]> {
  const byDocument = new Map<string, StoredDelta[]>(plan.documents.map((id) => [id, []]));
  for (const writer of plan.writers) for (const send of writer.own) byDocument.get(send.documentId)!.push(send.delta);
  return byDocument;
}

/** Exactly one `true` per delta id across every process, and every id sent at least once. */
function expectOneTruePerId(plan: RacePlan, writers: WriterResult[]): { sends: number; resends: number } {
  const trues = new Map<string, number>();
  for (const writer of writers)
    for (const send of writer.sends) {
      const key = `${send.documentId}/${send.id}`;
      trues.set(key, (trues.get(key) ?? 0) + (send.stored ? 1 : 0));
    }
  const planned = [...plannedDeltas(plan)].flatMap(([documentId, deltas]) =>
    deltas.map((delta) => `${documentId}/${delta.id}`),
  );
  expect(planned.filter((key) => trues.get(key) !== 1)).toEqual([]);
  expect(trues.size).toBe(planned.length);
  const sends = writers.flatMap((writer) => writer.sends);
  return { sends: sends.length, resends: sends.filter((send) => send.kind === 'resend').length };
}

function expectedClock(deltas: readonly StoredDelta[]): Record<string, number> {
  return deltas.reduce<Record<string, number>>((clock, delta) => mergeClocks(clock, delta.vectorClock), {});
}

async function openProvider(schema: string): Promise<StorageProvider> {
  const provider = new PostgresStorageProvider(
    resolveStorageOptions({ driver: 'postgres', clientUrl: database.url, schema, migrate: false }),
  );
  await provider.initialize();
  return provider;
}

function report(text: string): void {
  if (process.env.RELIABILITY_REPORT === '1') console.info(text);
}

describe('three app processes writing to the same documents while a fourth catches up', () => {
  it('store each delta exactly once with one true per id, keep clocks at the pointwise max, and the reader never skips or repeats', async () => {
    const plan = makePlan(settings.seed, false);
    const { writers, reader } = await race('race_plain', plan);
    const { sends, resends } = expectOneTruePerId(plan, writers);
    const provider = await openProvider('race_plain');
    try {
      for (const [documentId, deltas] of plannedDeltas(plan)) {
        const stored = await provider.documents.getDeltasSince(documentId);
        expect(stored.length).toBe(new Set(stored.map((delta) => delta.id)).size);
        expect(new Map(stored.map((delta) => [delta.id, delta]))).toEqual(
          new Map(deltas.map((delta) => [delta.id, delta])),
        );
        expect(await provider.documents.getVectorClock(documentId)).toEqual(expectedClock(deltas));
        const received = reader.received[documentId]!;
        expect(received.length).toBe(new Set(received).size);
        expect([...received].sort()).toEqual(deltas.map((delta) => delta.id).sort());
      }
    } finally {
      await provider.close();
    }
    report(`races: ${WRITERS} writers + reader, ${sends} sends (${resends} resends), ${reader.rounds} reader rounds`);
  }, 240_000);

  it('with a snapshot and compaction running meanwhile, lose no acknowledged delta the snapshot does not cover', async () => {
    const plan = makePlan(settings.seed + 1, true);
    const { writers, reader, compactor } = await race('race_compact', plan);
    const { sends, resends } = expectOneTruePerId(plan, writers);
    expect(compactor!.snapshotsSaved).toBeGreaterThan(0);
    const provider = await openProvider('race_compact');
    try {
      for (const [documentId, deltas] of plannedDeltas(plan)) {
        const snapshotClock = (await provider.documents.getSnapshot(documentId))?.vectorClock ?? {};
        const stored = new Map((await provider.documents.getDeltasSince(documentId)).map((delta) => [delta.id, delta]));
        const lost = deltas.filter((delta) => !stored.has(delta.id) && !clockCoversDelta(snapshotClock, delta));
        expect(lost.map((delta) => delta.id)).toEqual([]);
        for (const [id, delta] of stored) expect(delta).toEqual(deltas.find((planned) => planned.id === id));
        expect(await provider.documents.getVectorClock(documentId)).toEqual(expectedClock(deltas));
        // The reader got each delta once, or a snapshot that covers it.
        const received = reader.received[documentId]!;
        expect(received.length).toBe(new Set(received).size);
        const seenBySnapshot = reader.snapshots[documentId]!.reduce<Record<string, number>>(
          (clock, snapshot) => mergeClocks(clock, snapshot),
          {},
        );
        const skipped = deltas.filter(
          (delta) => !received.includes(delta.id) && !clockCoversDelta(seenBySnapshot, delta),
        );
        expect(skipped.map((delta) => delta.id)).toEqual([]);
      }
    } finally {
      await provider.close();
    }
    report(
      `races with compaction: ${sends} sends (${resends} resends), ${compactor!.snapshotsSaved} snapshots, ${compactor!.compacted} deltas compacted, ${reader.rounds} reader rounds`,
    );
  }, 240_000);
});
