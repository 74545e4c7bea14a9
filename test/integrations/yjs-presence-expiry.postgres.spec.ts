import type { StorageProvider } from '../../src/index.js';
import { eventually } from '../fixtures/eventually.js';
import { fixtureScript } from '../support/built-package.js';
import { exitOf, PROCESS_BOUND_MS, runNode } from '../support/node-process.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { clientSettled, connectClient, startServer, type TestClient, type TestServer } from './support/hocuspocus.js';
import { holdableStorage } from './support/shared-storage.js';

/** Short enough for a test; y-protocols' own expiry of silent clients (30 s) is far past the test's bound. */
const AWARENESS_TIMEOUT_MS = 1500;
const PRESENCE_REFRESH_MS = 300;

describe('presence of a SIGKILLed Hocuspocus server’s clients on PostgreSQL', () => {
  let database: TestDatabase;
  let schema: string;
  let provider: StorageProvider;
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  const join = async (url: string, documentName: string): Promise<TestClient> => {
    const client = connectClient(url, documentName);
    clients.push(client);
    await eventually(() => clientSettled(client), 'the client is synced', PROCESS_BOUND_MS);
    return client;
  };
  const usersSeenBy = ({ provider: seer, doc }: TestClient): string[] =>
    [...seer.awareness!.getStates()]
      .filter(([clientId, state]) => clientId !== doc.clientID && typeof state?.user === 'string')
      .map(([, state]) => state.user as string);

  beforeAll(async () => {
    database = await createTestDatabase();
    schema = uniqueName('presence');
    provider = await database.createProvider({ schema, awarenessTimeoutMs: AWARENESS_TIMEOUT_MS });
  });
  afterAll(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    await database?.drop();
  });

  it('disappears for the clients of the other server once its rows expire', async () => {
    const child = runNode(fixtureScript('yjs-server.mjs'), {
      env: {
        DATABASE_URL: database.url,
        DATABASE_SCHEMA: schema,
        AWARENESS_TIMEOUT_MS: String(AWARENESS_TIMEOUT_MS),
        PRESENCE_REFRESH_MS: String(PRESENCE_REFRESH_MS),
      },
    });
    await eventually(
      () => child.messages('listening ').length > 0 || child.child.exitCode !== null,
      'the server listens',
      PROCESS_BOUND_MS,
    );
    const [{ port }] = child.messages<{ port: number }>('listening ');
    const b = await startServer(
      'B',
      holdableStorage(provider, async () => undefined),
      {
        presenceRefreshMs: PRESENCE_REFRESH_MS,
      },
    );
    servers.push(b);
    const ann = await join(`ws://127.0.0.1:${port}`, 'room');
    const bob = await join(b.url, 'room');
    ann.provider.setAwarenessField('user', 'ann');
    await eventually(() => usersSeenBy(bob).includes('ann'), 'bob on B sees ann on the other server');
    // Longer than a row lives: ann's server keeps refreshing her row, so she stays.
    await new Promise((resolve) => setTimeout(resolve, AWARENESS_TIMEOUT_MS * 2));
    expect(usersSeenBy(bob)).toEqual(['ann']);

    child.child.kill('SIGKILL');
    expect(await exitOf(child)).toEqual({ code: null, signal: 'SIGKILL' });
    await eventually(() => usersSeenBy(bob).length === 0, "ann's presence expires for bob");
    const rows = await provider.awareness.getAll('room');
    expect(rows.map((row) => row.clientId)).not.toContain(String(ann.doc.clientID));
  });
});
