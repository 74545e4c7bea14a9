import { eventually } from '../fixtures/eventually.js';
import { startSampleApp, type RunningSampleApp } from '../support/built-package.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { request } from './http-client.js';
import { isChange, openEventStream } from './sse-client.js';
import { listeningSessions } from '../support/sql.js';

let database: TestDatabase;
let instanceA: RunningSampleApp;
let instanceB: RunningSampleApp;

beforeAll(async () => {
  database = await createTestDatabase();
  const env = { STORAGE_DRIVER: 'postgres', DATABASE_URL: database.url, DATABASE_SCHEMA: uniqueName('events') };
  instanceA = await startSampleApp(env);
  instanceB = await startSampleApp({ ...env, STORAGE_MIGRATE: 'false' });
}, 120_000);

afterAll(async () => {
  await Promise.all([instanceA?.stop(), instanceB?.stop()]);
  await database?.drop();
});

const postDelta = (baseUrl: string, documentId: string, id: string, counter: number) =>
  request(baseUrl, 'POST', `/documents/${documentId}/deltas`, {
    json: { id, clientId: 'ann', timestamp: counter, data: { id }, vectorClock: { ann: counter } },
  });

// Two processes of the built app (node sample/sync-app/dist/main.js) on one PostgreSQL schema.
describe('event streams across two instances of the sync app on one database', () => {
  it('sends a delta POSTed to instance A to an event stream on instance B, with its ids, as remote', async () => {
    const stream = await openEventStream(`${instanceB.baseUrl}/documents/notes/events`);
    try {
      // B opens its listening connection on the first subscription; a write before it listens is not heard.
      await eventually(async () => (await listeningSessions(database.url, { idle: true })) === 1, 'instance B listens');
      const batch = await request(instanceA.baseUrl, 'POST', '/documents/notes/deltas/batch', {
        json: {
          deltas: ['n1', 'n2'].map((id, i) => ({
            id,
            clientId: 'ann',
            timestamp: i,
            data: i,
            vectorClock: { ann: i + 1 },
          })),
        },
      });
      expect(batch.body).toEqual({ added: 2 });
      const event = await stream.next(isChange('deltas'), 'the change on instance B');
      expect(JSON.parse(event.data)).toEqual({
        documentId: 'notes',
        kind: 'deltas',
        deltaIds: ['n1', 'n2'],
        version: 1,
        source: 'remote',
      });
    } finally {
      await stream.close();
    }
  });

  it('keeps one listening connection for all the streams of an instance, while streams come and go', async () => {
    const first = await openEventStream(`${instanceB.baseUrl}/documents/first/events`);
    const second = await openEventStream(`${instanceB.baseUrl}/documents/second/events`);
    try {
      // Instance A has no stream: only B listens.
      await eventually(async () => (await listeningSessions(database.url, { idle: true })) === 1, 'instance B listens');
      await first.close();
      // The other stream still hears instance A, through the same connection.
      expect((await postDelta(instanceA.baseUrl, 'second', 's1', 1)).status).toBe(200);
      await second.next(isChange('deltas'), 'the change of the remaining stream');
      expect(await listeningSessions(database.url, { idle: true })).toBe(1);
      // A stream opened after the last one closed finds the connection still there (no new session).
      await second.close();
      const third = await openEventStream(`${instanceB.baseUrl}/documents/third/events`);
      try {
        // The stream starts after the version B read before opening it: A's write right away is sent.
        expect((await postDelta(instanceA.baseUrl, 'third', 't1', 1)).status).toBe(200);
        await third.next(isChange('deltas'), 'the change of the new stream');
        expect(await listeningSessions(database.url, { idle: true })).toBe(1);
      } finally {
        await third.close();
      }
    } finally {
      await first.close();
      await second.close();
    }
  });
});
