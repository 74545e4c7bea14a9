import { randomBytes } from 'node:crypto';
import type { VectorClock } from '../../src/index.js';
import { interleavedLatency, pairedThroughput, type TimedCall } from '../harness/measure.js';
import { clientIds, DeltaSequence } from '../workload.js';
import { loadHistory } from './catch-up.js';
import { count, documentsOf, expectEqual, type ScenarioContext } from './scenario-context.js';

const SNAPSHOT_BYTES = 64 * 1024;

/** Compacting a long history under a snapshot, then a new client's getChangesSince on what is left. */
export async function runCompactionScenarios(context: ScenarioContext): Promise<void> {
  const { sizes, floor } = context;
  const documents = documentsOf(context);
  const floorCompacts = floor.label('compact') !== null;
  const snapshot = randomBytes(SNAPSHOT_BYTES);
  let last: { documentId: string; afterJson: string[] } | null = null;

  // Every round loads a fresh history, so postgres gets one measured round (after the warm-up one).
  const rounds = context.driver === 'memory' ? 3 : 1;
  const compaction = await pairedThroughput(rounds, async (round) => {
    const sequence = new DeltaSequence(clientIds(sizes.clients));
    const covered = sequence.take(sizes.compactedDeltas);
    const snapshotClock: VectorClock = sequence.clockSoFar();
    const after = sequence.take(sizes.deltasAfterSnapshot);
    const documentId = `compaction/${round}`;
    await loadHistory(context, documentId, [...covered, ...after]);
    await documents?.saveSnapshot(documentId, snapshot, snapshotClock);
    if (floorCompacts) await floor.saveSnapshot(documentId, snapshot, snapshotClock);
    last = { documentId, afterJson: after.map((delta) => JSON.stringify(delta)) };
    return {
      ops: covered.length,
      ours: documents
        ? async () =>
            expectEqual(await documents.compactDeltas(documentId, snapshotClock), covered.length, 'compactDeltas')
        : null,
      floor: floorCompacts
        ? async () => expectEqual(await floor.compactDeltas(documentId, snapshotClock), covered.length, 'floor DELETE')
        : null,
    };
  });
  context.record({
    id: 'compactDeltas',
    scenario: 'compactDeltas',
    detail: `${count(sizes.compactedDeltas)} deltas under a snapshot (rate per deleted delta)`,
    ours: compaction.ours,
    floor: compaction.floor,
    floorLabel: floor.label('compact'),
  });

  const { documentId, afterJson } = last!;
  const answer = { snapshot, deltasJson: afterJson };
  const calls: TimedCall[] = [
    {
      name: 'floor',
      call: async () =>
        expectEqual(await floor.getChangesSince(documentId, {}, answer), afterJson.length, 'floor changes'),
      samples: context.latencySamples,
    },
  ];
  if (documents)
    calls.push({
      name: 'ours',
      call: async () => {
        const changes = await documents.getChangesSince(documentId, {});
        expectEqual(changes.snapshot?.data.byteLength, SNAPSHOT_BYTES, 'snapshot bytes in getChangesSince');
        expectEqual(changes.deltas.length, afterJson.length, 'deltas after the snapshot');
      },
      samples: context.latencySamples,
    });
  const latency = await interleavedLatency(calls, 3);
  context.record({
    id: 'getChangesSince.afterCompaction',
    scenario: 'getChangesSince after compaction, new client',
    detail: `64 KiB snapshot + ${afterJson.length} deltas`,
    ours: latency.get('ours') ?? null,
    floor: latency.get('floor')!,
    floorLabel: floor.label('changesSince'),
  });
}
