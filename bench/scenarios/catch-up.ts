import type { DocumentStore, StoredDelta, VectorClock } from '../../src/index.js';
import { interleavedLatency, pairedThroughput, type TimedCall } from '../harness/measure.js';
import { chunk, clientIds, DeltaSequence, type DeltaWrite } from '../workload.js';
import { count, documentsOf, expectEqual, type ScenarioContext } from './scenario-context.js';

interface History {
  documentId: string;
  length: number;
  stored: StoredDelta[];
  /** The whole document clock, after the new deltas too. */
  clock: VectorClock;
}

/**
 * Catch-up of a few new deltas on longer and longer histories (ours, its floor, and the naive
 * load-everything-and-filter), an up-to-date client, and resends of stored ids.
 */
export async function runCatchUpScenarios(context: ScenarioContext): Promise<void> {
  const { sizes } = context;
  let longest: History | null = null;
  for (const length of sizes.catchUpHistories) longest = await catchUpOnHistory(context, length);
  await upToDateCatchUp(context, longest!);
  const small = await loadHistory(context, 'resend/small', new DeltaSequence(clientIds(sizes.clients)).take(100));
  await resends(context, small, 'addDelta.resend.small', 'a 100-delta document');
  await resends(context, longest!, 'addDelta.resend.long', `a ${count(longest!.length)}-delta document`);
}

async function catchUpOnHistory(context: ScenarioContext, length: number): Promise<History> {
  const { sizes, floor, pkg } = context;
  const documents = documentsOf(context);
  const sequence = new DeltaSequence(clientIds(sizes.clients));
  const old = sequence.take(length);
  const since = sequence.clockSoFar();
  const fresh = sequence.take(sizes.catchUpNew);
  const history = await loadHistory(context, `catch-up/${length}`, [...old, ...fresh]);
  const { documentId } = history;
  const answer = { snapshot: null, deltasJson: fresh.map((delta) => JSON.stringify(delta)) };

  const calls: TimedCall[] = [
    {
      name: 'floor',
      call: async () =>
        expectEqual(await floor.getDeltasSince(documentId, since, answer), fresh.length, 'floor catch-up'),
      samples: context.latencySamples,
    },
  ];
  if (documents)
    calls.push({
      name: 'ours',
      call: async () =>
        expectEqual((await documents.getDeltasSince(documentId, since)).length, fresh.length, 'catch-up'),
      samples: context.latencySamples,
    });
  const latency = await interleavedLatency(calls, 5);
  const detail = `${sizes.catchUpNew} new on a ${count(length)}-delta history`;
  const plans = await catchUpPlans(context, documentId, since);
  context.record({
    id: `catchUp.${length}`,
    scenario: 'catch-up, getDeltasSince',
    detail,
    ours: latency.get('ours') ?? null,
    floor: latency.get('floor')!,
    floorLabel: floor.label('catchUp'),
    note: plans,
    extra: { history: length },
  });

  if (documents) {
    // What a simple store does: read the whole log, keep what the clock has not seen.
    const naive = await interleavedLatency(
      [
        {
          name: 'naive',
          call: async () => {
            const unseen = (await documents.getDeltasSince(documentId, null)).filter(
              (delta) => !pkg.clockCoversDelta(since, delta),
            );
            expectEqual(unseen.length, fresh.length, 'naive catch-up');
          },
          samples: sizes.naiveSamples,
        },
      ],
      1,
    );
    context.record({
      id: `catchUp.naive.${length}`,
      scenario: 'naive catch-up (whole history, filtered in JS)',
      detail,
      ours: naive.get('naive')!,
      extra: { history: length },
    });
  }
  return history;
}

async function upToDateCatchUp(context: ScenarioContext, history: History): Promise<void> {
  const { floor } = context;
  const documents = documentsOf(context);
  const { documentId, clock } = history;
  const calls: TimedCall[] = [];
  if (documents)
    calls.push({
      name: 'ours',
      call: async () =>
        expectEqual((await documents.getDeltasSince(documentId, clock)).length, 0, 'up-to-date catch-up'),
      samples: context.latencySamples,
    });
  const floorLabel = floor.label('upToDate');
  if (floorLabel)
    calls.push({
      name: 'floor',
      call: async () =>
        expectEqual(await floor.getDeltasSince(documentId, clock, { snapshot: null, deltasJson: [] }), 0, 'floor'),
      samples: context.latencySamples,
    });
  if (calls.length === 0) return;
  const latency = await interleavedLatency(calls, 5);
  context.record({
    id: 'catchUp.upToDate',
    scenario: 'catch-up of an up-to-date client',
    detail: `a ${count(history.length)}-delta history`,
    ours: latency.get('ours') ?? null,
    floor: latency.get('floor') ?? null,
    floorLabel,
  });
}

/** addDelta of ids the document already holds: each must be detected and answered false. */
async function resends(context: ScenarioContext, history: History, id: string, where: string): Promise<void> {
  const { sizes, floor } = context;
  const documents = documentsOf(context);
  const writes: DeltaWrite[] = Array.from({ length: sizes.resends }, (_, i) => ({
    documentId: history.documentId,
    delta: history.stored[i % history.stored.length]!,
  }));
  const measured = await pairedThroughput(
    context.rounds,
    async () => ({
      ops: writes.length,
      ours: documents
        ? async () => {
            for (const { documentId, delta } of writes)
              expectEqual(await documents.addDelta(documentId, delta), false, 'addDelta of a stored id');
          }
        : null,
      floor: async () => {
        await floor.addDeltaEach(writes);
      },
    }),
    context.warmupRounds,
  );
  context.record({
    id,
    scenario: 'addDelta of an already stored id (resend)',
    detail: where,
    ours: measured.ours,
    floor: measured.floor,
    floorLabel: floor.label('addDelta'),
    extra: { history: history.length },
  });
}

/** postgres: how each database plans the catch-up query (the floor's copy of the driver's SQL). */
async function catchUpPlans(context: ScenarioContext, documentId: string, since: VectorClock): Promise<string | null> {
  const { databases } = context;
  if (!databases) return null;
  // The driver's own plans are proven by test/postgres/catch-up-plan.spec.ts on its version 2 layout.
  return `plan: ${await databases.floor.catchUpPlan(documentId, since)} (floor's)`;
}

/** Set-up: the store gets the deltas through addDeltas batches (the fast way), the floor through its own bulk path. */
export async function loadHistory(
  context: ScenarioContext,
  documentId: string,
  deltas: StoredDelta[],
): Promise<History> {
  const documents = documentsOf(context);
  const started = performance.now();
  if (deltas.length >= 10_000) context.progress(`loading a ${count(deltas.length)}-delta history into ${documentId}`);
  if (documents) await loadInBatches(documents, documentId, deltas, context.sizes.loadBatch);
  await context.floor.load(documentId, deltas);
  await context.databases?.driver?.analyze();
  await context.databases?.floor.analyze();
  if (deltas.length >= 10_000) context.progress(`  loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const clock: Record<string, number> = {};
  for (const delta of deltas)
    clock[delta.clientId] = Math.max(clock[delta.clientId] ?? 0, delta.vectorClock[delta.clientId]!);
  return { documentId, length: deltas.length, stored: deltas, clock };
}

async function loadInBatches(
  documents: DocumentStore,
  documentId: string,
  deltas: readonly StoredDelta[],
  batch: number,
): Promise<void> {
  let added = 0;
  for (const part of chunk(deltas, batch)) added += await documents.addDeltas(documentId, part);
  expectEqual(added, deltas.length, `deltas stored in ${documentId}`);
}
