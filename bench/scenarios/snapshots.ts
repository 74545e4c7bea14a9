import { randomBytes } from 'node:crypto';
import { interleavedLatency, type TimedCall } from '../harness/measure.js';
import { documentsOf, expectEqual, type ScenarioContext } from './scenario-context.js';

/** saveSnapshot and getSnapshot of large snapshots (random bytes: nothing compresses them). */
export async function runSnapshotScenarios(context: ScenarioContext): Promise<void> {
  const { sizes, floor } = context;
  const documents = documentsOf(context);
  // Memory calls are copies of a few MiB: more samples cost little and steady the percentiles.
  const samples = context.driver === 'memory' ? sizes.snapshotSamples * 5 : sizes.snapshotSamples;
  for (const size of sizes.snapshotSizes) {
    const documentId = `snapshot/${size}`;
    const data = randomBytes(size);
    const clock = { 'client-00': 1 };
    const label = size >= 1024 * 1024 ? `${size / (1024 * 1024)} MiB` : `${size / 1024} KiB`;

    const saves: TimedCall[] = [{ name: 'floor', call: () => floor.saveSnapshot(documentId, data, clock), samples }];
    if (documents) saves.push({ name: 'ours', call: () => documents.saveSnapshot(documentId, data, clock), samples });
    const saved = await interleavedLatency(saves, 1);
    context.record({
      id: `saveSnapshot.${size}`,
      scenario: 'saveSnapshot',
      detail: label,
      ours: saved.get('ours') ?? null,
      floor: saved.get('floor')!,
      floorLabel: floor.label('saveSnapshot'),
    });

    const loads: TimedCall[] = [
      {
        name: 'floor',
        call: async () => expectEqual(await floor.getSnapshot(documentId), size, 'floor snapshot bytes'),
        samples,
      },
    ];
    if (documents)
      loads.push({
        name: 'ours',
        call: async () =>
          expectEqual((await documents.getSnapshot(documentId))?.data.byteLength, size, 'snapshot bytes'),
        samples,
      });
    const loaded = await interleavedLatency(loads, 1);
    context.record({
      id: `getSnapshot.${size}`,
      scenario: 'getSnapshot',
      detail: label,
      ours: loaded.get('ours') ?? null,
      floor: loaded.get('floor')!,
      floorLabel: floor.label('loadSnapshot'),
    });
  }
}
