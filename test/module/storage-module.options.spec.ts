import { Test } from '@nestjs/testing';
import { StorageModule, StorageValidationError, type StorageModuleOptions } from '../../src/index.js';

/** Compiles a module around `options` and returns what start-up rejected with. */
async function startUpError(storage: ReturnType<typeof StorageModule.forRoot>): Promise<Error> {
  let moduleRef;
  try {
    moduleRef = await Test.createTestingModule({ imports: [storage] }).compile();
  } catch (error) {
    return error as Error;
  }
  await moduleRef.close();
  throw new Error('start-up succeeded with bad options');
}

const forRoot = (options: unknown) => StorageModule.forRoot(options as StorageModuleOptions);

/** A valid value of each connection option, to put beside `orm`. */
const CONNECTION_VALUES = {
  clientUrl: 'postgres://db/sync',
  host: 'db',
  port: 5432,
  user: 'app',
  password: 'secret',
  dbName: 'sync',
  pool: { max: 2 },
  ssl: true,
  mikroOrm: { debug: false },
};

describe('StorageModule options are checked at start-up', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a missing driver', {}, 'options.driver'],
    ['an unknown driver', { driver: 'sqlite' }, 'options.driver'],
    ['awarenessTimeoutMs 0', { driver: 'memory', awarenessTimeoutMs: 0 }, 'options.awarenessTimeoutMs'],
    ['awarenessTimeoutMs -1', { driver: 'memory', awarenessTimeoutMs: -1 }, 'options.awarenessTimeoutMs'],
    ['awarenessTimeoutMs 1.5', { driver: 'memory', awarenessTimeoutMs: 1.5 }, 'options.awarenessTimeoutMs'],
    ["awarenessTimeoutMs '5'", { driver: 'memory', awarenessTimeoutMs: '5' }, 'options.awarenessTimeoutMs'],
    ['awarenessTimeoutMs NaN', { driver: 'memory', awarenessTimeoutMs: Number.NaN }, 'options.awarenessTimeoutMs'],
    ['historyRetentionMs -1', { driver: 'memory', historyRetentionMs: -1 }, 'options.historyRetentionMs'],
    ['historyRetentionMs 1.5', { driver: 'memory', historyRetentionMs: 1.5 }, 'options.historyRetentionMs'],
    ["historyRetentionMs '60000'", { driver: 'memory', historyRetentionMs: '60000' }, 'options.historyRetentionMs'],
    [
      'awarenessPruneIntervalMs -1',
      { driver: 'memory', awarenessPruneIntervalMs: -1 },
      'options.awarenessPruneIntervalMs',
    ],
    ['healthCheckTimeoutMs 0', { driver: 'memory', healthCheckTimeoutMs: 0 }, 'options.healthCheckTimeoutMs'],
    ["healthCheckTimeoutMs '1000'", { driver: 'memory', healthCheckTimeoutMs: '1000' }, 'options.healthCheckTimeoutMs'],
    ['maxDeltaBytes 0', { driver: 'memory', maxDeltaBytes: 0 }, 'options.maxDeltaBytes'],
    ['maxDeltaBytes 2.5', { driver: 'memory', maxDeltaBytes: 2.5 }, 'options.maxDeltaBytes'],
    ['maxSnapshotBytes -1', { driver: 'memory', maxSnapshotBytes: -1 }, 'options.maxSnapshotBytes'],
    [
      'maxSnapshotBytes Infinity',
      { driver: 'memory', maxSnapshotBytes: Number.POSITIVE_INFINITY },
      'options.maxSnapshotBytes',
    ],
    ['an unknown option key', { driver: 'memory', awarenessTimeout: 5000 }, 'options.awarenessTimeout'],
    ['postgres without clientUrl or host', { driver: 'postgres' }, 'options.clientUrl'],
    [
      'a listenUrl that is not a postgres URL',
      { driver: 'postgres', clientUrl: 'postgres://pooler/sync', listenUrl: 'http://db/sync' },
      'options.listenUrl',
    ],
    [
      'a listenUrl with a query parameter the driver does not honour',
      { driver: 'postgres', clientUrl: 'postgres://pooler/sync', listenUrl: 'postgres://db/sync?pgbouncer=true' },
      'options.listenUrl',
    ],
    [
      'an empty listenUrl',
      { driver: 'postgres', clientUrl: 'postgres://pooler/sync', listenUrl: '' },
      'options.listenUrl',
    ],
    ['a listenUrl for the memory driver', { driver: 'memory', listenUrl: 'postgres://db/sync' }, 'options.listenUrl'],
    [
      'postgres with a clientUrl that is not a URL',
      { driver: 'postgres', clientUrl: 'not a url' },
      'options.clientUrl',
    ],
    [
      'postgres with a clientUrl of another database',
      { driver: 'postgres', clientUrl: 'mysql://u@h/db' },
      'options.clientUrl',
    ],
    [
      'postgres with a port out of range',
      { driver: 'postgres', host: 'db', dbName: 'sync', port: 70000 },
      'options.port',
    ],
    [
      'postgres with a pool min above max',
      { driver: 'postgres', clientUrl: 'postgres://db/sync', pool: { min: 5, max: 2 } },
      'options.pool.min',
    ],
    [
      'postgres with a bad schema name',
      { driver: 'postgres', clientUrl: 'postgres://db/sync', schema: 'a;drop' },
      'options.schema',
    ],
    ...['maxClockEntries', 'maxJsonDepth', 'maxBatchDeltas', 'maxAwarenessBytes', 'maxAwarenessEntriesPerDocument'].map(
      (limit): [string, Record<string, unknown>, string] => [
        `${limit} 0`,
        { driver: 'memory', [limit]: 0 },
        `options.${limit}`,
      ],
    ),
    ['maxJsonDepth past what the stack can take', { driver: 'memory', maxJsonDepth: 5000 }, 'options.maxJsonDepth'],
    [
      'a clientUrl query parameter the driver does not honour',
      { driver: 'postgres', clientUrl: 'postgres://db/sync?application_name=x' },
      'options.clientUrl',
    ],
    [
      'a clientUrl schema parameter (MikroORM would read it, the driver uses options.schema)',
      { driver: 'postgres', clientUrl: 'postgres://db/sync?schema=other' },
      'options.clientUrl',
    ],
    [
      'an sslmode libpq has but the driver does not honour',
      { driver: 'postgres', clientUrl: 'postgres://db/sync?sslmode=allow' },
      'options.clientUrl',
    ],
    [
      'both an sslmode and options.ssl',
      { driver: 'postgres', clientUrl: 'postgres://db/sync?sslmode=require', ssl: true },
      'options.ssl',
    ],
    ['ssl of a wrong type', { driver: 'postgres', clientUrl: 'postgres://db/sync', ssl: 'yes' }, 'options.ssl'],
    [
      'ssl with a setting the driver does not take',
      { driver: 'postgres', clientUrl: 'postgres://db/sync', ssl: { minVersion: 'TLSv1' } },
      'options.ssl.minVersion',
    ],
    ...['schema', 'dbName', 'entities', 'migrations', 'clientUrl', 'driver', 'extensions'].map(
      (key): [string, Record<string, unknown>, string] => [
        `mikroOrm.${key}, which decides where data goes`,
        { driver: 'postgres', clientUrl: 'postgres://db/sync', mikroOrm: { [key]: 'other' } },
        `options.mikroOrm.${key}`,
      ],
    ),
    ['orm on the memory driver', { driver: 'memory', orm: { em: {}, config: {} } }, 'options.orm'],
    ...(['clientUrl', 'host', 'port', 'user', 'password', 'dbName', 'pool', 'ssl', 'mikroOrm'] as const).map(
      (key): [string, Record<string, unknown>, string] => [
        `${key} on the memory driver, which would otherwise run in memory unnoticed`,
        { driver: 'memory', [key]: CONNECTION_VALUES[key] },
        `options.${key}`,
      ],
    ),
    ['schema on the memory driver', { driver: 'memory', schema: 'sync' }, 'options.schema'],
    ['migrate on the memory driver', { driver: 'memory', migrate: true }, 'options.migrate'],
    ['an orm that is not an object', { driver: 'postgres', orm: 'postgres://db/sync' }, 'options.orm'],
    ['an orm without an EntityManager', { driver: 'postgres', orm: { config: {} } }, 'options.orm'],
    ...(['clientUrl', 'host', 'port', 'user', 'password', 'dbName', 'ssl', 'mikroOrm'] as const).map(
      (key): [string, Record<string, unknown>, string] => [
        `${key} beside orm`,
        { driver: 'postgres', orm: { em: {}, config: {} }, [key]: CONNECTION_VALUES[key] },
        `options.${key}`,
      ],
    ),
    [
      'a database or TLS setting slipped in through mikroOrm.driverOptions.connection',
      {
        driver: 'postgres',
        clientUrl: 'postgres://db/sync',
        mikroOrm: { driverOptions: { connection: { database: 'x' } } },
      },
      'options.mikroOrm.driverOptions.connection.database',
    ],
  ])('%s fails start-up with a StorageValidationError naming the option', async (_case, options, option) => {
    const error = await startUpError(forRoot(options));
    expect(error).toBeInstanceOf(StorageValidationError);
    expect((error as StorageValidationError).argument).toBe(option);
    expect(error.message).toContain(option);
  });

  it("names the conflict when connection options come with the app's orm", async () => {
    const error = await startUpError(
      forRoot({ driver: 'postgres', orm: { em: {}, config: {} }, clientUrl: 'postgres://db/x' }),
    );
    expect(error.message).toBe(
      "options.clientUrl cannot be combined with options.orm: the app's ORM owns the connection",
    );
  });

  it('bad options returned by a forRootAsync factory fail start-up the same way', async () => {
    const error = await startUpError(
      StorageModule.forRootAsync({ useFactory: () => ({ driver: 'memory' as const, maxDeltaBytes: -1 }) }),
    );
    expect(error.message).toContain('options.maxDeltaBytes');
  });

  it('a forRootAsync factory that returns no object fails start-up naming the options', async () => {
    const error = await startUpError(
      StorageModule.forRootAsync({ useFactory: () => null as unknown as StorageModuleOptions }),
    );
    expect(error).toBeInstanceOf(StorageValidationError);
    expect(error.message).toMatch(/^options /);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a clientUrl of another database', { clientUrl: 'mysql://app:Sup3rS3cret@db.internal:5432/sync' }],
    ['a clientUrl that does not parse', { clientUrl: 'postgres://app:Sup3rS3cret@db.internal:notaport/sync' }],
    ['a bad port beside a password', { host: 'db.internal', dbName: 'sync', password: 'Sup3rS3cret', port: -1 }],
    ['an unknown key beside a password', { clientUrl: 'postgres://app:Sup3rS3cret@db/sync', passwrd: 'Sup3rS3cret' }],
    ['a password that is not a string', { host: 'db.internal', dbName: 'sync', password: ['Sup3rS3cret'] }],
  ])('the start-up error for %s never shows the password', async (_case, options) => {
    const error = await startUpError(forRoot({ driver: 'postgres', ...options }));
    expect(error).toBeInstanceOf(StorageValidationError);
    expect(error.message).not.toContain('Sup3rS3cret');
    expect(error.message).not.toContain('db.internal');
  });
});
