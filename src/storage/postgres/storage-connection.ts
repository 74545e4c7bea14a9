import type { ClientConfig } from 'pg';
import type { StoragePool } from './storage-pool.js';

/** An open connection of the driver: the pool its statements run on. */
export interface StorageConnection {
  readonly pool: StoragePool;
  /** pg's settings of the pool's connections (no session parameters): the change feed's LISTEN connection uses them. */
  readonly settings: ClientConfig;
  /** Applies the pending storage migrations under the driver's advisory lock; answers the names applied. */
  migrate(events?: MigrationEvents): Promise<string[]>;
  /** Ends the driver's pool. */
  release(): Promise<void>;
}

/** What a migration run tells its caller while it runs. */
export interface MigrationEvents {
  /** Another session holds the migration lock: the run waits for it. */
  lockWait?(): void;
}

/** How a provider connects, decided from its options without I/O. */
export interface ConnectionPlan {
  /** Schema of the storage tables. */
  readonly schema: string;
  /** `host:port/db` for messages: never the user, password or URL. */
  readonly target: string;
  /** How long a call may wait for a pooled connection. */
  readonly acquireTimeoutMs: number;
  /** How long opening one of the pool's connections may take. */
  readonly connectTimeoutMs: number;
  open(): Promise<StorageConnection>;
}
