import type { Observable } from 'rxjs';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type {
  AwarenessStore,
  DocumentStore,
  StorageChange,
  StorageHealth,
  StorageProvider,
} from '../contract/types.js';
import { ProviderCore } from '../provider-core.js';
import { MemoryAwarenessBackend } from './memory-awareness.backend.js';
import { MemoryDocumentBackend } from './memory-document.backend.js';
import { MemoryHistory } from './memory-history.js';

/** The embedded driver: everything lives in this process and is gone when it exits. */
export class MemoryStorageProvider implements StorageProvider {
  readonly driver = 'memory' as const;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  private readonly core: ProviderCore;
  private readonly documentBackend: MemoryDocumentBackend;
  private readonly awarenessBackend: MemoryAwarenessBackend;
  private readonly history: MemoryHistory;

  constructor(options: ResolvedStorageOptions) {
    this.core = new ProviderCore(this.driver, options.metrics);
    this.history = new MemoryHistory(options.historyRetentionMs);
    // Writes here are synchronous: a change reaches subscribers as soon as it is stored.
    const publish = this.core.publishLocal.bind(this.core);
    this.awarenessBackend = new MemoryAwarenessBackend(
      options.awarenessTimeoutMs,
      options.maxAwarenessEntriesPerDocument,
      publish,
    );
    this.documentBackend = new MemoryDocumentBackend(
      this.awarenessBackend,
      publish,
      options.maxDocumentAuthors,
      this.history,
    );
    ({ documents: this.documents, awareness: this.awareness } = this.core.stores(
      this.documentBackend,
      this.awarenessBackend,
      options,
    ));
  }

  async initialize(): Promise<void> {}

  changes(documentId?: string): Observable<StorageChange> {
    return this.core.hub.changes(documentId);
  }

  /** Drops history past `historyRetentionMs` (run by the module's prune timer); costs the kept history. */
  async pruneHistory(): Promise<number> {
    return this.core.closed ? 0 : this.history.prune();
  }

  checkHealth(): Promise<StorageHealth> {
    return this.core.checkHealth(async () => ({ healthy: true, driver: this.driver, latencyMs: 0 }));
  }

  async close(): Promise<void> {
    if (!this.core.close()) return;
    this.documentBackend.clear();
    this.awarenessBackend.clear();
  }
}
