import { StorageValidationError } from './errors.js';
import { checkPostgresOptions } from './postgres-options.js';
import { isPlainObject } from './validation.js';
import type { StorageLimits } from './backend.js';
import type { StorageDriver } from './types.js';

/** Connection pool bounds (postgres driver). */
export interface StoragePoolOptions {
  min?: number;
  max?: number;
}

/**
 * An app's own MikroORM 6 or 7 instance on PostgreSQL (`MikroORM` from `@mikro-orm/postgresql`, or the one
 * `@mikro-orm/nestjs` provides). Typed by shape, so that the root entry's types need no MikroORM installed.
 */
export interface StorageHostOrm {
  readonly em: object;
  readonly config: object;
}

/** Options of `StorageModule.forRoot` / `forRootAsync`; all but `driver` optional. */
export interface StorageModuleOptions {
  driver: StorageDriver;
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
   * postgres: run on the database of this MikroORM instance of the app (its connection settings, its schema),
   * on a pool of the driver's own (sized by `pool`). The module never closes it. Excludes the connection options
   * (clientUrl, host, port, user, password, dbName, ssl) and mikroOrm. `schema` defaults to the ORM's own schema.
   */
  orm?: StorageHostOrm;
  /** postgres: `postgresql://user:password@host:port/db`; or use host/port/user/password/dbName. */
  clientUrl?: string;
  /**
   * postgres: a direct connection to PostgreSQL (not through a transaction pooler such as PgBouncer in
   * `pool_mode = transaction`) for the change feed's LISTEN, which needs a session of its own. Default: the
   * connection of the pool (`clientUrl`, or the ORM's with `orm`). TLS: an `sslmode` in it, else `ssl`.
   */
  listenUrl?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  dbName?: string;
  /** postgres: schema of the tables. Default `public`. */
  schema?: string;
  pool?: StoragePoolOptions;
  /**
   * postgres: TLS. `true` verifies the server against the system's CAs; an object is passed to the TLS
   * connection. A `sslmode` in `clientUrl` says the same in libpq's words; give one or the other.
   */
  ssl?: boolean | StorageTlsOptions;
  /** postgres: run pending migrations at start-up. Default true. */
  migrate?: boolean;
  /**
   * postgres: pool bounds and pg connection settings in MikroORM's words, read over the driver's: `pool`
   * (`min`, `max`, `acquireTimeoutMillis`, `idleTimeoutMillis`, `createTimeoutMillis`) and
   * `driverOptions.connection` (`statement_timeout`, `idle_in_transaction_session_timeout`, `query_timeout`,
   * `connectionTimeoutMillis`, others passed to pg). Options that decide where data goes are refused.
   */
  mikroOrm?: Record<string, unknown>;
}

/** TLS settings of the postgres connection (node's `tls.connect` options of the same names). */
export interface StorageTlsOptions {
  rejectUnauthorized?: boolean;
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
}

/** Options with every default filled in. */
export interface ResolvedStorageOptions extends Omit<StorageModuleOptions, keyof StorageLimits>, StorageLimits {
  awarenessTimeoutMs: number;
  awarenessPruneIntervalMs: number;
  healthCheckTimeoutMs: number;
  changeFeedMaxDelayMs: number;
  historyRetentionMs: number;
  migrate: boolean;
}

export const STORAGE_OPTION_DEFAULTS = {
  awarenessTimeoutMs: 30_000,
  awarenessPruneIntervalMs: 10_000,
  healthCheckTimeoutMs: 1_000,
  changeFeedMaxDelayMs: 1_000,
  historyRetentionMs: 0,
  maxDeltaBytes: 1024 * 1024,
  maxSnapshotBytes: 64 * 1024 * 1024,
  maxClockEntries: 10_000,
  maxJsonDepth: 64,
  maxBatchDeltas: 10_000,
  maxAwarenessBytes: 64 * 1024,
  maxAwarenessEntriesPerDocument: 1_000,
  migrate: true,
} as const;

const KNOWN_OPTIONS = new Set([
  'driver',
  'isGlobal',
  'awarenessTimeoutMs',
  'awarenessPruneIntervalMs',
  'healthCheckTimeoutMs',
  'changeFeedMaxDelayMs',
  'historyRetentionMs',
  'maxDeltaBytes',
  'maxSnapshotBytes',
  'maxClockEntries',
  'maxDocumentAuthors',
  'maxJsonDepth',
  'maxBatchDeltas',
  'maxAwarenessBytes',
  'maxAwarenessEntriesPerDocument',
  'clientUrl',
  'listenUrl',
  'host',
  'port',
  'user',
  'password',
  'dbName',
  'schema',
  'pool',
  'ssl',
  'migrate',
  'mikroOrm',
  'orm',
]);
const MAX_TIMER_MS = 2_147_483_647;
/** Ten years: beyond it retention is "forever" in all but name, and the cut-off arithmetic stays exact. */
const MAX_HISTORY_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** Checks module options and fills in defaults; the error names the bad option and never echoes a secret. */
export function resolveStorageOptions(input: unknown): ResolvedStorageOptions {
  if (!isPlainObject(input)) throw new StorageValidationError('options', 'must be an object with a driver');
  const options = input as Partial<StorageModuleOptions>;
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new StorageValidationError(`options.${key}`, 'is not a known option');
  }
  if (options.driver !== 'memory' && options.driver !== 'postgres')
    throw new StorageValidationError('options.driver', `must be 'memory' or 'postgres'`);
  const maxClockEntries = integerOption(options, 'maxClockEntries', 1, Number.MAX_SAFE_INTEGER);
  const resolved: ResolvedStorageOptions = {
    ...options,
    driver: options.driver,
    awarenessTimeoutMs: integerOption(options, 'awarenessTimeoutMs', 1, MAX_TIMER_MS),
    awarenessPruneIntervalMs: integerOption(options, 'awarenessPruneIntervalMs', 0, MAX_TIMER_MS),
    healthCheckTimeoutMs: integerOption(options, 'healthCheckTimeoutMs', 1, MAX_TIMER_MS),
    changeFeedMaxDelayMs: integerOption(options, 'changeFeedMaxDelayMs', 10, MAX_TIMER_MS),
    historyRetentionMs: integerOption(options, 'historyRetentionMs', 0, MAX_HISTORY_MS),
    maxDeltaBytes: integerOption(options, 'maxDeltaBytes', 1, Number.MAX_SAFE_INTEGER),
    maxSnapshotBytes: integerOption(options, 'maxSnapshotBytes', 1, Number.MAX_SAFE_INTEGER),
    maxClockEntries,
    // A document clock must fit the `since` argument it is sent back as.
    maxDocumentAuthors: documentAuthorsOption(options.maxDocumentAuthors, maxClockEntries),
    // Deeper data would need a recursion the stack cannot promise.
    maxJsonDepth: integerOption(options, 'maxJsonDepth', 1, 1000),
    maxBatchDeltas: integerOption(options, 'maxBatchDeltas', 1, Number.MAX_SAFE_INTEGER),
    maxAwarenessBytes: integerOption(options, 'maxAwarenessBytes', 1, Number.MAX_SAFE_INTEGER),
    maxAwarenessEntriesPerDocument: integerOption(
      options,
      'maxAwarenessEntriesPerDocument',
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    migrate: booleanOption(options, 'migrate'),
  };
  if (resolved.driver === 'postgres') checkPostgresOptions(resolved);
  else
    for (const key of ['orm', 'listenUrl'] as const)
      if (resolved[key] !== undefined)
        throw new StorageValidationError(`options.${key}`, `is for driver 'postgres' only`);
  return resolved;
}

function integerOption<K extends keyof typeof STORAGE_OPTION_DEFAULTS>(
  options: Partial<StorageModuleOptions>,
  key: K,
  min: number,
  max: number,
): number {
  const value = options[key];
  if (value === undefined) return STORAGE_OPTION_DEFAULTS[key] as number;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new StorageValidationError(`options.${key}`, `must be an integer from ${min} to ${max}`);
  return value;
}

/** `maxDocumentAuthors`: from 1 to `maxClockEntries`, which is also its default. */
function documentAuthorsOption(value: unknown, maxClockEntries: number): number {
  if (value === undefined) return maxClockEntries;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxClockEntries)
    throw new StorageValidationError(
      'options.maxDocumentAuthors',
      `must be an integer from 1 to maxClockEntries (${maxClockEntries}), so that a document clock is accepted back as since`,
    );
  return value;
}

function booleanOption(options: Partial<StorageModuleOptions>, key: 'migrate'): boolean {
  const value = options[key];
  if (value === undefined) return STORAGE_OPTION_DEFAULTS[key];
  if (typeof value !== 'boolean') throw new StorageValidationError(`options.${key}`, 'must be true or false');
  return value;
}
