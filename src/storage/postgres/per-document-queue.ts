import { StorageUnavailableError } from '../contract/errors.js';

const settle = (): void => {};

/**
 * Runs the tasks given for one document one after another, in call order; different documents run
 * side by side. Writes to a document serialise on its row lock anyway: queueing them here keeps the
 * order a caller issued them in (so one client's deltas commit in counter order) and holds one pooled
 * connection per busy document instead of one per waiting write.
 *
 * A task waits for its turn at most `maxWaitMs` (the pool's acquire timeout): behind a hung server
 * the queue must not turn N timeouts into one N times as long.
 */
export class PerDocumentQueue {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly maxWaitMs: number) {}

  run<T>(documentId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(documentId);
    const result = previous ? this.after(previous, task) : task();
    const tail = result.then(settle, settle);
    this.tails.set(documentId, tail);
    void tail.then(() => {
      if (this.tails.get(documentId) === tail) this.tails.delete(documentId);
    });
    return result;
  }

  private after<T>(previous: Promise<void>, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(
          new StorageUnavailableError(
            `timed out after ${this.maxWaitMs} ms waiting for earlier writes to the document`,
          ),
        );
      }, this.maxWaitMs);
      timer.unref();
      void previous.then(() => {
        clearTimeout(timer);
        if (!timedOut) task().then(resolve, reject);
      });
    });
  }
}
