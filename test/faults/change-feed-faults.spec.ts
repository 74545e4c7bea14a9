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
  it('tells every subscriber to resync after the server is killed and restarted, then delivers changes again', async () => {
    const one = recordChanges(reader, 'doc', { keepResync: true });
    const all = recordChanges(reader, undefined, { keepResync: true });
    // The reader's own write waits for its listening connection: once both hear it, they listen.
    await reader.documents.addDelta('doc', makeDelta('before', 'a', 1));
    // Each first hears the resync of the connection coming up, then the delta.
    await one.received(2);
    await all.received(2);

    await server.kill();
    await server.start();
    // Nothing restarts the process: the listening connection comes back by itself.
    const resyncs = (changes: readonly { kind: string }[]): number => changes.filter((c) => c.kind === 'resync').length;
    await one.until((changes) => resyncs(changes) === 2, 30_000);
    await all.until((changes) => resyncs(changes) === 2, 30_000);
    expect(one.changes.slice(2)).toEqual([{ documentId: 'doc', kind: 'resync', source: 'local' }]);
    expect(all.changes.slice(2)).toEqual([{ documentId: null, kind: 'resync', source: 'local' }]);

    // The writer's pool recovers too; its next write reaches the reader's subscribers.
    await eventually(
      async () => (await writer.documents.addDelta('doc', makeDelta('after', 'a', 2)).catch(() => false)) !== false,
      'the writer stores again after the restart',
      30_000,
    );
    const expected = { documentId: 'doc', kind: 'deltas', deltaIds: ['after'], source: 'remote' };
    expect((await one.received(4))[3]).toEqual(expected);
    expect((await all.received(4))[3]).toEqual(expected);
    one.stop();
    all.stop();
  });
});
