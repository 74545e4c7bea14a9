import type { StorageModuleOptions } from '../../src/index.js';
import type { BenchSizes } from '../bench-options.js';
import type { NewRow } from '../harness/results.js';
import { startStorageApp } from '../setup/storage-app.js';
import type { StoragePackage } from '../setup/storage-package.js';
import { clientIds, DeltaSequence } from '../workload.js';
import { count } from './scenario-context.js';

/**
 * Heap the memory driver keeps per stored delta, against the JSON bytes of the deltas it holds:
 * heapUsed after a full GC, before and after storing N deltas in a provider of their own.
 */
export async function measureMemoryHeap(pkg: StoragePackage, sizes: BenchSizes): Promise<NewRow> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const detail = `${count(sizes.heapDeltas)} deltas of ~200 bytes of data`;
  const row = { id: 'heap.perDelta', driver: 'memory' as const, scenario: 'heap per stored delta', detail };
  if (!gc) return { ...row, ours: null, note: 'needs node --expose-gc (npm run bench passes it)' };

  const options: StorageModuleOptions = { driver: 'memory' };
  const app = await startStorageApp(pkg, options);
  try {
    const documents = app.provider.documents;
    const sequence = new DeltaSequence(clientIds(20));
    const settledHeap = (): number => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    let jsonBytes = 0;
    let dataBytes = 0;
    const before = settledHeap();
    for (let i = 0; i < sizes.heapDeltas; i++) {
      // Each delta is built here and dropped after the call: only what the driver keeps stays reachable.
      const delta = sequence.next();
      jsonBytes += Buffer.byteLength(JSON.stringify(delta));
      dataBytes += Buffer.byteLength(JSON.stringify(delta.data));
      await documents.addDelta('heap', delta);
    }
    const retained = settledHeap() - before;
    return {
      ...row,
      ours: { kind: 'heap', bytesPerItem: retained / sizes.heapDeltas, items: sizes.heapDeltas },
      floor: { kind: 'heap', bytesPerItem: jsonBytes / sizes.heapDeltas, items: sizes.heapDeltas },
      floorLabel: `JSON of the delta held; its data alone: ${Math.round(dataBytes / sizes.heapDeltas)} B`,
      extra: { jsonBytesPerDelta: jsonBytes / sizes.heapDeltas, dataBytesPerDelta: dataBytes / sizes.heapDeltas },
    };
  } finally {
    await app.close();
  }
}
