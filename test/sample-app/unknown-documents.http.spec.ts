import { DRIVERS } from '../support/storage-targets.js';
import { httpApps } from './http-apps.js';
import { expectJsonError } from './http-client.js';
import { openEventStream } from './sse-client.js';

/** Every route that reads a document, as `[method, path under /documents/<id>]`. */
const READS: ReadonlyArray<[string, string]> = [
  ['GET', ''],
  ['GET', '/deltas'],
  ['GET', '/changes'],
  ['GET', '/clock'],
  ['GET', '/snapshot'],
  ['DELETE', ''],
];

const apps = httpApps();

describe.each(DRIVERS)('documents that do not exist, over HTTP (%s driver)', (driver) => {
  const http = apps.forSuite(driver);

  it.each(READS)('answers %s /documents/<unknown>%s with 404 and a JSON error', async (method, path) => {
    expect(expectJsonError(await http.request(method, `/documents/never-written${path}`), 404).message).toBe(
      'the document does not exist',
    );
  });

  it.each(READS.filter(([, path]) => path !== '/snapshot'))(
    'answers %s /documents/<id>%s with 2xx for a document created empty',
    async (method, path) => {
      const id = `empty-${method}${path.replace('/', '-')}`;
      expect((await http.request('PUT', `/documents/${id}`)).status).toBe(200);
      const answer = await http.request(method, `/documents/${id}${path}`);
      expect(answer.status).toBeLessThan(300);
    },
  );

  it('answers GET snapshot of an existing document without one with 404 saying so', async () => {
    await http.request('PUT', '/documents/no-snapshot');
    expect(expectJsonError(await http.request('GET', '/documents/no-snapshot/snapshot'), 404).message).toBe(
      'the document has no snapshot',
    );
  });

  it('answers a bad id with 400, not 404, whether or not the document exists', async () => {
    for (const [method, path] of READS)
      expect(expectJsonError(await http.request(method, `/documents/${'x'.repeat(256)}${path}`), 400)).toMatchObject({
        argument: 'documentId',
      });
  });

  it('creates the document on the writes that create one, without a 404', async () => {
    const delta = { id: 'd', clientId: 'ann', timestamp: 1, data: 1, vectorClock: { ann: 1 } };
    expect((await http.request('POST', '/documents/by-delta/deltas', { json: delta })).status).toBe(200);
    expect((await http.request('POST', '/documents/by-batch/deltas/batch', { json: { deltas: [delta] } })).status).toBe(
      200,
    );
    const snapshot = await http.request('PUT', '/documents/by-snapshot/snapshot', {
      body: new Uint8Array([7]),
      headers: { 'content-type': 'application/octet-stream', 'x-vector-clock': '{}' },
    });
    expect(snapshot.status).toBe(204);
    expect((await http.request('PUT', '/documents/by-put')).status).toBe(200);
    for (const id of ['by-delta', 'by-batch', 'by-snapshot', 'by-put'])
      expect((await http.request('GET', `/documents/${id}`)).status).toBe(200);
  });

  it('serves presence and event streams for a document that does not exist, since neither needs one', async () => {
    const presence = await http.request('GET', '/documents/no-such-room/awareness');
    expect({ status: presence.status, body: presence.body }).toEqual({ status: 200, body: [] });
    const stream = await openEventStream(`${http.baseUrl}/documents/no-such-room/events`);
    try {
      expect({ status: stream.status, type: stream.type }).toEqual({ status: 200, type: 'text/event-stream' });
    } finally {
      await stream.close();
    }
    expectJsonError(await http.request('GET', '/documents/no-such-room'), 404);
  });
});
