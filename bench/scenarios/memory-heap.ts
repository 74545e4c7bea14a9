import { startStorageApp } from '../setup.js';
import { clientIds, DeltaSequence } from '../workload.js';
import { count, type Scenario } from './context.js';

/**
 * Heap the memory driver keeps per stored delta, against the JSON bytes of the deltas it holds: heapUsed
 * after full GCs, before and after storing N deltas in a provider of its own. It runs first, on a quiet heap.
 */
export const scenario: Scenario = {
  name: 'memory heap',
  drivers: ['memory'],
  async run(context) {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('the heap scenario needs node --expose-gc (npm run bench passes it)');
    const items = context.sizes.heapDeltas;
    const app = await startStorageApp(context.pkg, { driver: 'memory' });
    try {
      const sequence = new DeltaSequence(clientIds(context.sizes.clients));
      const settledHeap = (): number => {
        gc();
        gc();
        return process.memoryUsage().heapUsed;
      };
      let jsonBytes = 0;
      const before = settledHeap();
      for (let i = 0; i < items; i++) {
        // Each delta is built here and dropped after the call: only what the driver keeps stays reachable.
        const delta = sequence.next();
        jsonBytes += Buffer.byteLength(JSON.stringify(delta));
        await app.provider.documents.addDelta('heap', delta);
      }
      context.record({
        id: 'heap.perDelta',
        scenario: 'heap per stored delta',
        detail: `${count(items)} deltas of ~200 bytes of data`,
        ours: { kind: 'heap', bytesPerItem: (settledHeap() - before) / items, items },
        floor: { kind: 'heap', bytesPerItem: jsonBytes / items, items },
        floorLabel: 'JSON of the delta held',
      });
    } finally {
      await app.close();
    }
  },
};
