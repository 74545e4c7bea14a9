import pg from 'pg';
import type { StorageProvider } from '../../src/index.js';
import { loadYDoc } from '../../src/yjs/index.js';
import { eventually, sleep } from '../fixtures/eventually.js';
import { fixtureScript } from '../support/built-package.js';
import { exitOf, PROCESS_BOUND_MS, runNode } from '../support/node-process.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { clientSettled, connectClient, startServer, type TestClient, type TestServer } from './support/hocuspocus.js';
import { holdableStorage } from './support/shared-storage.js';
import { TEXT } from './support/yjs-content.js';

/** "Saved" as an app shows it: the provider has no update its server has not acknowledged. */
const acknowledged = ({ provider }: TestClient): boolean => provider.unsyncedChanges === 0;

describe('a Hocuspocus acknowledgement (SyncStatus) on PostgreSQL means the update is stored', () => {
  let database: TestDatabase;
  let schema: string;
  let provider: StorageProvider;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  const storedText = async (documentName: string): Promise<string> =>
    (await loadYDoc(provider.documents, documentName)).doc.getText(TEXT).toString();
  const join = async (url: string, documentName: string): Promise<TestClient> => {
    const client = connectClient(url, documentName);
    clients.push(client);
    await eventually(() => clientSettled(client), 'the client is synced', PROCESS_BOUND_MS);
    return client;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    schema = uniqueName('ack');
    provider = await database.createProvider({ schema });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(() => database?.drop());

  it('does not acknowledge an edit while the document row is locked by another session, and acknowledges it stored once released', async () => {
    const server = await startServer(
      'A',
      holdableStorage(provider, async () => undefined),
    );
    servers.push(server);
    const client = await join(server.url, 'locked');
    client.doc.getText(TEXT).insert(0, 'first');
    await eventually(() => acknowledged(client), 'the first edit is acknowledged');
    expect(await storedText('locked')).toBe('first');

    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query(`select id from "${schema}".sync_documents where id = $1 for update`, ['locked']);
      client.doc.getText(TEXT).insert(5, ' second');
      await sleep(500); // many commits' worth: the write waits on the lock, so the edit must stay unacknowledged
      expect(acknowledged(client)).toBe(false);
      expect(await storedText('locked')).toBe('first');
      await locker.query('commit');
    } finally {
      await locker.end();
    }
    await eventually(() => acknowledged(client), 'the edit is acknowledged once the lock is released');
    expect(await storedText('locked')).toBe('first second');
  });

  it('keeps every acknowledged update when the server process is SIGKILLed right after acknowledging it', async () => {
    const child = runNode(fixtureScript('yjs-server.mjs'), {
      env: { DATABASE_URL: database.url, DATABASE_SCHEMA: schema },
    });
    await eventually(
      () => child.messages('listening ').length > 0 || child.child.exitCode !== null,
      'the server listens',
      PROCESS_BOUND_MS,
    );
    const [{ port }] = child.messages<{ port: number }>('listening ');
    expect(port).toBeGreaterThan(0);
    const url = `ws://127.0.0.1:${port}`;
    const writers = [await join(url, 'killed'), await join(url, 'killed'), await join(url, 'killed')];
    const sent: string[] = [];
    let killed = false;
    // The server dies in the same turn as the moment every edit is acknowledged, before anything else can run.
    const killWhenAllAcknowledged = (): void => {
      if (killed || !writers.every(acknowledged)) return;
      child.child.kill('SIGKILL');
      killed = true;
    };
    for (const writer of writers) writer.provider.on('unsyncedChanges', killWhenAllAcknowledged);
    for (let round = 0; round < 30; round++)
      writers.forEach((writer, index) => {
        const word = `w${index}r${round};`;
        sent.push(word);
        writer.doc.getText(TEXT).insert(0, word);
      });
    await eventually(() => killed, 'every edit is acknowledged', PROCESS_BOUND_MS);
    expect(await exitOf(child)).toEqual({ code: null, signal: 'SIGKILL' });
    for (const writer of writers) writer.destroy(); // gone: no client is left to send anything again
    const stored = await storedText('killed');
    expect(sent.filter((word) => !stored.includes(word))).toEqual([]);
    expect(stored.length).toBe(sent.join('').length);
  });
});
