import { DeltaEvents, type PreparedDelta } from '../contract/validation.js';
import type { ProviderCore } from '../provider-core.js';
import { StorageUnavailableError } from '../contract/errors.js';

/** What one `addDeltas` call of a group came to: how many deltas were new, or the error of that call alone. */
export type CallOutcome = { added: number } | { error: Error };

/** Stores a group of independent calls in one transaction; one outcome per call, in order. */
export type StoreGroup = (documentId: string, calls: readonly (readonly PreparedDelta[])[]) => Promise<CallOutcome[]>;

interface Job {
  readonly deltas?: readonly PreparedDelta[];
  readonly task?: () => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
}

interface DocumentLine {
  busy: boolean;
  readonly waiting: Job[];
}

/**
 * Orders the writes of this process to each document, and commits the `addDeltas` calls that queue up behind
 * a running transaction together, in ONE transaction (group commit): a hot document then costs one
 * transaction per round of callers instead of one per call. Each call keeps its own result and its own error,
 * and calls commit in call order. Only one transaction of this process writes a document at a time: a call
 * that waits too long (the pool's acquire timeout) is dropped with `StorageUnavailableError`, never run beside
 * the one ahead of it. The database's row lock orders the writers of other processes.
 */
export class DocumentWriteQueue {
  private readonly lines = new Map<string, DocumentLine>();
  constructor(
    private readonly state: ProviderCore,
    private readonly maxWaitMs: number,
    /** Most deltas one group transaction may carry. */
    private readonly maxGroupDeltas: number,
    private readonly storeGroup: StoreGroup,
  ) {}

  addDeltas(documentId: string, deltas: readonly PreparedDelta[]): Promise<number> {
    return this.enqueue(documentId, { deltas }) as Promise<number>;
  }

  /** Runs a write that is not an `addDeltas` (snapshot, compaction, delete) alone, in call order. */
  run<T>(documentId: string, task: () => Promise<T>): Promise<T> {
    return this.enqueue(documentId, { task }) as Promise<T>;
  }

  /** Rejects every waiting call; the running ones finish or fail with the pool. */
  close(): void {
    for (const line of this.lines.values()) {
      for (const job of line.waiting.splice(0)) {
        clearTimeout(job.timer);
        job.reject(this.state.closedError());
      }
    }
  }

  private enqueue(documentId: string, work: Pick<Job, 'deltas' | 'task'>): Promise<unknown> {
    if (this.state.closed) return Promise.reject(this.state.closedError());
    return new Promise((resolve, reject) => {
      let line = this.lines.get(documentId);
      if (!line) this.lines.set(documentId, (line = { busy: false, waiting: [] }));
      const job: Job = { ...work, resolve, reject };
      line.waiting.push(job);
      if (!line.busy) {
        void this.drain(documentId, line);
        return;
      }
      const waiting = line.waiting;
      job.timer = setTimeout(() => {
        const index = waiting.indexOf(job);
        if (index < 0) return;
        waiting.splice(index, 1);
        reject(
          new StorageUnavailableError(
            `timed out after ${this.maxWaitMs} ms waiting for earlier writes to the document`,
          ),
        );
      }, this.maxWaitMs);
      job.timer.unref();
    });
  }

  private async drain(documentId: string, line: DocumentLine): Promise<void> {
    line.busy = true;
    while (line.waiting.length > 0) {
      const first = line.waiting.shift()!;
      clearTimeout(first.timer);
      if (first.task) await settle(first, first.task);
      else await this.commitGroup(documentId, [first, ...this.takeGroup(line.waiting, first)]);
    }
    line.busy = false;
    this.lines.delete(documentId);
  }

  /** The calls right behind `first` that can share its transaction: independent, and within the size bound. */
  private takeGroup(waiting: Job[], first: Job): Job[] {
    const taken: Job[] = [];
    // Calls that share an id or event cannot share a transaction: whether the later one conflicts depends on
    // whether the earlier one commits.
    const events = new DeltaEvents();
    events.claimApart(first.deltas!);
    let size = first.deltas!.length;
    while (waiting.length > 0) {
      const next = waiting[0]!;
      if (!next.deltas || size + next.deltas.length > this.maxGroupDeltas || !events.claimApart(next.deltas)) break;
      waiting.shift();
      clearTimeout(next.timer);
      size += next.deltas.length;
      taken.push(next);
    }
    return taken;
  }

  private async commitGroup(documentId: string, group: Job[]): Promise<void> {
    this.state.metrics?.writeGroup(group.length);
    let outcomes: CallOutcome[];
    try {
      outcomes = await this.storeGroup(
        documentId,
        group.map((job) => job.deltas!),
      );
    } catch (error) {
      for (const job of group) job.reject(error);
      return;
    }
    group.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if ('error' in outcome) job.reject(outcome.error);
      else job.resolve(outcome.added);
    });
  }
}

async function settle(job: Job, task: () => Promise<unknown>): Promise<void> {
  try {
    job.resolve(await task());
  } catch (error) {
    job.reject(error);
  }
}
