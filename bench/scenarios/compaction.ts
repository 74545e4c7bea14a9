import { randomBytes } from 'node:crypto';
import { clientIds, DeltaSequence } from '../workload.js';
import { count, expectEqual, loadDocument, vsFloor, type Scenario } from './context.js';

const SNAPSHOT_BYTES = 64 * 1024;
const DELTAS_AFTER_SNAPSHOT = 100;

/** Compacting a long history under a snapshot, then a new client's getChangesSince on what is left. */
export const scenario: Scenario = {
  name: 'compaction',
  async run(context) {
    const { sizes, documents, floor } = context;
    const snapshot = randomBytes(SNAPSHOT_BYTES);
    const compact = floor.compactDeltas?.bind(floor);
    let last = { documentId: '', json: [] as string[] };
    // Each round loads a long history first: one measured round, after the warm-ups, is enough.
    const rates = await context.rates(async (round) => {
      const sequence = new DeltaSequence(clientIds(sizes.clients));
      const covered = sequence.take(sizes.compactedDeltas);
      const clock = sequence.clockSoFar();
      const after = sequence.take(DELTAS_AFTER_SNAPSHOT);
      const documentId = `compaction/${round}`;
      await loadDocument(context, documentId, [...covered, ...after]);
      await documents.saveSnapshot(documentId, snapshot, clock);
      await floor.saveSnapshot(documentId, snapshot, clock);
      last = { documentId, json: after.map((delta) => JSON.stringify(delta)) };
      const ours = async () =>
        expectEqual(await documents.compactDeltas(documentId, clock), covered.length, 'compactDeltas');
      const floorSide = compact && (async () => expectEqual(await compact(documentId, clock), covered.length, 'floor'));
      return { ops: covered.length, sides: { ours, floor: floorSide ?? null } };
    }, 1);
    const detail = `${count(sizes.compactedDeltas)} deltas under a snapshot (rate per deleted delta)`;
    vsFloor(context, { id: 'compactDeltas', scenario: 'compactDeltas', detail, floor: 'compact' }, rates);

    const { documentId, json } = last;
    const latency = await context.latency({
      ours: async () => {
        const changes = await documents.getChangesSince(documentId, {});
        expectEqual(changes.snapshot?.data.byteLength, SNAPSHOT_BYTES, 'snapshot bytes');
        expectEqual(changes.deltas.length, json.length, 'deltas after the snapshot');
      },
      floor: async () => expectEqual(await floor.newClientChanges(documentId, snapshot, json), json.length, 'floor'),
    });
    const head = { id: 'getChangesSince.newClient', scenario: 'getChangesSince of a new client, after compaction' };
    vsFloor(
      context,
      { ...head, detail: `64 KiB snapshot + ${json.length} deltas`, floor: 'newClientChanges' },
      latency,
    );
  },
};
