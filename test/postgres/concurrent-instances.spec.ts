import pg from 'pg';
import { StaleSnapshotError, mergeClocks, type StorageProvider, type StoredDelta } from '../../src/index.js';
import { collect, makeDelta } from '../conformance/conformance-helpers.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { lockWaiters } from '../support/sql.js';

// Two providers with MikroORM instances and pools of their own share one schema: two app instances.
let database: TestDatabase;
const schema = uniqueName('shared');
let first: StorageProvider;
let second: StorageProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  first = await database.createProvider({ schema, pool: { max: 4 } });
  second = await database.createProvider({ schema, pool: { max: 4 } });
});

afterAll(async () => {
  await database.drop();
});

/** Deltas of `clients` authors, `perClient` each, whose clocks have also seen some of the others. */
function history(prefix: string, clients: number, perClient: number): StoredDelta[] {
  const deltas: StoredDelta[] = [];
  for (let n = 1; n <= perClient; n++) {
    for (let c = 0; c < clients; c++) {
      const clock: Record<string, number> = {};
      for (let other = 0; other < clients; other++)
        if (other !== c) clock[`${prefix}${other}`] = Math.max(0, n - 1 - other);
      deltas.push(makeDelta(`${prefix}${c}-${n}`, `${prefix}${c}`, n, { clock }));
    }
  }
  return deltas;
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; !(await condition()); attempt++) {
    if (attempt > 500) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pointwiseMax = (deltas: readonly StoredDelta[]) =>
  deltas.reduce<Record<string, number>>((clock, delta) => mergeClocks(clock, delta.vectorClock), {});

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('two app instances on one database', () => {
  it('store every delta exactly once when both send it, with resends, and report one true per id', async () => {
    const deltas = history('single', 3, 12);
    const sends = shuffled(
      deltas.flatMap((delta) => [
        { provider: first, delta },
        { provider: second, delta },
        { provider: first, delta },
        { provider: second, delta },
      ]),
      7,
    );
    const results = await Promise.all(
      sends.map(({ provider, delta }) => provider.documents.addDelta('doc-single', delta)),
    );

    const trues = new Map<string, number>();
    sends.forEach(({ delta }, index) => {
      if (results[index]) trues.set(delta.id, (trues.get(delta.id) ?? 0) + 1);
    });
    expect([...trues.values()]).toEqual(deltas.map(() => 1));
    expect(trues.size).toBe(deltas.length);
    const stored = await first.documents.getDeltasSince('doc-single');
    expect(stored.map((delta) => delta.id).sort()).toEqual(deltas.map((delta) => delta.id).sort());
    expect(await second.documents.getVectorClock('doc-single')).toEqual(pointwiseMax(deltas));
  });

  it('count each new delta once across overlapping batches from both instances', async () => {
    const deltas = history('batch', 4, 10);
    const batches: StoredDelta[][] = [];
    for (let round = 0; round < 3; round++) {
      const order = shuffled(deltas, 11 + round);
      for (let start = 0; start < order.length; start += 6) batches.push(order.slice(start, start + 6));
    }
    const counts = await Promise.all(
      batches.map((batch, index) => (index % 2 === 0 ? first : second).documents.addDeltas('doc-batch', batch)),
    );

    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(deltas.length);
    const stored = await second.documents.getDeltasSince('doc-batch');
    expect(stored).toHaveLength(deltas.length);
    expect(new Set(stored.map((delta) => delta.id)).size).toBe(deltas.length);
    expect(await first.documents.getVectorClock('doc-batch')).toEqual(pointwiseMax(deltas));
  });

  it('a reader paging through the deltas while both instances write never skips one', async () => {
    // One instance writes large batches (a long gap between taking sequence numbers and committing),
    // the other small deltas: numbers handed out before the document lock would commit out of order.
    const bulky = 'x'.repeat(100_000);
    const batches = Array.from({ length: 5 }, (_, b) =>
      Array.from({ length: 6 }, (_, i) => makeDelta(`bulk-${b}-${i}`, 'bulk', b * 6 + i + 1, { data: bulky })),
    );
    const singles = Array.from({ length: 40 }, (_, i) => makeDelta(`single-${i}`, 'single', i + 1));
    let writing = true;
    // Half the singles wait for the reader's first passes, so that its passes always overlap the writes.
    let readerStarted = (): void => undefined;
    const firstPasses = new Promise<void>((resolve) => (readerStarted = resolve));
    const writers = Promise.all([
      (async () => {
        for (const batch of batches) await first.documents.addDeltas('doc-paged', batch);
      })(),
      (async () => {
        for (const [index, delta] of singles.entries()) {
          if (index === singles.length / 2) await firstPasses;
          await second.documents.addDelta('doc-paged', delta);
        }
      })(),
    ]).finally(() => (writing = false));
    const passes: string[][] = [];
    while (writing) {
      passes.push(
        (await collect(first.documents.iterateDeltasSince('doc-paged', null, { batchSize: 4 }))).map((d) => d.id),
      );
      passes.push(
        (await collect(second.documents.iterateDeltasSince('doc-paged', {}, { batchSize: 4 }))).map((d) => d.id),
      );
      readerStarted();
    }
    await writers;

    const inCommitOrder = (await first.documents.getDeltasSince('doc-paged')).map((delta) => delta.id);
    expect(inCommitOrder).toHaveLength(70);
    expect(passes.length).toBeGreaterThan(2);
    for (const pass of passes) {
      // Pages follow the commit order, so a pass reads a prefix of it: nothing before its last delta is missing.
      expect(pass).toEqual(inCommitOrder.slice(0, pass.length));
    }
  });

  it('of two first snapshots saved at once whose clocks do not cover each other, one is rejected as stale', async () => {
    for (let round = 0; round < 8; round++) {
      const doc = `doc-snapshot-${round}`;
      await first.documents.addDeltas(doc, [makeDelta('a2', 'a', 2), makeDelta('b2', 'b', 2)]);
      const outcomes = await Promise.allSettled([
        first.documents.saveSnapshot(doc, new Uint8Array([1]), { a: 2 }),
        second.documents.saveSnapshot(doc, new Uint8Array([2]), { b: 2 }),
      ]);
      const saved = outcomes.findIndex((outcome) => outcome.status === 'fulfilled');
      const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(StaleSnapshotError);
      expect(Array.from((await first.documents.getSnapshot(doc))!.data)).toEqual([saved + 1]);
    }
  });

  it('a resend that arrives while a snapshot and compaction hold the document never brings a compacted delta back', async () => {
    const deltas = Array.from({ length: 5 }, (_, i) => makeDelta(`revive-${i + 1}`, 'a', i + 1));
    await first.documents.addDeltas('doc-revive', deltas);
    // Another instance, mid-way through saving a snapshot { a: 5 } and compacting, with its transaction held
    // open: it has the row lock, the deltas are deleted, nothing is committed.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`select "${schema}".sync_save_snapshot($1, $2, '\\x09', '{"a":5}', false, 10000, 0, false)`, [
        'doc-revive',
        Date.now(),
      ]);
      await other.query(`select "${schema}".sync_compact_deltas($1, '{"a":5}', 0, false)`, ['doc-revive']);
      const resend = first.documents.addDeltas('doc-revive', deltas);
      await waitUntil(async () => (await lockWaiters(database.url)) > 0);
      await other.query('commit');

      expect(await resend).toBe(0);
    } finally {
      await other.end();
    }
    expect(await first.documents.getDeltasSince('doc-revive')).toEqual([]);
  });
});

describe('one app instance', () => {
  it('commits writes to one document issued together in the order they were called', async () => {
    // Without queueing, these would race for the row lock on separate pooled connections.
    const deltas = Array.from({ length: 30 }, (_, i) => makeDelta(`ordered-${i + 1}`, 'a', i + 1));
    await Promise.all(deltas.map((delta) => first.documents.addDelta('doc-ordered', delta)));

    const stored = await second.documents.getDeltasSince('doc-ordered');
    expect(stored.map((delta) => delta.id)).toEqual(deltas.map((delta) => delta.id));
  });
});
