import { STORAGE_PROVIDER, type StorageProvider } from '../../src/index.js';
import { StorageProviderDouble } from '../fixtures/storage-provider.double.js';
import { listenLocally } from '../support/nest-app.js';
import { DRIVERS } from '../support/storage-targets.js';
import { httpApps } from './http-apps.js';
import { expectJsonError, request, startHttpApp } from './http-client.js';
import { startSampleAppInProcess } from './sample-app.js';

const delta = (id: string, clientId: string, counter: number, data: unknown = { id }) => ({
  id,
  clientId,
  timestamp: counter,
  data,
  vectorClock: { [clientId]: counter },
});

const apps = httpApps();

describe.each(DRIVERS)('storage errors over HTTP (%s driver)', (driver) => {
  const http = apps.forSuite(driver, { MAX_AWARENESS_ENTRIES_PER_DOCUMENT: '2' });

  it('answers a delta that repeats a stored (clientId, counter) under another id with 409 naming both ids, and stores nothing', async () => {
    expect((await http.request('POST', '/documents/dup/deltas', { json: delta('first', 'ann', 1) })).body).toEqual({
      stored: true,
    });
    const conflict = await http.request('POST', '/documents/dup/deltas', { json: delta('second', 'ann', 1) });
    expect(expectJsonError(conflict, 409)).toMatchObject({ deltaId: 'second', existingDeltaId: 'first' });
    const { body } = await http.request('GET', '/documents/dup/deltas');
    expect((body!.deltas as { id: string }[]).map((stored) => stored.id)).toEqual(['first']);
  });

  it('answers a batch whose deltas share one event under two ids with 409, writing none of the batch', async () => {
    const batch = { deltas: [delta('ok', 'bob', 1), delta('b2', 'bob', 2), delta('b2-again', 'bob', 2)] };
    const conflict = await http.request('POST', '/documents/batch-dup/deltas/batch', { json: batch });
    expect(expectJsonError(conflict, 409)).toMatchObject({ deltaId: 'b2-again', existingDeltaId: 'b2' });
    expectJsonError(await http.request('GET', '/documents/batch-dup/deltas'), 404);
  });

  it('answers a new client past MAX_AWARENESS_ENTRIES_PER_DOCUMENT live entries with 429 naming the limit', async () => {
    const set = (client: string, clock: number) =>
      http.request('PUT', `/documents/room/awareness/${client}`, { json: { state: { client }, clock } });
    expect((await set('one', 1)).status).toBe(200);
    expect((await set('two', 1)).status).toBe(200);
    expect(expectJsonError(await set('three', 1), 429)).toMatchObject({ limit: 'maxAwarenessEntriesPerDocument' });
    // A client already present is never refused by the limit.
    expect((await set('two', 2)).body).toEqual({ stored: true });
    const { body } = await http.request('GET', '/documents/room/awareness');
    expect((body as unknown as { clientId: string }[]).map((entry) => entry.clientId)).toEqual(['one', 'two']);
  });

  it('answers a snapshot whose clock does not cover the stored snapshot with 409', async () => {
    const save = (clock: string) =>
      http.request('PUT', '/documents/snap/snapshot', {
        body: new Uint8Array([1, 2]),
        headers: { 'content-type': 'application/octet-stream', 'x-vector-clock': clock },
      });
    const deltas = [1, 2, 3, 4, 5].map((n) => ({
      id: `a${n}`,
      clientId: 'ann',
      timestamp: n,
      data: n,
      vectorClock: { ann: n },
    }));
    expect((await http.request('POST', '/documents/snap/deltas/batch', { json: { deltas } })).status).toBe(200);
    expect((await save('{"ann":5}')).status).toBe(204);
    expectJsonError(await save('{"ann":4}'), 409);
  });

  it('answers a snapshot whose clock claims more than the document stored with 409, storing nothing', async () => {
    const save = (clock: string) =>
      http.request('PUT', '/documents/ahead/snapshot', {
        body: new Uint8Array([1, 2]),
        headers: { 'content-type': 'application/octet-stream', 'x-vector-clock': clock },
      });
    const delta = { id: 'a1', clientId: 'ann', timestamp: 1, data: 1, vectorClock: { ann: 1 } };
    expect((await http.request('POST', '/documents/ahead/deltas', { json: delta })).status).toBe(200);
    const refused = expectJsonError(await save('{"ann":1,"victim":9007199254740991}'), 409);
    expect(refused.message).toContain('runs ahead of the document clock');
    expect((await http.request('GET', '/documents/ahead/snapshot')).status).toBe(404);
    const victim = { id: 'v1', clientId: 'victim', timestamp: 1, data: 1, vectorClock: { victim: 1 } };
    expect((await http.request('POST', '/documents/ahead/deltas', { json: victim })).body).toEqual({ stored: true });
  });
});

describe('failures the client did not cause', () => {
  it('answers 503 with a fixed message once the storage is closed under the running app', async () => {
    const http = await startHttpApp();
    try {
      await http.app.get<StorageProvider>(STORAGE_PROVIDER).close();
      const answer = await http.request('POST', '/documents/gone/deltas', { json: delta('g', 'ann', 1) });
      expect(expectJsonError(answer, 503).message).toBe('storage is unavailable, try again later');
    } finally {
      await http.close();
    }
  });

  it("answers 500 without the error's text when a store fails with an error the app does not know", async () => {
    const app = await startSampleAppInProcess(
      {},
      { overrides: [[STORAGE_PROVIDER, new StorageProviderDouble('rejects')]] },
    );
    try {
      const answer = await request(await listenLocally(app), 'GET', '/documents/any');
      expectJsonError(answer, 500);
      // The double's stores reject with "documents.get is not part of this test".
      expect(answer.text).not.toContain('documents.get');
    } finally {
      await app.close();
    }
  });
});
