import type { StorageProvider } from '../../src/index.js';
import { resolveStorageOptions } from '../../src/storage/contract/options.js';
import { PostgresStorageProvider } from '../../src/storage/postgres/postgres-storage.provider.js';
import { recordChanges } from '../conformance/change-recorder.js';
import { makeDelta } from '../conformance/conformance-helpers.js';
import { eventually } from '../fixtures/eventually.js';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.js';
import { runSql } from '../support/sql.js';

// A server of this file's own: the test kills and restarts it.
let server: PostgresServer;
let writer: StorageProvider;
let reader: StorageProvider;

const open = async (migrate: boolean): Promise<StorageProvider> => {
  const provider = new PostgresStorageProvider(
    resolveStorageOptions({ driver: 'postgres', clientUrl: server.url('feed'), migrate }),
  );
  await provider.initialize();
  return provider;
};

beforeAll(async () => {
  server = await startPostgresServer();
  await runSql(server.url(), 'create database feed');
  writer = await open(true);
  reader = await open(false);
}, 120_000);

afterAll(async () => {
  await Promise.all([writer?.close(), reader?.close()]);
  await server?.destroy();
});

describe('the change feed when the database goes away', () => {
  it('delivers every change after the server is killed and restarted, with contiguous versions and no resync', async () => {
    const one = recordChanges(reader, 'doc', { keepResync: true });
    const all = recordChanges(reader, undefined, { keepResync: true });
    await reader.documents.addDelta('doc', makeDelta('before', 'a', 1));
    const before = { documentId: 'doc', kind: 'deltas', deltaIds: ['before'], version: 1, source: 'local' };
    expect(await one.received(1)).toEqual([before]);
    expect(await all.received(1)).toEqual([before]);

    await server.kill();
    await server.start();
    // Nothing restarts the process: the pools and the listening connection come back by themselves.
    await eventually(
      async () => (await writer.documents.addDelta('doc', makeDelta('after', 'a', 2)).catch(() => false)) !== false,
      'the writer stores again after the restart',
      30_000,
    );
    const after = { documentId: 'doc', kind: 'deltas', deltaIds: ['after'], version: 2, source: 'remote' };
    expect(await one.received(2, 30_000)).toEqual([before, after]);
    expect(await all.received(2, 30_000)).toEqual([before, after]);
    one.stop();
    all.stop();
  });
});
