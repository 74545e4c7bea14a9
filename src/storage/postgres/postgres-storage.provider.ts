import type { ResolvedStorageOptions } from '../contract/options.js';
import type { AwarenessStore, DocumentStore, StorageHealth, StorageProvider } from '../contract/types.js';
import { ValidatedAwarenessStore } from '../contract/validated-awareness-store.js';
import { ValidatedDocumentStore } from '../contract/validated-document-store.js';
import { PostgresAwarenessBackend } from './postgres-awareness.backend.js';
import { PostgresDatabase } from './postgres-database.js';
import { PostgresDocumentBackend } from './postgres-document.backend.js';

/**
 * The PostgreSQL driver on MikroORM 6. `initialize()` connects and (unless `migrate: false`) applies
 * pending migrations under an advisory lock; every call then goes through the shared validation to
 * a backend that speaks SQL to the pool.
 */
export class PostgresStorageProvider implements StorageProvider {
  readonly driver = 'postgres' as const;
  readonly documents: DocumentStore;
  readonly awareness: AwarenessStore;
  private readonly database: PostgresDatabase;

  constructor(private readonly options: ResolvedStorageOptions) {
    this.database = new PostgresDatabase(options);
    this.documents = new ValidatedDocumentStore(new PostgresDocumentBackend(this.database), options);
    this.awareness = new ValidatedAwarenessStore(
      new PostgresAwarenessBackend(this.database, options.awarenessTimeoutMs),
      options,
    );
  }

  initialize(): Promise<void> {
    return this.database.open();
  }

  checkHealth(): Promise<StorageHealth> {
    return this.database.checkHealth(this.options.healthCheckTimeoutMs);
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
