import { randomBytes } from 'node:crypto';
import type { Floor } from '../floors/floor.js';
import { expectEqual, vsFloor, type Scenario } from './context.js';

/** saveSnapshot and getSnapshot of large snapshots (random bytes: nothing compresses them). */
export const scenario: Scenario = {
  name: 'snapshots',
  async run(context) {
    const { sizes, documents, floor } = context;
    // Memory calls are copies of a few MiB: more samples cost little and steady the percentiles.
    const samples = context.driver === 'memory' ? sizes.snapshotSamples * 5 : sizes.snapshotSamples;
    for (const size of sizes.snapshotSizes) {
      const documentId = `snapshot/${size}`;
      const data = randomBytes(size);
      const clock = { 'client-00': 1 };
      const detail = size >= 1024 * 1024 ? `${size / (1024 * 1024)} MiB` : `${size / 1024} KiB`;
      const save = (store: Pick<Floor, 'saveSnapshot'>) => () => store.saveSnapshot(documentId, data, clock);
      const saves = await context.latency({ ours: save(documents), floor: save(floor) }, samples);
      vsFloor(context, { id: `saveSnapshot.${size}`, scenario: 'saveSnapshot', detail, floor: 'saveSnapshot' }, saves);
      const loads = await context.latency(
        {
          ours: async () => expectEqual((await documents.getSnapshot(documentId))?.data.byteLength, size, 'snapshot'),
          floor: async () => expectEqual(await floor.getSnapshot(documentId), size, 'floor snapshot'),
        },
        samples,
      );
      vsFloor(context, { id: `getSnapshot.${size}`, scenario: 'getSnapshot', detail, floor: 'getSnapshot' }, loads);
    }
  },
};
