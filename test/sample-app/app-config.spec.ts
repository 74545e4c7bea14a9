import { validateAppConfig } from '../../sample/sync-app/src/config/app.config.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';

/** The message validateAppConfig rejects `env` with. */
function problemWith(env: Record<string, string>): string {
  try {
    validateAppConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the environment was accepted');
}

const DEFAULT_LIMITS = { maxDeltaBytes: 1_048_576, maxSnapshotBytes: 67_108_864, maxJsonDepth: 64 };
const DEFAULT_HTTP = {
  host: '127.0.0.1',
  port: 3000,
  eventsHeartbeatMs: 15_000,
  eventsMaxBufferedBytes: 1_048_576,
  maxResponseBytes: 33_554_432,
};
const TOKEN = 'Sup3rS3cretT0ken-2026';

describe("the sample app's environment", () => {
  it('listens on 127.0.0.1:3000 without a token, with the memory driver and the default limits when nothing is set', () => {
    expect(validateAppConfig({})).toEqual({
      http: DEFAULT_HTTP,
      metrics: { enabled: false },
      storage: { driver: 'memory', ...DEFAULT_LIMITS },
    });
  });

  it('treats empty or blank variables as unset', () => {
    expect(validateAppConfig({ HOST: ' ', PORT: '', STORAGE_DRIVER: '  ', AWARENESS_TIMEOUT_MS: '' })).toEqual(
      validateAppConfig({}),
    );
  });

  it('turns metrics on with METRICS_ENABLED=true only, and names the variable for anything but true or false', () => {
    expect(validateAppConfig({ METRICS_ENABLED: 'true' }).metrics).toEqual({ enabled: true });
    expect(validateAppConfig({ METRICS_ENABLED: 'false' }).metrics).toEqual({ enabled: false });
    expect(() => validateAppConfig({ METRICS_ENABLED: 'yes' })).toThrow(/^invalid environment: METRICS_ENABLED /);
  });

  it('listens where HOST and PORT say', () => {
    expect(validateAppConfig({ HOST: '0.0.0.0', PORT: '8080' }).http).toMatchObject({ host: '0.0.0.0', port: 8080 });
  });

  it('takes the API token, the heartbeat and buffer bound of event streams and the response budget from the environment', () => {
    expect(
      validateAppConfig({
        API_TOKEN: TOKEN,
        EVENTS_HEARTBEAT_MS: '500',
        EVENTS_MAX_BUFFERED_BYTES: '65536',
        MAX_RESPONSE_BYTES: '65536',
      }).http,
    ).toEqual({
      ...DEFAULT_HTTP,
      apiToken: TOKEN,
      eventsHeartbeatMs: 500,
      eventsMaxBufferedBytes: 65_536,
      maxResponseBytes: 65_536,
    });
  });

  it.each<[string, Record<string, string>, Record<string, unknown>]>([
    [
      'the timeouts and size limits',
      {
        AWARENESS_TIMEOUT_MS: '15000',
        AWARENESS_PRUNE_INTERVAL_MS: '0',
        HEALTH_CHECK_TIMEOUT_MS: '500',
        MAX_DELTA_BYTES: '2048',
        MAX_SNAPSHOT_BYTES: '4096',
        MAX_JSON_DEPTH: '16',
        MAX_CLOCK_ENTRIES: '100',
        MAX_BATCH_DELTAS: '50',
        MAX_AWARENESS_BYTES: '512',
        MAX_AWARENESS_ENTRIES_PER_DOCUMENT: '20',
      },
      {
        driver: 'memory',
        awarenessTimeoutMs: 15000,
        awarenessPruneIntervalMs: 0,
        healthCheckTimeoutMs: 500,
        maxDeltaBytes: 2048,
        maxSnapshotBytes: 4096,
        maxJsonDepth: 16,
        maxClockEntries: 100,
        maxBatchDeltas: 50,
        maxAwarenessBytes: 512,
        maxAwarenessEntriesPerDocument: 20,
      },
    ],
    [
      'no database variable for the memory driver',
      { DATABASE_URL: 'postgresql://db/sync', DATABASE_SCHEMA: 'sync', DATABASE_POOL_MAX: '5' },
      { driver: 'memory', ...DEFAULT_LIMITS },
    ],
    [
      'every database variable for the postgres driver',
      {
        STORAGE_DRIVER: 'postgres',
        DATABASE_URL: 'postgresql://app:pw@db:5432/sync',
        DATABASE_SCHEMA: 'sync',
        DATABASE_POOL_MAX: '5',
        STORAGE_MIGRATE: 'false',
      },
      {
        driver: 'postgres',
        clientUrl: 'postgresql://app:pw@db:5432/sync',
        schema: 'sync',
        pool: { max: 5 },
        migrate: false,
        ...DEFAULT_LIMITS,
      },
    ],
    [
      'migrations on and no pool or schema when those are unset',
      { STORAGE_DRIVER: 'postgres', DATABASE_URL: 'postgresql://db/sync' },
      { driver: 'postgres', clientUrl: 'postgresql://db/sync', migrate: true, ...DEFAULT_LIMITS },
    ],
  ])('maps %s onto the storage options', (_case, env, options) => {
    const { storage } = validateAppConfig(env);
    expect(storage).toEqual(options);
    // Whatever the app accepts, the module accepts too.
    expect(() => resolveStorageOptions(storage)).not.toThrow();
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown STORAGE_DRIVER', { STORAGE_DRIVER: 'bogus' }, 'STORAGE_DRIVER'],
    ['postgres without DATABASE_URL', { STORAGE_DRIVER: 'postgres' }, 'DATABASE_URL'],
    ['a PORT that is not a number', { PORT: 'eighty' }, 'PORT'],
    ['a PORT above 65535', { PORT: '70000' }, 'PORT'],
    ['a fractional AWARENESS_TIMEOUT_MS', { AWARENESS_TIMEOUT_MS: '1.5' }, 'AWARENESS_TIMEOUT_MS'],
    ['a negative HEALTH_CHECK_TIMEOUT_MS', { HEALTH_CHECK_TIMEOUT_MS: '-1' }, 'HEALTH_CHECK_TIMEOUT_MS'],
    ['a MAX_DELTA_BYTES with a unit', { MAX_DELTA_BYTES: '1MB' }, 'MAX_DELTA_BYTES'],
    ['a MAX_SNAPSHOT_BYTES in exponent form', { MAX_SNAPSHOT_BYTES: '1e6' }, 'MAX_SNAPSHOT_BYTES'],
    ['a DATABASE_POOL_MAX that is not a number', { DATABASE_POOL_MAX: 'ten' }, 'DATABASE_POOL_MAX'],
    ['a STORAGE_MIGRATE other than true or false', { STORAGE_MIGRATE: 'yes' }, 'STORAGE_MIGRATE'],
    ['an API_TOKEN shorter than 16 characters', { API_TOKEN: 'short' }, 'API_TOKEN'],
    ['an API_TOKEN holding a space', { API_TOKEN: 'a token with spaces in it' }, 'API_TOKEN'],
    ['an EVENTS_HEARTBEAT_MS of 0', { EVENTS_HEARTBEAT_MS: '0' }, 'EVENTS_HEARTBEAT_MS'],
    ['a MAX_RESPONSE_BYTES below 1024', { MAX_RESPONSE_BYTES: '100' }, 'MAX_RESPONSE_BYTES'],
    ['a MAX_JSON_DEPTH that is not a number', { MAX_JSON_DEPTH: 'deep' }, 'MAX_JSON_DEPTH'],
    [
      'a MAX_AWARENESS_ENTRIES_PER_DOCUMENT with a sign',
      { MAX_AWARENESS_ENTRIES_PER_DOCUMENT: '+5' },
      'MAX_AWARENESS_ENTRIES_PER_DOCUMENT',
    ],
  ])('rejects %s with a message naming the variable', (_case, env, variable) => {
    expect(problemWith(env)).toMatch(new RegExp(`^invalid environment: ${variable} `));
  });

  it.each([
    ['DATABASE_POOL_MAX', { STORAGE_DRIVER: 'postgres', DATABASE_URL: 'postgresql://db/sync' }],
    ['AWARENESS_TIMEOUT_MS', {}],
    ['HEALTH_CHECK_TIMEOUT_MS', {}],
    ['MAX_DELTA_BYTES', {}],
    ['MAX_SNAPSHOT_BYTES', {}],
    ['MAX_JSON_DEPTH', {}],
    ['MAX_CLOCK_ENTRIES', {}],
    ['MAX_DOCUMENT_AUTHORS', {}],
    ['MAX_BATCH_DELTAS', {}],
    ['MAX_AWARENESS_BYTES', {}],
    ['MAX_AWARENESS_ENTRIES_PER_DOCUMENT', {}],
  ])('rejects %s=0, which the module would refuse, in one line naming the variable', (variable, rest) => {
    const message = problemWith({ ...rest, [variable]: '0' });
    expect(message).toMatch(new RegExp(`^invalid environment: ${variable} must be at least 1$`));
  });

  it('names every bad variable in one line', () => {
    const message = problemWith({ STORAGE_DRIVER: 'postgres', PORT: 'x', STORAGE_MIGRATE: 'maybe' });
    for (const variable of ['DATABASE_URL', 'PORT', 'STORAGE_MIGRATE']) expect(message).toContain(variable);
    expect(message).not.toContain('\n');
  });

  it('never repeats the value of a variable in its message', () => {
    const message = problemWith({
      STORAGE_DRIVER: 'postgresql://app:Sup3rS3cret@db/sync',
      PORT: 'Sup3rS3cret',
      MAX_DELTA_BYTES: 'Sup3rS3cret',
      API_TOKEN: 'Sup3rS3cret',
    });
    expect(message).toContain('STORAGE_DRIVER');
    expect(message).toContain('API_TOKEN');
    expect(message).not.toContain('Sup3rS3cret');
  });
});
