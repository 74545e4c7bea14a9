import type { StorageLimits } from './backend.js';
import type { StorageMeter } from '../storage-metrics.js';
import type { StorageDriver } from './types.js';

/** Connection pool bounds (postgres driver). */
export interface StoragePoolOptions {
  /** Connections kept open when idle. */
  min?: number;
  /** Most connections open at once; a call waits for one beyond it. */
  max?: number;
}

/**
 * An app's own MikroORM 6 or 7 instance on PostgreSQL (`MikroORM` from `@mikro-orm/postgresql`, or the one
 * `@mikro-orm/nestjs` provides). Typed by shape, so that the root entry's types need no MikroORM installed.
 */
export interface StorageHostOrm {
  /** The ORM's entity manager (read for its driver and connection). */
  readonly em: object;
  /** The ORM's configuration (read for its connection settings and schema). */
  readonly config: object;
}

/** Options of `StorageModule.forRoot` / `forRootAsync`: one variant per driver, and per way postgres connects. */
export type StorageModuleOptions = MemoryStorageOptions | PostgresConnectionOptions | PostgresOrmOptions;

/** The options every driver takes; all optional. */
export interface StorageCommonOptions {
  /** How long an awareness entry lives after it is written (ms). Default 30000. */
  awarenessTimeoutMs?: number;
  /** How often expired awareness entries are pruned (ms); 0 disables. Default 10000. */
  awarenessPruneIntervalMs?: number;
  /** How long `checkHealth` may take before it reports unhealthy (ms). Default 1000. */
  healthCheckTimeoutMs?: number;
  /**
   * Longest wait (ms) before a committed change reaches every live subscriber, even when its notification
   * never arrives (postgres: how often the feed reads the change log). Default 1000.
   */
  changeFeedMaxDelayMs?: number;
  /**
   * How long (ms) each version stays readable after it was written (`getVersions`, `getChangesAt`,
   * `forkDocument`): compaction and snapshot replacement then copy what they remove to history tables, pruned
   * by the prune timer. Default 0: off, only the current version is readable.
   */
  historyRetentionMs?: number;
  /** Largest delta, as UTF-8 bytes of its JSON (bytes data: their length plus the JSON of the rest). Default 1 MiB. */
  maxDeltaBytes?: number;
  /** Largest snapshot in bytes. Default 64 MiB. */
  maxSnapshotBytes?: number;
  /** Most keys of any clock argument (a delta's clock, `since`, a snapshot clock, `upTo`). Default 10000. */
  maxClockEntries?: number;
  /**
   * Most authors (keys of the document clock) one document may have; a delta write or snapshot that would add
   * more gets `StorageLimitError`. At most `maxClockEntries`, so the clock the store hands out is always
   * accepted back as `since`. Default: `maxClockEntries` (10000).
   */
  maxDocumentAuthors?: number;
  /** Deepest nesting of delta data or awareness state (arrays and objects count one level each). Default 64. */
  maxJsonDepth?: number;
  /** Most deltas in one `addDeltas` batch. Default 10000. */
  maxBatchDeltas?: number;
  /** Largest awareness state, as UTF-8 bytes of its JSON. Default 64 KiB. */
  maxAwarenessBytes?: number;
  /** Most unexpired awareness entries in one document; a new client past it gets `StorageLimitError`. Default 1000. */
  maxAwarenessEntriesPerDocument?: number;
  /**
   * An OpenTelemetry `Meter` (`metrics.getMeter('nest-sync-storage')` of `@opentelemetry/api`) the storage
   * records its metrics on (docs/OBSERVABILITY.md). Default: none, and no cost.
   */
  metrics?: StorageMeter;
}

/** The memory driver: everything lives in this process. */
export interface MemoryStorageOptions extends StorageCommonOptions {
  /** `memory`: this process only; nothing survives a restart. */
  driver: 'memory';
}

/** What every postgres variant takes besides where it connects. */
interface PostgresCommonOptions extends StorageCommonOptions {
  /** `postgres`: shared by every instance on the database. */
  driver: 'postgres';
  /**
   * A direct connection to PostgreSQL (not through a transaction pooler such as PgBouncer in
   * `pool_mode = transaction`) for the change feed's LISTEN, which needs a session of its own. Default: the
   * connection of the pool (`clientUrl`, or the ORM's with `orm`). TLS: an `sslmode` in it, else `ssl`.
   */
  listenUrl?: string;
  /** Schema of the tables. Default `public` (with `orm`: the ORM's own schema). */
  schema?: string;
  /** Bounds of the driver's own pool. */
  pool?: StoragePoolOptions;
  /** Run pending migrations at start-up. Default true. */
  migrate?: boolean;
}

/** postgres on a connection of the driver's own: `clientUrl`, or host/port/user/password/dbName. */
export interface PostgresConnectionOptions extends PostgresCommonOptions {
  /** `postgresql://user:password@host:port/db`; or use host/port/user/password/dbName. */
  clientUrl?: string;
  /** Server host, when `clientUrl` is not given. Default `localhost`. */
  host?: string;
  /** Server port, when `clientUrl` is not given. Default 5432. */
  port?: number;
  /** Role to connect as, when `clientUrl` is not given. Never logged. */
  user?: string;
  /** The role's password, when `clientUrl` is not given. Never logged or echoed in errors. */
  password?: string;
  /** Database name, when `clientUrl` is not given. */
  dbName?: string;
  /**
   * TLS. `true` verifies the server against the system's CAs; an object is passed to the TLS connection. A
   * `sslmode` in `clientUrl` says the same in libpq's words; give one or the other.
   */
  ssl?: boolean | StorageTlsOptions;
  /**
   * Pool bounds and pg connection settings in MikroORM's words, read over the driver's: `pool`
   * (`min`, `max`, `acquireTimeoutMillis`, `idleTimeoutMillis`, `createTimeoutMillis`) and
   * `driverOptions.connection` (`statement_timeout`, `idle_in_transaction_session_timeout`, `query_timeout`,
   * `connectionTimeoutMillis`, others passed to pg). Options that decide where data goes are refused.
   */
  mikroOrm?: Record<string, unknown>;
  /** Not with a connection of the driver's own: pass `orm` alone to use the app's MikroORM instead. */
  orm?: never;
}

/**
 * postgres on the database of the app's MikroORM instance (its connection settings, its schema), on a pool
 * of the driver's own (sized by `pool`). The module never closes it.
 */
export interface PostgresOrmOptions extends PostgresCommonOptions {
  /** The app's MikroORM instance: its database, connection settings and schema are the storage's. */
  orm: StorageHostOrm;
  /** Not with `orm`: the app's ORM says where to connect. */
  clientUrl?: never;
  /** Not with `orm`. */
  host?: never;
  /** Not with `orm`. */
  port?: never;
  /** Not with `orm`. */
  user?: never;
  /** Not with `orm`. */
  password?: never;
  /** Not with `orm`. */
  dbName?: never;
  /** Not with `orm`: TLS follows the app's ORM settings. */
  ssl?: never;
  /** Not with `orm`: configure the app's ORM instead. */
  mikroOrm?: never;
}

/** TLS settings of the postgres connection (node's `tls.connect` options of the same names). */
export interface StorageTlsOptions {
  /** Refuse a server whose certificate does not verify. Default true. */
  rejectUnauthorized?: boolean;
  /** CA certificates (PEM) to verify the server against, instead of the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate (PEM), for servers that ask for one. */
  cert?: string | Buffer;
  /** The client certificate's private key (PEM). Never logged. */
  key?: string | Buffer;
  /** Server name to verify the certificate against (SNI), when it differs from the host. */
  servername?: string;
}

/** Every option of every variant, as the driver reads them once checked. */
export type AnyStorageOptions = StorageCommonOptions &
  Omit<PostgresConnectionOptions, 'driver' | 'orm'> & { driver: StorageDriver; orm?: StorageHostOrm };

/** Options with every default filled in. */
export interface ResolvedStorageOptions extends Omit<AnyStorageOptions, keyof StorageLimits>, StorageLimits {
  awarenessTimeoutMs: number;
  awarenessPruneIntervalMs: number;
  healthCheckTimeoutMs: number;
  changeFeedMaxDelayMs: number;
  historyRetentionMs: number;
  migrate: boolean;
}
