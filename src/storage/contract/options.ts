import { StorageValidationError } from './errors.js';
import type { StorageMeter } from '../storage-metrics.js';
import type { AnyStorageOptions, ResolvedStorageOptions } from './options.types.js';
import { CONNECTION_OPTIONS, checkPostgresOptions } from './postgres-options.js';
import { isPlainObject } from './validation.js';

export type * from './options.types.js';

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

/** What the memory driver refuses (the types refuse them too), rather than quietly running in memory. */
const POSTGRES_SETTINGS = ['mikroOrm', 'orm', 'listenUrl', 'schema', 'pool', 'migrate'] as const;
const POSTGRES_ONLY_OPTIONS = [...CONNECTION_OPTIONS, ...POSTGRES_SETTINGS];
const KNOWN_OPTIONS = new Set<string>([
  ...['driver', 'isGlobal', 'maxDocumentAuthors', 'metrics', ...Object.keys(STORAGE_OPTION_DEFAULTS)],
  ...POSTGRES_ONLY_OPTIONS,
]);
const MAX_TIMER_MS = 2_147_483_647;
/** Ten years: beyond it retention is "forever" in all but name, and the cut-off arithmetic stays exact. */
const MAX_HISTORY_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** Checks module options and fills in defaults; the error names the bad option and never echoes a secret. */
export function resolveStorageOptions(input: unknown): ResolvedStorageOptions {
  if (!isPlainObject(input)) throw new StorageValidationError('options', 'must be an object with a driver');
  const options = input as Partial<AnyStorageOptions>;
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
  if (
    options.metrics !== undefined &&
    typeof (options.metrics as Partial<StorageMeter>)?.createHistogram !== 'function'
  )
    throw new StorageValidationError('options.metrics', 'must be an OpenTelemetry Meter');
  if (resolved.driver === 'postgres') checkPostgresOptions(resolved);
  else
    for (const key of POSTGRES_ONLY_OPTIONS)
      if (options[key] !== undefined)
        throw new StorageValidationError(`options.${key}`, `is for driver 'postgres' only`);
  return resolved;
}

function integerOption<K extends keyof typeof STORAGE_OPTION_DEFAULTS>(
  options: Partial<AnyStorageOptions>,
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

function booleanOption(options: Partial<AnyStorageOptions>, key: 'migrate'): boolean {
  const value = options[key];
  if (value === undefined) return STORAGE_OPTION_DEFAULTS[key];
  if (typeof value !== 'boolean') throw new StorageValidationError(`options.${key}`, 'must be true or false');
  return value;
}
