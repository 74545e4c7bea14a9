import type { StorageHostOrm, StorageModuleOptions } from '../../src/index.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';

// `npm run typecheck` checks this file: each `@ts-expect-error` fails the check if the line below it compiles.
const orm = { em: {}, config: {} } as StorageHostOrm;

const wrongCombinations: unknown[] = [
  // @ts-expect-error the memory driver takes no connection
  { driver: 'memory', clientUrl: 'postgres://db/sync' } satisfies StorageModuleOptions,
  // @ts-expect-error the memory driver has no schema
  { driver: 'memory', schema: 'sync' } satisfies StorageModuleOptions,
  // @ts-expect-error with orm, the app's ORM owns the connection
  { driver: 'postgres', orm, clientUrl: 'postgres://db/sync' } satisfies StorageModuleOptions,
  // @ts-expect-error with orm, the app's ORM is configured itself
  { driver: 'postgres', orm, mikroOrm: { debug: false } } satisfies StorageModuleOptions,
  // @ts-expect-error host and orm both say where data goes
  { driver: 'postgres', orm, host: 'db' } satisfies StorageModuleOptions,
];

const rightCombinations: StorageModuleOptions[] = [
  { driver: 'memory', maxDeltaBytes: 1024 },
  { driver: 'postgres', clientUrl: 'postgres://db/sync', schema: 'sync', pool: { max: 2 } },
  { driver: 'postgres', host: 'db', dbName: 'sync', ssl: true, mikroOrm: { debug: false } },
  { driver: 'postgres', orm: { em: {}, config: {} }, schema: 'sync', pool: { max: 2 }, migrate: false },
];

describe('StorageModuleOptions', () => {
  it('refuses at start-up each combination the types refuse, for callers without the type check', () => {
    for (const options of wrongCombinations) expect(() => resolveStorageOptions(options)).toThrow(/^options\./);
  });

  it('accepts each combination the types accept', () => {
    for (const options of rightCombinations) expect(resolveStorageOptions(options).driver).toBe(options.driver);
  });
});
