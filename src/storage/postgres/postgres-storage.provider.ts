import type { Observable } from 'rxjs';
import { ChangeHub } from '../changes/change-hub.js';
import { PostgresChangeListener } from '../changes/postgres-change-listener.js';
import { assertSessionOfItsOwn } from '../changes/pooler-check.js';
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
 * The PostgreSQL driver (MikroORM 6 or 7 for its entities and migrations, its own pg pool for statements). `initialize()` connects and (unless `migrate: false`) applies pending
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
    this.listener = new PostgresChangeListener(
      () => this.database.listenSettings(),
      channel,
      origin,
      this.hub,
      // LISTEN needs a session of its own: through a transaction pooler, the feed fails naming listenUrl.
      async (settings) => {
        if (!this.database.listensDirectly)
          await assertSessionOfItsOwn(settings, () => this.database.poolBackendPid(), this.database.target);
      },
    );
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
