import type { Knex } from '@mikro-orm/knex';
import type { ResolvedStorageOptions } from '../contract/options.js';
import { hostOrmPlan } from './host-orm.js';
import { ownOrmPlan } from './storage-orm.js';

/** An open connection of the driver: the pool its statements run on. */
export interface StorageConnection {
  readonly knex: Knex;
  /** Applies the pending storage migrations under the driver's advisory lock; answers the names applied. */
  migrate(events?: MigrationEvents): Promise<string[]>;
  /** Ends what the driver opened: its own ORM and pool, never an app's. */
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
  /**
   * How long opening one connection may take, on the driver's own pool (where nothing else holds a connection
   * at start-up, so a pool that gives none in time means connecting never completed).
   */
  readonly connectTimeoutMs?: number;
  open(): Promise<StorageConnection>;
}

/** The driver's own MikroORM and pool, or (option `orm`) the app's, which the driver uses and never closes. */
export function planConnection(options: ResolvedStorageOptions): ConnectionPlan {
  return options.orm === undefined ? ownOrmPlan(options) : hostOrmPlan(options.orm, options.schema);
}
