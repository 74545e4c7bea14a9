import type { StorageModuleOptions } from '../storage/contract/options.js';

/** The sync app's environment, validated at boot. */
export interface AppEnvironment {
  PORT: number;
  STORAGE_DRIVER: 'memory' | 'postgres';
  DATABASE_URL?: string;
  DATABASE_SCHEMA?: string;
  DATABASE_POOL_MAX?: number;
  STORAGE_MIGRATE: boolean;
  AWARENESS_TIMEOUT_MS?: number;
  AWARENESS_PRUNE_INTERVAL_MS?: number;
  HEALTH_CHECK_TIMEOUT_MS?: number;
  MAX_DELTA_BYTES?: number;
  MAX_SNAPSHOT_BYTES?: number;
}

const INTEGER_VARIABLES = [
  'DATABASE_POOL_MAX',
  'AWARENESS_TIMEOUT_MS',
  'AWARENESS_PRUNE_INTERVAL_MS',
  'HEALTH_CHECK_TIMEOUT_MS',
  'MAX_DELTA_BYTES',
  'MAX_SNAPSHOT_BYTES',
] as const;

/** `ConfigModule`'s `validate`: throws one message naming every bad variable (never echoing a value). */
export function validateAppEnvironment(raw: Record<string, unknown>): AppEnvironment {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = raw[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const integer = (name: string, fallback?: number): number | undefined => {
    const value = text(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) problems.push(`${name} must be a whole number`);
    return Number(value);
  };

  const driver = text('STORAGE_DRIVER') ?? 'memory';
  if (driver !== 'memory' && driver !== 'postgres') problems.push(`STORAGE_DRIVER must be 'memory' or 'postgres'`);
  const port = integer('PORT', 3000)!;
  if (port > 65535) problems.push('PORT must be at most 65535');
  const databaseUrl = text('DATABASE_URL');
  if (driver === 'postgres' && databaseUrl === undefined)
    problems.push(`DATABASE_URL is required when STORAGE_DRIVER is 'postgres'`);
  const migrate = text('STORAGE_MIGRATE') ?? 'true';
  if (migrate !== 'true' && migrate !== 'false') problems.push(`STORAGE_MIGRATE must be 'true' or 'false'`);

  const environment: AppEnvironment = {
    PORT: port,
    STORAGE_DRIVER: driver as AppEnvironment['STORAGE_DRIVER'],
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: text('DATABASE_SCHEMA'),
    STORAGE_MIGRATE: migrate === 'true',
  };
  for (const name of INTEGER_VARIABLES) environment[name] = integer(name);
  if (problems.length > 0) throw new Error(`Invalid environment: ${problems.join('; ')}`);
  return environment;
}

/** Maps the validated environment onto `StorageModule` options. */
export function storageOptionsFromEnvironment(env: AppEnvironment): StorageModuleOptions {
  const options: StorageModuleOptions = {
    driver: env.STORAGE_DRIVER,
    awarenessTimeoutMs: env.AWARENESS_TIMEOUT_MS,
    awarenessPruneIntervalMs: env.AWARENESS_PRUNE_INTERVAL_MS,
    healthCheckTimeoutMs: env.HEALTH_CHECK_TIMEOUT_MS,
    maxDeltaBytes: env.MAX_DELTA_BYTES,
    maxSnapshotBytes: env.MAX_SNAPSHOT_BYTES,
  };
  if (env.STORAGE_DRIVER === 'postgres') {
    Object.assign(options, {
      clientUrl: env.DATABASE_URL,
      schema: env.DATABASE_SCHEMA,
      migrate: env.STORAGE_MIGRATE,
      pool: env.DATABASE_POOL_MAX === undefined ? undefined : { max: env.DATABASE_POOL_MAX },
    });
  }
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as StorageModuleOptions;
}
