import { storageOptionsFromEnvironment, validateAppEnvironment } from '../../src/app/app.config.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';

/** The message validateAppEnvironment rejects `env` with. */
function problemWith(env: Record<string, string>): string {
  try {
    validateAppEnvironment(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the environment was accepted');
}

describe('validateAppEnvironment', () => {
  it('runs the memory driver on port 3000 when nothing is set', () => {
    expect(validateAppEnvironment({})).toMatchObject({ PORT: 3000, STORAGE_DRIVER: 'memory', STORAGE_MIGRATE: true });
  });

  it('treats empty or blank variables as unset', () => {
    expect(validateAppEnvironment({ PORT: '', STORAGE_DRIVER: '  ', AWARENESS_TIMEOUT_MS: '' })).toMatchObject({
      PORT: 3000,
      STORAGE_DRIVER: 'memory',
      AWARENESS_TIMEOUT_MS: undefined,
    });
  });

  it('reads numbers as numbers and STORAGE_MIGRATE as a boolean', () => {
    const env = validateAppEnvironment({
      PORT: '8080',
      STORAGE_DRIVER: 'postgres',
      DATABASE_URL: 'postgresql://app:pw@db:5432/sync',
      DATABASE_POOL_MAX: '20',
      STORAGE_MIGRATE: 'false',
      AWARENESS_TIMEOUT_MS: '15000',
      HEALTH_CHECK_TIMEOUT_MS: '500',
      MAX_DELTA_BYTES: '2048',
      MAX_SNAPSHOT_BYTES: '4096',
    });
    expect(env).toEqual({
      PORT: 8080,
      STORAGE_DRIVER: 'postgres',
      DATABASE_URL: 'postgresql://app:pw@db:5432/sync',
      DATABASE_SCHEMA: undefined,
      DATABASE_POOL_MAX: 20,
      STORAGE_MIGRATE: false,
      AWARENESS_TIMEOUT_MS: 15000,
      HEALTH_CHECK_TIMEOUT_MS: 500,
      MAX_DELTA_BYTES: 2048,
      MAX_SNAPSHOT_BYTES: 4096,
    });
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
  ])('rejects %s with a message naming the variable', (_case, env, variable) => {
    expect(problemWith(env)).toContain(variable);
  });

  it('names every bad variable in one message', () => {
    const message = problemWith({ STORAGE_DRIVER: 'postgres', PORT: 'x', STORAGE_MIGRATE: 'maybe' });
    for (const variable of ['DATABASE_URL', 'PORT', 'STORAGE_MIGRATE']) expect(message).toContain(variable);
  });

  it('never repeats the value of a variable in its message', () => {
    const message = problemWith({
      STORAGE_DRIVER: 'postgresql://app:Sup3rS3cret@db/sync',
      PORT: 'Sup3rS3cret',
      DATABASE_URL: 'postgresql://app:Sup3rS3cret@db/sync',
    });
    expect(message).not.toContain('Sup3rS3cret');
  });
});

describe('storageOptionsFromEnvironment', () => {
  it('gives the memory driver with no other option when nothing is set', () => {
    expect(storageOptionsFromEnvironment(validateAppEnvironment({}))).toEqual({ driver: 'memory' });
  });

  it('maps the timeouts and size limits onto the module options', () => {
    const env = validateAppEnvironment({
      AWARENESS_TIMEOUT_MS: '15000',
      HEALTH_CHECK_TIMEOUT_MS: '500',
      MAX_DELTA_BYTES: '2048',
      MAX_SNAPSHOT_BYTES: '4096',
    });
    expect(storageOptionsFromEnvironment(env)).toEqual({
      driver: 'memory',
      awarenessTimeoutMs: 15000,
      healthCheckTimeoutMs: 500,
      maxDeltaBytes: 2048,
      maxSnapshotBytes: 4096,
    });
  });

  it('leaves the database variables out for the memory driver', () => {
    const env = validateAppEnvironment({
      DATABASE_URL: 'postgresql://db/sync',
      DATABASE_SCHEMA: 'sync',
      DATABASE_POOL_MAX: '5',
    });
    expect(storageOptionsFromEnvironment(env)).toEqual({ driver: 'memory' });
  });

  it('maps the database variables for the postgres driver', () => {
    const env = validateAppEnvironment({
      STORAGE_DRIVER: 'postgres',
      DATABASE_URL: 'postgresql://app:pw@db:5432/sync',
      DATABASE_SCHEMA: 'sync',
      DATABASE_POOL_MAX: '5',
      STORAGE_MIGRATE: 'false',
    });
    expect(storageOptionsFromEnvironment(env)).toEqual({
      driver: 'postgres',
      clientUrl: 'postgresql://app:pw@db:5432/sync',
      schema: 'sync',
      pool: { max: 5 },
      migrate: false,
    });
  });

  it('gives postgres options with migrations on and no pool or schema when those are unset', () => {
    const env = validateAppEnvironment({ STORAGE_DRIVER: 'postgres', DATABASE_URL: 'postgresql://db/sync' });
    expect(storageOptionsFromEnvironment(env)).toEqual({
      driver: 'postgres',
      clientUrl: 'postgresql://db/sync',
      migrate: true,
    });
  });

  it.each<[string, Record<string, string>]>([
    ['an empty environment', {}],
    ['memory with limits', { AWARENESS_TIMEOUT_MS: '100', MAX_DELTA_BYTES: '10' }],
    [
      'postgres with pool and schema',
      {
        STORAGE_DRIVER: 'postgres',
        DATABASE_URL: 'postgres://db/sync',
        DATABASE_POOL_MAX: '3',
        DATABASE_SCHEMA: 'app',
      },
    ],
  ])('maps a valid environment (%s) to options the module accepts', (_case, raw) => {
    expect(() => resolveStorageOptions(storageOptionsFromEnvironment(validateAppEnvironment(raw)))).not.toThrow();
  });
});
