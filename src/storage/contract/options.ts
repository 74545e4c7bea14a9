import { StorageValidationError } from './errors.js';
import { isPlainObject } from './validation.js';
import type { StorageLimits } from './backend.js';
import type { StorageDriver } from './types.js';

/** Connection pool bounds (postgres driver). */
export interface StoragePoolOptions {
  min?: number;
  max?: number;
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
  /** Largest delta, as UTF-8 bytes of its JSON (bytes data: their length plus the JSON of the rest). Default 1 MiB. */
  maxDeltaBytes?: number;
  /** Largest snapshot in bytes. Default 64 MiB. */
  maxSnapshotBytes?: number;
  /** Most keys of any clock argument (a delta's clock, `since`, a snapshot clock, `upTo`). Default 10000. */
  maxClockEntries?: number;
  /** Deepest nesting of delta data or awareness state (arrays and objects count one level each). Default 64. */
  maxJsonDepth?: number;
  /** Most deltas in one `addDeltas` batch. Default 10000. */
  maxBatchDeltas?: number;
  /** Largest awareness state, as UTF-8 bytes of its JSON. Default 64 KiB. */
  maxAwarenessBytes?: number;
  /** Most unexpired awareness entries in one document; a new client past it gets `StorageLimitError`. Default 1000. */
  maxAwarenessEntriesPerDocument?: number;
  /** postgres: `postgresql://user:password@host:port/db`; or use host/port/user/password/dbName. */
  clientUrl?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  dbName?: string;
  /** postgres: schema of the tables. Default `public`. */
  schema?: string;
  pool?: StoragePoolOptions;
  /** postgres: run pending migrations at start-up. Default true. */
  migrate?: boolean;
  /** postgres: extra MikroORM options, merged last. */
  mikroOrm?: Record<string, unknown>;
}

/** Options with every default filled in. */
export interface ResolvedStorageOptions extends Omit<StorageModuleOptions, keyof StorageLimits>, StorageLimits {
  awarenessTimeoutMs: number;
  awarenessPruneIntervalMs: number;
  healthCheckTimeoutMs: number;
  migrate: boolean;
}

export const STORAGE_OPTION_DEFAULTS = {
  awarenessTimeoutMs: 30_000,
  awarenessPruneIntervalMs: 10_000,
  healthCheckTimeoutMs: 1_000,
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
  'maxDeltaBytes',
  'maxSnapshotBytes',
  'maxClockEntries',
  'maxJsonDepth',
  'maxBatchDeltas',
  'maxAwarenessBytes',
  'maxAwarenessEntriesPerDocument',
  'clientUrl',
  'host',
  'port',
  'user',
  'password',
  'dbName',
  'schema',
  'pool',
  'migrate',
  'mikroOrm',
]);
const MAX_TIMER_MS = 2_147_483_647;

/** Checks module options and fills in defaults; the error names the bad option and never echoes a secret. */
export function resolveStorageOptions(input: unknown): ResolvedStorageOptions {
  if (!isPlainObject(input)) throw new StorageValidationError('options', 'must be an object with a driver');
  const options = input as Partial<StorageModuleOptions>;
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new StorageValidationError(`options.${key}`, 'is not a known option');
  }
  if (options.driver !== 'memory' && options.driver !== 'postgres')
    throw new StorageValidationError('options.driver', `must be 'memory' or 'postgres'`);
  const resolved: ResolvedStorageOptions = {
    ...options,
    driver: options.driver,
    awarenessTimeoutMs: integerOption(options, 'awarenessTimeoutMs', 1, MAX_TIMER_MS),
    awarenessPruneIntervalMs: integerOption(options, 'awarenessPruneIntervalMs', 0, MAX_TIMER_MS),
    healthCheckTimeoutMs: integerOption(options, 'healthCheckTimeoutMs', 1, MAX_TIMER_MS),
    maxDeltaBytes: integerOption(options, 'maxDeltaBytes', 1, Number.MAX_SAFE_INTEGER),
    maxSnapshotBytes: integerOption(options, 'maxSnapshotBytes', 1, Number.MAX_SAFE_INTEGER),
    maxClockEntries: integerOption(options, 'maxClockEntries', 1, Number.MAX_SAFE_INTEGER),
    // Deeper data would need a recursion the stack cannot promise.
    maxJsonDepth: integerOption(options, 'maxJsonDepth', 1, 1000),
    maxBatchDeltas: integerOption(options, 'maxBatchDeltas', 1, Number.MAX_SAFE_INTEGER),
    maxAwarenessBytes: integerOption(options, 'maxAwarenessBytes', 1, Number.MAX_SAFE_INTEGER),
    maxAwarenessEntriesPerDocument: integerOption(options, 'maxAwarenessEntriesPerDocument', 1, Number.MAX_SAFE_INTEGER),
    migrate: booleanOption(options, 'migrate'),
  };
  if (resolved.driver === 'postgres') checkPostgresOptions(resolved);
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

function booleanOption(options: Partial<StorageModuleOptions>, key: 'migrate'): boolean {
  const value = options[key];
  if (value === undefined) return STORAGE_OPTION_DEFAULTS[key];
  if (typeof value !== 'boolean') throw new StorageValidationError(`options.${key}`, 'must be true or false');
  return value;
}

function checkPostgresOptions(options: ResolvedStorageOptions): void {
  for (const key of ['clientUrl', 'host', 'user', 'password', 'dbName', 'schema'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0))
      throw new StorageValidationError(`options.${key}`, 'must be a non-empty string');
  }
  if (options.clientUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.clientUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:'))
      throw new StorageValidationError('options.clientUrl', 'must be a postgres:// or postgresql:// URL');
  } else if (options.host === undefined && options.dbName === undefined) {
    throw new StorageValidationError('options.clientUrl', `(or host and dbName) is required for driver 'postgres'`);
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535))
    throw new StorageValidationError('options.port', 'must be an integer from 1 to 65535');
  if (options.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(options.schema))
    throw new StorageValidationError('options.schema', 'must be a plain SQL identifier (letters, digits, _)');
  if (options.pool !== undefined) {
    if (!isPlainObject(options.pool))
      throw new StorageValidationError('options.pool', 'must be an object { min, max }');
    const { min, max } = options.pool as { min?: unknown; max?: unknown };
    if (min !== undefined && (typeof min !== 'number' || !Number.isInteger(min) || min < 0))
      throw new StorageValidationError('options.pool.min', 'must be an integer >= 0');
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1))
      throw new StorageValidationError('options.pool.max', 'must be an integer >= 1');
    if (typeof min === 'number' && typeof max === 'number' && min > max)
      throw new StorageValidationError('options.pool.min', 'must not exceed options.pool.max');
  }
  if (options.mikroOrm !== undefined && !isPlainObject(options.mikroOrm))
    throw new StorageValidationError('options.mikroOrm', 'must be an object of MikroORM options');
}
