import type { Observable } from 'rxjs';
import { ChangeHub, type ChangePublisher } from '../changes/change-hub.js';
import { StorageUnavailableError } from '../contract/errors.js';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type {
  AwarenessStore,
  DocumentStore,
  StorageChange,
  StorageHealth,
  StorageProvider,
} from '../contract/types.js';
import { ValidatedAwarenessStore } from '../contract/validated-awareness-store.js';
import { ValidatedDocumentStore } from '../contract/validated-document-store.js';
import { MemoryAwarenessBackend } from './memory-awareness.backend.js';
import { MemoryDocumentBackend } from './memory-document.backend.js';
import { MemoryHistory } from './memory-history.js';

/** The embedded driver: everything lives in this process and is gone when it exits. */
export class MemoryStorageProvider implements StorageProvider {
  readonly driver = 'memory' as const;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  private readonly documentBackend: MemoryDocumentBackend;
  private readonly awarenessBackend: MemoryAwarenessBackend;
  private readonly hub = new ChangeHub();
  private readonly history: MemoryHistory;
  private closed = false;

  constructor(options: ResolvedStorageOptions) {
    this.history = new MemoryHistory(options.historyRetentionMs);
    const assertOpen = (): void => {
      if (this.closed) throw new StorageUnavailableError('the memory storage provider is closed');
    };
    // Writes here are synchronous: a change reaches subscribers as soon as it is stored.
    const publish: ChangePublisher = (change) => {
      // Nothing is built for a feed nobody listens to.
      if (this.hub.active) this.hub.publish({ ...change, source: 'local' });
    };
    this.awarenessBackend = new MemoryAwarenessBackend(
      options.awarenessTimeoutMs,
      options.maxAwarenessEntriesPerDocument,
      assertOpen,
      publish,
    );
    this.documentBackend = new MemoryDocumentBackend(
      this.awarenessBackend,
      assertOpen,
      publish,
      options.maxDocumentAuthors,
      this.history,
    );
    this.documents = new ValidatedDocumentStore(this.documentBackend, options);
    this.awareness = new ValidatedAwarenessStore(this.awarenessBackend, options);
  }

  async initialize(): Promise<void> {}

  changes(documentId?: string): Observable<StorageChange> {
    return this.hub.changes(documentId);
  }

  /** Drops history past `historyRetentionMs` (run by the module's prune timer); costs the kept history. */
  async pruneHistory(): Promise<number> {
    return this.closed ? 0 : this.history.prune();
  }

  async checkHealth(): Promise<StorageHealth> {
    const started = performance.now();
    const healthy = !this.closed;
    return {
      healthy,
      driver: this.driver,
      latencyMs: performance.now() - started,
      ...(healthy ? {} : { message: 'storage provider is closed' }),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    this.documentBackend.clear();
    this.awarenessBackend.clear();
  }
}
