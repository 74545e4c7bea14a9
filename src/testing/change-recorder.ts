import type { StorageChange, StorageChangeFeed } from '../index.js';

/** The changes one subscription received, with a way to wait for the next ones. */
export interface ChangeRecorder {
  readonly changes: StorageChange[];
  /** True once the Observable completed. */
  readonly completed: boolean;
  /** Resolves when `count` changes in all have arrived; rejects after `timeoutMs` listing what did. */
  received(count: number, timeoutMs?: number): Promise<StorageChange[]>;
  /** Resolves once `done(changes)` holds; rejects after `timeoutMs` listing what arrived. */
  until(done: (changes: readonly StorageChange[]) => boolean, timeoutMs?: number): Promise<StorageChange[]>;
  stop(): void;
}

/**
 * Subscribes to `feed.changes(documentId, { afterVersion })` and keeps every change it delivers. A `resync` is kept only with
 * `keepResync`: the postgres feed sends one as soon as its connection listens (see its own tests), and the
 * memory feed never does, so cases shared by both drivers leave it out.
 */
export function recordChanges(
  feed: StorageChangeFeed,
  documentId?: string,
  { keepResync = false, afterVersion }: { keepResync?: boolean; afterVersion?: number } = {},
): ChangeRecorder {
  const changes: StorageChange[] = [];
  const waiters = new Set<() => void>();
  let completed = false;
  const wake = (): void => waiters.forEach((waiter) => waiter());
  const options = afterVersion === undefined ? undefined : { afterVersion };
  const subscription = feed.changes(documentId, options).subscribe({
    next: (change) => {
      if (change.kind === 'resync' && !keepResync) return;
      changes.push(change);
      wake();
    },
    complete: () => {
      completed = true;
      wake();
    },
  });
  return {
    changes,
    get completed() {
      return completed;
    },
    until(done, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!done(changes)) return;
          cleanup();
          resolve(changes.slice());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`the changes expected did not arrive within ${timeoutMs} ms; got ${JSON.stringify(changes)}`),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async received(count, timeoutMs) {
      return (await this.until((all) => all.length >= count, timeoutMs)).slice(0, count);
    },
    stop: () => subscription.unsubscribe(),
  };
}
