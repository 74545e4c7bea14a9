import { STORAGE_PROVIDER, type StorageProvider } from '../../src/index.js';
import { DRIVERS } from '../support/storage-targets.js';
import { httpApps } from './http-apps.js';
import { expectJsonError } from './http-client.js';

/** Every byte value, so that no encoding step can hide a mangled one. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const head = (id: string, counter: number) => ({
  id,
  clientId: 'ann',
  timestamp: counter,
  vectorClock: { ann: counter },
});

const apps = httpApps();

describe.each(DRIVERS)('bytes data over HTTP as base64 (%s driver)', (driver) => {
  const http = apps.forSuite(driver);

  it('gives back the same bytes as dataBase64, and JSON data as data, from GET deltas and GET changes', async () => {
    const bytes = { ...head('bytes', 1), dataBase64: ALL_BYTES.toString('base64') };
    const json = { ...head('json', 2), data: { text: 'AQID', list: [1, 2] } };
    const empty = { ...head('empty', 3), dataBase64: '' };
    expect((await http.request('POST', '/documents/round/deltas', { json: bytes })).body).toEqual({ stored: true });
    expect(
      (await http.request('POST', '/documents/round/deltas/batch', { json: { deltas: [json, empty] } })).body,
    ).toEqual({ added: 2 });
    const page = await http.request('GET', '/documents/round/deltas');
    expect(page.body).toEqual({ deltas: [bytes, json, empty], next: null });
    const changes = await http.request('GET', `/documents/round/changes?since=${encodeURIComponent('{"ann":1}')}`);
    expect(changes.body).toEqual({ snapshot: null, deltas: [json, empty], vectorClock: { ann: 3 } });
  });

  it('stores the decoded bytes, not their base64 text', async () => {
    const delta = { ...head('raw', 1), dataBase64: Buffer.from('hello').toString('base64') };
    await http.request('POST', '/documents/decoded/deltas', { json: delta });
    const [stored] = await http.app.get<StorageProvider>(STORAGE_PROVIDER).documents.getDeltasSince('decoded');
    expect(stored!.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(stored!.data as Uint8Array).toString()).toBe('hello');
  });

  it.each<[string, Record<string, unknown>]>([
    ['both data and dataBase64', { data: 1, dataBase64: 'AQ==' }],
    ['dataBase64 with a character outside base64', { dataBase64: 'AQ*=' }],
    ['dataBase64 without its padding', { dataBase64: 'AQ' }],
    ['dataBase64 in the URL-safe alphabet', { dataBase64: '-_8=' }],
    ['dataBase64 with bits past the last byte', { dataBase64: 'AR==' }],
    ['dataBase64 that is a number', { dataBase64: 12 }],
  ])('answers a delta with %s with 400 naming delta.dataBase64, and stores nothing', async (_case, payload) => {
    const answer = await http.request('POST', '/documents/refused/deltas', { json: { ...head('x', 1), ...payload } });
    expect(expectJsonError(answer, 400)).toMatchObject({ argument: 'delta.dataBase64' });
    expectJsonError(await http.request('GET', '/documents/refused'), 404);
  });

  it('names the delta of a batch whose dataBase64 is not base64, and stores none of the batch', async () => {
    const deltas = [
      { ...head('fine', 1), dataBase64: 'AQ==' },
      { ...head('broken', 2), dataBase64: 'not base64!' },
    ];
    const answer = await http.request('POST', '/documents/refused-batch/deltas/batch', { json: { deltas } });
    expect(expectJsonError(answer, 400)).toMatchObject({ argument: 'deltas[1].dataBase64' });
    expectJsonError(await http.request('GET', '/documents/refused-batch'), 404);
  });
});
