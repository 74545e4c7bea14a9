import { randomBytes } from 'node:crypto';
import { count, expectEqual, loadHistory, vsFloor, type Scenario } from './context.js';

const SNAPSHOT_BYTES = 64 * 1024;
const DELTAS_AFTER_SNAPSHOT = 100;

/** Compacting a long history under a snapshot, then a new client's getChangesSince on what is left. */
export const scenario: Scenario = {
  name: 'compaction',
  async run(context) {
    const { sizes, documents, floor } = context;
    const snapshot = randomBytes(SNAPSHOT_BYTES);
    const compact = floor.compactDeltas?.bind(floor);
    const covered = sizes.compactedDeltas;
    let last = { documentId: '', json: [] as string[] };
    // Each round loads a long history first: one measured round, after the warm-ups, is enough.
    const rates = await context.rates(async (round) => {
      const documentId = `compaction/${round}`;
      const shape = { documentId, authors: sizes.clients, old: covered, fresh: DELTAS_AFTER_SNAPSHOT };
      const { since: clock, json } = await loadHistory(context, shape);
      await documents.saveSnapshot(documentId, snapshot, clock);
      await floor.saveSnapshot(documentId, snapshot, clock);
      last = { documentId, json };
      const ours = async () => expectEqual(await documents.compactDeltas(documentId, clock), covered, 'compactDeltas');
      const floorSide = compact && (async () => expectEqual(await compact(documentId, clock), covered, 'floor'));
      return { ops: covered, sides: { ours, floor: floorSide ?? null } };
    }, 1);
    const compacted = `${count(covered)} deltas under a snapshot (rate per deleted delta)`;
    vsFloor(context, { id: 'compactDeltas', scenario: 'compactDeltas', detail: compacted, floor: 'compact' }, rates);

    const { documentId, json } = last;
    const latency = await context.latency({
      ours: async () => {
        const changes = await documents.getChangesSince(documentId, {});
        expectEqual(changes.snapshot?.data.byteLength, SNAPSHOT_BYTES, 'snapshot bytes');
        expectEqual(changes.deltas.length, json.length, 'deltas after the snapshot');
      },
      floor: async () => expectEqual(await floor.newClientChanges(documentId, snapshot, json), json.length, 'floor'),
    });
    const scenario = 'getChangesSince of a new client, after compaction';
    const detail = `64 KiB snapshot + ${json.length} deltas`;
    vsFloor(context, { id: 'getChangesSince.newClient', scenario, detail, floor: 'newClientChanges' }, latency);
  },
};
