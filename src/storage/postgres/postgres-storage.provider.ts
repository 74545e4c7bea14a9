import type { Observable } from 'rxjs';
import { ChangeHub } from '../changes/change-hub.js';
import { PostgresChangeListener } from '../changes/postgres-change-listener.js';
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
import { PostgresAwarenessBackend } from './postgres-awareness.backend.js';
import { PostgresDatabase } from './postgres-database.js';
import { PostgresDocumentBackend } from './postgres-document.backend.js';
import { defaultStorageLogger, type StorageLogger } from '../storage.logger.js';

/**
 * The PostgreSQL driver on MikroORM 6. `initialize()` connects and (unless `migrate: false`) applies pending
 * migrations under an advisory lock; every call then goes through the shared validation to a backend that
 * speaks SQL to the pool. Changes reach subscribers through LISTEN/NOTIFY, from every instance on the schema.
 */
export class PostgresStorageProvider implements StorageProvider {
  readonly driver = 'postgres' as const;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  private readonly database: PostgresDatabase;
  private readonly documentBackend: PostgresDocumentBackend;
  private readonly hub: ChangeHub;
  private readonly listener: PostgresChangeListener;

  constructor(
    private readonly options: ResolvedStorageOptions,
    logger: StorageLogger = defaultStorageLogger(),
  ) {
    this.database = new PostgresDatabase(options, logger);
    this.documentBackend = new PostgresDocumentBackend(
      this.database,
      options.maxBatchDeltas,
      options.maxDocumentAuthors,
    );
    this.documents = new ValidatedDocumentStore(this.documentBackend, options);
    this.awareness = new ValidatedAwarenessStore(
      new PostgresAwarenessBackend(this.database, options.awarenessTimeoutMs, options.maxAwarenessEntriesPerDocument),
      options,
    );
    const { channel, origin } = this.database.feed;
    this.hub = new ChangeHub({
      firstSubscribed: () => this.listener.start(),
      lastUnsubscribed: () => void this.listener.stop(),
    });
    this.listener = new PostgresChangeListener(() => this.database.connectionSettings(), channel, origin, this.hub);
    // A write issued right after a subscription waits (briefly) for the listening connection, so its
    // subscriber hears of it.
    this.database.beforeWrite = () => this.listener.listening(this.database.acquireTimeoutMs);
  }

  initialize(): Promise<void> {
    return this.database.open();
  }

  changes(documentId?: string): Observable<StorageChange> {
    return this.hub.changes(documentId);
  }

  checkHealth(): Promise<StorageHealth> {
    return this.database.checkHealth(this.options.healthCheckTimeoutMs);
  }

  async close(): Promise<void> {
    this.documentBackend.close();
    this.hub.close();
    await Promise.all([this.listener.stop(), this.database.close()]);
  }
}
