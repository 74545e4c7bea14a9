import type { JsonValue, VectorClock } from '../../src/index.js';
import type { DeltaBatch, DeltaWrite } from '../workload.js';
import type { CatchUpAnswer, Floor, FloorOperation } from './floor.js';

const LABELS: Record<FloorOperation, string | null> = {
  addDelta: 'JSON.stringify of each delta',
  addDeltas: 'JSON.stringify of each delta',
  catchUp: 'JSON.parse of the deltas returned',
  upToDate: null,
  changesSince: 'copy of the snapshot + JSON.parse of the deltas',
  compact: null,
  saveSnapshot: 'copy of the bytes',
  loadSnapshot: 'copy of the bytes',
  setAwareness: 'JSON.stringify of the state',
  getAllAwareness: 'JSON.parse of the states',
  pageIds: null,
};

/**
 * The memory driver's floor: the JSON work it cannot skip. It must serialise what it is given (to
 * validate it and keep it safe from later mutation) and hand out fresh copies of what it returns.
 */
export class MemoryFloor implements Floor {
  private readonly snapshots = new Map<string, Uint8Array>();
  /** Keeps the results alive so the engine cannot drop the work. */
  private sink = 0;

  label(operation: FloorOperation): string | null {
    return LABELS[operation];
  }

  async load(): Promise<void> {}

  async createDocuments(): Promise<void> {}

  async addDeltaEach(writes: readonly DeltaWrite[]): Promise<number> {
    for (const { delta } of writes) this.sink += JSON.stringify(delta).length;
    return writes.length;
  }

  async addDeltaConcurrently(writes: readonly DeltaWrite[]): Promise<number> {
    // One thread: concurrent callers cannot do less than this.
    return this.addDeltaEach(writes);
  }

  async addDeltasInBatches(batches: readonly DeltaBatch[]): Promise<number> {
    let count = 0;
    for (const { deltas } of batches) {
      for (const delta of deltas) this.sink += JSON.stringify(delta).length;
      count += deltas.length;
    }
    return count;
  }

  async getDeltasSince(_documentId: string, _since: VectorClock, answer: CatchUpAnswer): Promise<number> {
    return this.parseAll(answer.deltasJson);
  }

  async getChangesSince(_documentId: string, _since: VectorClock, answer: CatchUpAnswer): Promise<number> {
    if (answer.snapshot) this.sink += new Uint8Array(answer.snapshot).byteLength;
    return this.parseAll(answer.deltasJson);
  }

  async compactDeltas(): Promise<number> {
    throw new Error('the memory driver has no compaction floor');
  }

  async saveSnapshot(documentId: string, data: Uint8Array): Promise<void> {
    this.snapshots.set(documentId, new Uint8Array(data));
  }

  async getSnapshot(documentId: string): Promise<number> {
    return new Uint8Array(this.snapshots.get(documentId)!).byteLength;
  }

  async setAwareness(_documentId: string, _clientId: string, state: JsonValue): Promise<boolean> {
    this.sink += JSON.stringify(state).length;
    return true;
  }

  async getAllAwareness(_documentId: string, statesJson: readonly string[]): Promise<number> {
    return this.parseAll(statesJson);
  }

  async pageDocumentIds(): Promise<number> {
    throw new Error('the memory driver has no paging floor');
  }

  async close(): Promise<void> {
    this.snapshots.clear();
  }

  private parseAll(json: readonly string[]): number {
    for (const text of json) this.sink += (JSON.parse(text) as object) === null ? 0 : 1;
    return json.length;
  }
}
