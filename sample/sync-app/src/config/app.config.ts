import type { StorageModuleOptions } from 'nest-sync-storage';
import { z } from 'zod';

/** A variable holding a whole number in `[min, max]`, written in plain digits (no sign, unit or exponent). */
function wholeNumber(max = Number.MAX_SAFE_INTEGER, min = 0) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** The sample app's configuration: where it listens and how its storage is set up. */
export interface AppConfig {
  /** Nested, so that ConfigModule copies none of it back into `process.env` (the token least of all). */
  http: {
    host: string;
    port: number;
    /** When set, every route but `/health` wants `Authorization: Bearer <apiToken>`. */
    apiToken?: string;
    /** How often an open event stream gets a comment, so that proxies keep it open. */
    eventsHeartbeatMs: number;
    /** Unsent bytes an event stream may hold before it is closed with a last `resync` event. */
    eventsMaxBufferedBytes: number;
    /** About how much JSON one page of catch-up may hold. */
    maxResponseBytes: number;
  };
  /** The module options; the limits the HTTP layer sizes itself by are always set. */
  storage: StorageModuleOptions & { maxDeltaBytes: number; maxSnapshotBytes: number; maxJsonDepth: number };
}

/**
 * Every variable the sample app reads, with its default: the one list of them. Messages name the
 * rule, never the value (DATABASE_URL holds a password).
 */
const environment = z
  .object({
    HOST: z.string().default('127.0.0.1'),
    PORT: wholeNumber(65535).default(3000),
    // Short or blank tokens are guessable; a header cannot carry spaces or control characters in one.
    API_TOKEN: z
      .string()
      .regex(/^[\x21-\x7e]{16,}$/, 'must be at least 16 visible ASCII characters without spaces')
      .optional(),
    EVENTS_HEARTBEAT_MS: wholeNumber(2_147_483_647, 1).default(15_000),
    EVENTS_MAX_BUFFERED_BYTES: wholeNumber(1024 * 1024 * 1024, 4096).default(1024 * 1024),
    // Far below V8's largest string (about 512 MiB), which a response used to run into.
    MAX_RESPONSE_BYTES: wholeNumber(256 * 1024 * 1024, 1024).default(32 * 1024 * 1024),
    STORAGE_DRIVER: z.enum(['memory', 'postgres'], "must be 'memory' or 'postgres'").default('memory'),
    DATABASE_URL: z.string().optional(),
    DATABASE_SCHEMA: z.string().optional(),
    // The module's own lower bounds, checked here so that a bad value names the variable, not the option.
    DATABASE_POOL_MAX: wholeNumber(Number.MAX_SAFE_INTEGER, 1).optional(),
    STORAGE_MIGRATE: z
      .enum(['true', 'false'], "must be 'true' or 'false'")
      .default('true')
      .transform((value) => value === 'true'),
    AWARENESS_TIMEOUT_MS: wholeNumber(2_147_483_647, 1).optional(),
    AWARENESS_PRUNE_INTERVAL_MS: wholeNumber(2_147_483_647).optional(),
    HEALTH_CHECK_TIMEOUT_MS: wholeNumber(2_147_483_647, 1).optional(),
    HISTORY_RETENTION_MS: wholeNumber(10 * 365 * 24 * 60 * 60 * 1000).optional(),
    // The module's own defaults, given here too because the HTTP layer sizes its limits from them.
    MAX_DELTA_BYTES: wholeNumber(Number.MAX_SAFE_INTEGER, 1).default(1_048_576),
    MAX_SNAPSHOT_BYTES: wholeNumber(Number.MAX_SAFE_INTEGER, 1).default(67_108_864),
    MAX_JSON_DEPTH: wholeNumber(1000, 1).default(64),
    MAX_CLOCK_ENTRIES: wholeNumber(Number.MAX_SAFE_INTEGER, 1).optional(),
    MAX_DOCUMENT_AUTHORS: wholeNumber(Number.MAX_SAFE_INTEGER, 1).optional(),
    MAX_BATCH_DELTAS: wholeNumber(Number.MAX_SAFE_INTEGER, 1).optional(),
    MAX_AWARENESS_BYTES: wholeNumber(Number.MAX_SAFE_INTEGER, 1).optional(),
    MAX_AWARENESS_ENTRIES_PER_DOCUMENT: wholeNumber(Number.MAX_SAFE_INTEGER, 1).optional(),
  })
  .refine((env) => env.STORAGE_DRIVER !== 'postgres' || env.DATABASE_URL !== undefined, {
    path: ['DATABASE_URL'],
    message: "is required when STORAGE_DRIVER is 'postgres'",
    // Checked even when another variable is bad, so one start-up names every problem.
    when: () => true,
  })
  .transform((env): AppConfig => ({
    http: withoutUnset({
      host: env.HOST,
      port: env.PORT,
      apiToken: env.API_TOKEN,
      eventsHeartbeatMs: env.EVENTS_HEARTBEAT_MS,
      eventsMaxBufferedBytes: env.EVENTS_MAX_BUFFERED_BYTES,
      maxResponseBytes: env.MAX_RESPONSE_BYTES,
    }),
    storage: withoutUnset({
      awarenessTimeoutMs: env.AWARENESS_TIMEOUT_MS,
      awarenessPruneIntervalMs: env.AWARENESS_PRUNE_INTERVAL_MS,
      healthCheckTimeoutMs: env.HEALTH_CHECK_TIMEOUT_MS,
      historyRetentionMs: env.HISTORY_RETENTION_MS,
      maxDeltaBytes: env.MAX_DELTA_BYTES,
      maxSnapshotBytes: env.MAX_SNAPSHOT_BYTES,
      maxJsonDepth: env.MAX_JSON_DEPTH,
      maxClockEntries: env.MAX_CLOCK_ENTRIES,
      maxDocumentAuthors: env.MAX_DOCUMENT_AUTHORS,
      maxBatchDeltas: env.MAX_BATCH_DELTAS,
      maxAwarenessBytes: env.MAX_AWARENESS_BYTES,
      maxAwarenessEntriesPerDocument: env.MAX_AWARENESS_ENTRIES_PER_DOCUMENT,
      // The database variables configure the postgres driver only.
      ...(env.STORAGE_DRIVER === 'postgres'
        ? {
            driver: 'postgres' as const,
            clientUrl: env.DATABASE_URL,
            schema: env.DATABASE_SCHEMA,
            migrate: env.STORAGE_MIGRATE,
            pool: env.DATABASE_POOL_MAX === undefined ? undefined : { max: env.DATABASE_POOL_MAX },
          }
        : { driver: 'memory' as const }),
    }),
  }));

/** The names of the variables the app reads (for tests that give a process a clean environment). */
export const APP_VARIABLES: readonly string[] = Object.keys(environment.in.shape);

/** Thrown for a bad environment; its message is one line naming each bad variable and never a value. */
export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
}

/** `ConfigModule`'s `validate`: an empty or blank variable counts as unset. */
export function validateAppConfig(raw: Record<string, unknown>): AppConfig {
  const set = Object.entries(raw).filter(([, value]) => typeof value !== 'string' || value.trim() !== '');
  const result = environment.safeParse(
    Object.fromEntries(set.map(([name, value]) => [name, typeof value === 'string' ? value.trim() : value])),
  );
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
  throw new InvalidEnvironmentError(`invalid environment: ${problems.join('; ')}`);
}

function withoutUnset<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}
