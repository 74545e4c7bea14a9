import type { Observable } from 'rxjs';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type {
  AwarenessStore,
  DocumentStore,
  ChangesOptions,
  RelayedMessage,
  RelayOptions,
  StorageChange,
  StorageHealth,
  StorageProvider,
  StorageRelay,
} from '../contract/types.js';
import { checkRelayMessage, RelayHub } from '../changes/relay.js';
import { ProviderCore } from '../provider-core.js';
import { MemoryAwarenessBackend } from './memory-awareness.backend.js';
import { MemoryDocumentBackend } from './memory-document.backend.js';
import { MemoryHistory } from './memory-history.js';

/** The embedded driver: everything lives in this process and is gone when it exits. */
export class MemoryStorageProvider implements StorageProvider, StorageRelay {
  readonly driver = 'memory' as const;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  private readonly core: ProviderCore;
  private readonly documentBackend: MemoryDocumentBackend;
  private readonly awarenessBackend: MemoryAwarenessBackend;
  private readonly history: MemoryHistory;
  private readonly relayHub = new RelayHub();

  constructor(options: ResolvedStorageOptions) {
    this.core = new ProviderCore(this.driver, options.metrics, {
      // No change log is kept here: a subscriber behind (or ahead of) the document reads it again.
      resume: (documentId, afterVersion, release) => {
        const current = this.documentBackend.versionOf(documentId);
        release(afterVersion === current ? [] : [{ documentId, kind: 'resync', source: 'local' }], current);
      },
    });
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

  changes(documentId?: string, options?: ChangesOptions): Observable<StorageChange> {
    return this.core.hub.changes(documentId, options);
  }

  /** Hands the message to this provider's subscribers on the next microtask (one instance: the relay is local). */
  async relay(documentId: string, message: string, options: RelayOptions): Promise<void> {
    const checked = checkRelayMessage(documentId, message, options);
    if (this.core.closed) throw this.core.closedError();
    queueMicrotask(() => this.relayHub.publish(checked));
  }

  relayed(documentId?: string): Observable<RelayedMessage> {
    return this.relayHub.relayed(documentId);
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
    this.relayHub.close();
    this.documentBackend.clear();
    this.awarenessBackend.clear();
  }
}
