import { ValidatedAwarenessStore } from '../contract/validated-awareness-store.js';
import { ValidatedDocumentStore } from '../contract/validated-document-store.js';
import { StorageUnavailableError } from '../contract/errors.js';
import type { ResolvedStorageOptions } from '../contract/options.js';
import type { AwarenessStore, DocumentStore, StorageHealth, StorageProvider } from '../contract/types.js';
import { MemoryAwarenessBackend } from './memory-awareness.backend.js';
import { MemoryDocumentBackend } from './memory-document.backend.js';

/** The embedded driver: everything lives in this process and is gone when it exits. */
export class MemoryStorageProvider implements StorageProvider {
  readonly driver = 'memory' as const;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  private readonly documentBackend: MemoryDocumentBackend;
  private readonly awarenessBackend: MemoryAwarenessBackend;
  private closed = false;

  constructor(options: Pick<ResolvedStorageOptions, 'awarenessTimeoutMs' | 'maxDeltaBytes' | 'maxSnapshotBytes'>) {
    const assertOpen = (): void => {
      if (this.closed) throw new StorageUnavailableError('the memory storage provider is closed');
    };
    this.awarenessBackend = new MemoryAwarenessBackend(options.awarenessTimeoutMs, assertOpen);
    this.documentBackend = new MemoryDocumentBackend(this.awarenessBackend, assertOpen);
    this.documents = new ValidatedDocumentStore(this.documentBackend, options);
    this.awareness = new ValidatedAwarenessStore(this.awarenessBackend, options);
  }

  async initialize(): Promise<void> {}

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
    this.documentBackend.clear();
    this.awarenessBackend.clear();
  }
}
