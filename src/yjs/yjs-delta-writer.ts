import type { StoredDelta } from '../storage/contract/types.js';
import { errorName, ownCounter, type CrdtDocumentStore } from '../integrations/crdt-document-store.js';
import { retryDelay, sleep, type RetryDelays } from './waiting.js';
import { assertWriterId, yjsUpdateToDelta } from './yjs-updates.js';

/** Why the writer reports an error, and whether it gave up for good. */
export interface YjsDeltaWriterErrorContext {
  /** Retries so far of the batch that failed. */
  attempt?: number;
  /** The writer stopped: nothing more of this document is stored by it. */
  fatal?: boolean;
  /** The delta the store refused. */
  deltaId?: string;
}

/** Options of a `YjsDeltaWriter`. */
export interface YjsDeltaWriterOptions {
  /**
   * The id the deltas are stored under (`newWriterId()`). One live writer per id and document: two would
   * name different updates `writer:n` alike, and the store would keep one and drop the other as a resend.
   */
  writerId: string;
  /** The last counter this writer already used in the document (0 for a writer new to it). */
  counter?: number;
  /** Deltas per `addDeltas` call. Default 256. */
  maxBatch?: number;
  /** Backoff between retries. Default 50 ms doubling up to 2 s. */
  retryDelayMs?: RetryDelays;
  /**
   * The store refused ONE delta as invalid (larger than `maxDeltaBytes`): store a snapshot that holds
   * it and resolve, and the writer goes on. Without it, or when it rejects with a validation error,
   * the writer stops.
   */
  replaceBySnapshot?(delta: StoredDelta, error: unknown): Promise<void>;
  /** A batch is committed (empty when a snapshot replaced a delta). */
  onStored?(batch: readonly StoredDelta[]): void;
  /** A batch failed (it is retried with the same ids) or the writer stopped (`context` says which). */
  onError?(error: unknown, context: YjsDeltaWriterErrorContext): void;
}

/**
 * The ordered queue of one writer in one document. A failed batch is sent again with the SAME ids
 * before anything after it, so the store always holds counters 1..m of the writer and nothing
 * beyond: the state-vector rule readers rely on. A batch whose commit succeeded but whose reply was
 * lost is therefore stored once.
 */
export class YjsDeltaWriter {
  private queue: StoredDelta[] = [];
  private running: Promise<void> | null = null;
  private waiters: (() => void)[] = [];
  /** Callers of `stored(counter)`, woken once that counter is committed (true) or the writer stopped (false). */
  private storedWaiters: { counter: number; wake(stored: boolean): void }[] = [];
  /** The counter of the last delta committed (or replaced by a snapshot). */
  private committedCounter: number;
  private halted = false;
  /** After a validation error in a batch: one delta per call until the refused one is found. */
  private isolating = false;
  private lastCounter: number;
  private readonly maxBatch: number;
  private readonly retryDelayMs: RetryDelays;

  constructor(
    private readonly store: Pick<CrdtDocumentStore, 'addDeltas'>,
    /** The document this writer stores deltas in. */
    readonly documentId: string,
    private readonly options: YjsDeltaWriterOptions,
  ) {
    assertWriterId(options.writerId, 'options.writerId');
    this.lastCounter = options.counter ?? 0;
    this.committedCounter = this.lastCounter;
    this.maxBatch = options.maxBatch ?? 256;
    this.retryDelayMs = options.retryDelayMs ?? { min: 50, max: 2000 };
  }

  /** The counter of the last appended update. */
  get counter(): number {
    return this.lastCounter;
  }

  /** Nothing queued or in flight. */
  get idle(): boolean {
    return this.queue.length === 0 && this.running === null;
  }

  /** The writer gave up (`stop()`, a fatal error): it stores nothing more. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Queues `update` under the next counter and returns its delta; storing starts on the next microtask. */
  append(update: Uint8Array): StoredDelta {
    if (this.halted) throw new Error(`the writer of document ${JSON.stringify(this.documentId)} is stopped`);
    const delta = yjsUpdateToDelta(this.options.writerId, ++this.lastCounter, update);
    this.queue.push(delta);
    this.running ??= this.run();
    return delta;
  }

  /** The deltas appended but not committed yet, oldest first. */
  pending(): readonly StoredDelta[] {
    return this.queue.slice();
  }

  /** Resolves once everything appended so far is committed, or the writer stopped. */
  drain(): Promise<void> {
    if (this.idle || this.halted) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Resolves true once the delta of `counter` (and every one before it) is committed, false if the writer
   * stops first. What a client is told is stored waits for this.
   */
  stored(counter: number = this.lastCounter): Promise<boolean> {
    if (counter <= this.committedCounter) return Promise.resolve(true);
    if (this.halted) return Promise.resolve(false);
    return new Promise((wake) => this.storedWaiters.push({ counter, wake }));
  }

  /** Gives up what is not committed; used at shutdown once the flush bound has passed. */
  stop(): void {
    this.halted = true;
    this.queue = [];
    this.wakeWaiters();
    for (const waiter of this.storedWaiters.splice(0)) waiter.wake(false);
  }

  private async run(): Promise<void> {
    // Lets the rest of the current Yjs transaction's listeners append to the same batch.
    await Promise.resolve();
    let attempt = 0;
    while (this.queue.length > 0 && !this.halted) {
      const batch = this.queue.slice(0, this.isolating ? 1 : this.maxBatch);
      try {
        await this.store.addDeltas(this.documentId, batch);
        if (!this.halted) this.committed(batch);
        attempt = 0;
      } catch (error) {
        if (this.halted) break;
        if (errorName(error) === 'StorageValidationError' && batch.length > 1) {
          this.isolating = true;
          continue;
        }
        const failure = errorName(error) === 'StorageValidationError' ? await this.replace(batch[0]!, error) : error;
        if (failure === undefined) continue;
        if (this.isFatal(failure)) {
          this.options.onError?.(failure, { fatal: true, deltaId: batch[0]!.id });
          this.stop();
          break;
        }
        attempt++;
        this.options.onError?.(failure, { attempt });
        await sleep(retryDelay(attempt, this.retryDelayMs));
      }
    }
    this.running = null;
    if (this.queue.length === 0) this.wakeWaiters();
  }

  /** Has the refused delta replaced by a snapshot; answers the error that kept it from happening, if any. */
  private async replace(delta: StoredDelta, refusal: unknown): Promise<unknown> {
    if (!this.options.replaceBySnapshot) return refusal;
    try {
      await this.options.replaceBySnapshot(delta, refusal);
    } catch (error) {
      return error;
    }
    if (this.halted) return undefined;
    this.isolating = false;
    this.committed([delta], false);
    return undefined;
  }

  /** Another process writes under this id (a conflict), or the data can never be stored (invalid). */
  private isFatal(error: unknown): boolean {
    const name = errorName(error);
    return name === 'DeltaConflictError' || name === 'StorageValidationError';
  }

  private committed(batch: readonly StoredDelta[], asDeltas = true): void {
    this.queue.splice(0, batch.length);
    this.committedCounter = Math.max(this.committedCounter, ownCounter(batch.at(-1)!));
    this.options.onStored?.(asDeltas ? batch : []);
    const due = this.storedWaiters.filter((waiter) => waiter.counter <= this.committedCounter);
    this.storedWaiters = this.storedWaiters.filter((waiter) => waiter.counter > this.committedCounter);
    for (const waiter of due) waiter.wake(true);
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
