const settle = (): void => {};

/**
 * Runs the tasks given for one document one after another, in call order; different documents run
 * side by side. Writes to a document serialise on its row lock anyway: queueing them here keeps the
 * order a caller issued them in (so one client's deltas commit in counter order) and holds one pooled
 * connection per busy document instead of one per waiting write.
 */
export class PerDocumentQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(documentId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(documentId);
    const result = previous ? previous.then(task) : task();
    const tail = result.then(settle, settle);
    this.tails.set(documentId, tail);
    void tail.then(() => {
      if (this.tails.get(documentId) === tail) this.tails.delete(documentId);
    });
    return result;
  }
}
