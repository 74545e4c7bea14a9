import { Observable } from 'rxjs';
import type { DocumentStore, StorageChange, StorageProvider, StorageRelay } from '../../../src/index.js';
import { resolveStorageOptions } from '../../../src/storage/contract/options.js';
import { MemoryStorageProvider } from '../../../src/storage/memory/memory-storage.provider.js';
import type { YjsStorage } from '../../../src/yjs/index.js';
import type { TargetOptions } from '../../support/storage-targets.js';

/** The storage several servers of one test share: one memory provider, or one PostgreSQL schema. */
export interface SharedStorage {
  readonly driver: 'memory' | 'postgres';
  /** The test's own view, for reads and checks. */
  readonly documents: DocumentStore;
  /** Storage for one more server: the memory provider itself, or a provider of its own on the same schema. */
  forServer(): Promise<ServerStorage>;
  /** PostgreSQL only: cuts every LISTEN connection, as a network blip would (the feed then sends `resync`). */
  dropFeedConnections?(): Promise<number>;
  dispose(): Promise<void>;
}

/** A server's storage, whose writes or feed a test can hold: a slow database, a slow notification connection. */
export interface ServerStorage extends YjsStorage {
  /** Writes wait from now on (the ones never released are lost with a killed server). */
  holdWrites(): void;
  releaseWrites(): void;
  /** Notifications wait from now on, and arrive in order on release. */
  holdFeed(): void;
  releaseFeed(): void;
  /** Ends the server's connections (postgres), as its process ending would. */
  close(): Promise<void>;
}

export type SharedStorageFactory = (options?: TargetOptions) => Promise<SharedStorage>;

export const sharedMemoryStorage: SharedStorageFactory = async (options = {}) => {
  const provider = new MemoryStorageProvider(resolveStorageOptions({ driver: 'memory', ...options }));
  await provider.initialize();
  return {
    driver: 'memory',
    documents: provider.documents,
    forServer: async () => holdableStorage(provider, async () => undefined),
    dispose: () => provider.close(),
  };
};

/** A gate: while held, `passed()` waits until `release()`. */
function gate(): { hold(): void; release(): void; passed(): Promise<void>; readonly held: boolean } {
  let waiting: Promise<void> | null = null;
  let open = (): void => undefined;
  return {
    hold: () => void (waiting ??= new Promise<void>((resolve) => (open = resolve))),
    release() {
      waiting = null;
      open();
    },
    passed: async () => {
      while (waiting) await waiting;
    },
    get held() {
      return waiting !== null;
    },
  };
}

export function holdableStorage(
  provider: StorageProvider & Partial<StorageRelay>,
  close: () => Promise<void>,
): ServerStorage {
  const writes = gate();
  const feed = gate();
  const { documents } = provider;
  return {
    documents: {
      getChangesSince: (documentId, since) => documents.getChangesSince(documentId, since),
      saveSnapshot: (documentId, data, clock, options) => documents.saveSnapshot(documentId, data, clock, options),
      compactDeltas: (documentId, upTo) => documents.compactDeltas(documentId, upTo),
      async addDeltas(documentId, deltas) {
        await writes.passed();
        return documents.addDeltas(documentId, deltas);
      },
    },
    changes: (documentId) =>
      new Observable<StorageChange>((subscriber) => {
        // Synchronous while nothing is held back, as the drivers deliver; in order behind a backlog.
        let backlog = 0;
        let chain = Promise.resolve();
        const forward = (change: StorageChange): void => {
          if (!feed.held && backlog === 0) return subscriber.next(change);
          backlog++;
          chain = chain
            .then(() => feed.passed())
            .then(() => {
              backlog--;
              subscriber.next(change);
            });
        };
        return provider.changes(documentId).subscribe({ next: forward, error: (error) => subscriber.error(error) });
      }),
    relay: provider.relay?.bind(provider),
    relayed: provider.relayed?.bind(provider),
    awareness: provider.awareness,
    holdWrites: writes.hold,
    releaseWrites: writes.release,
    holdFeed: feed.hold,
    releaseFeed: feed.release,
    close,
  };
}
