import { STORAGE_PROVIDER, type StorageProvider } from '../../src/index.js';
import { DRIVERS } from '../support/storage-targets.js';
import { httpApps } from './http-apps.js';
import type { HttpApp } from './http-client.js';

interface WireDelta {
  id: string;
  data?: unknown;
  dataBase64?: string;
}

interface Page {
  deltas: WireDelta[];
  next: string | null;
}

const delta = (id: string, clientId: string, counter: number, data: unknown) => ({
  id,
  clientId,
  timestamp: counter,
  data,
  vectorClock: { [clientId]: counter },
});

/** Follows `next` from the first page until it is null; every page must answer 200. */
async function readAllPages(
  http: HttpApp,
  documentId: string,
  query: string,
): Promise<{ pages: Page[]; texts: string[] }> {
  const pages: Page[] = [];
  const texts: string[] = [];
  let after: string | null = null;
  // A page always holds at least one delta, so the walk cannot take more pages than there are deltas.
  for (let guard = 0; guard <= 2_000; guard++) {
    const cursor: string = after === null ? '' : `&after=${encodeURIComponent(after)}`;
    const answer = await http.request('GET', `/documents/${documentId}/deltas?${query}${cursor}`);
    expect(answer.status).toBe(200);
    pages.push(answer.body as unknown as Page);
    texts.push(answer.text);
    after = pages[pages.length - 1]!.next;
    if (after === null) return { pages, texts };
  }
  throw new Error('paging did not end');
}

const ids = (pages: Page[]): string[] => pages.flatMap((page) => page.deltas.map((item) => item.id));

const apps = httpApps();

describe.each(DRIVERS)('paged catch-up over HTTP (%s driver)', (driver) => {
  const http = apps.forSuite(driver);

  it('pages through every delta the clock has not seen, each once and in storage order, next null on the last page', async () => {
    const deltas = Array.from({ length: 25 }, (_, i) =>
      delta(`p${i}`, i % 2 ? 'ann' : 'bob', Math.floor(i / 2) + 1, i),
    );
    await http.request('POST', '/documents/paged/deltas/batch', { json: { deltas } });
    const since = { ann: 3 };
    const { pages } = await readAllPages(http, 'paged', `since=${encodeURIComponent(JSON.stringify(since))}&limit=4`);
    const expected = await http.app.get<StorageProvider>(STORAGE_PROVIDER).documents.getDeltasSince('paged', since);
    expect(ids(pages)).toEqual(expected.map((item) => item.id));
    expect(pages.map((page) => page.deltas.length)).toEqual([4, 4, 4, 4, 4, 2]);
  });

  it.each(['0', '999999999999999', 'p3'])(
    'answers 400 naming after for a cursor no page returned: %s',
    async (after) => {
      await http.request('POST', '/documents/forged/deltas/batch', { json: { deltas: [delta('f1', 'ann', 1, 1)] } });
      const answer = await http.request('GET', `/documents/forged/deltas?after=${after}&limit=1`);
      expect(answer.status).toBe(400);
      expect(answer.text).toContain('after');
    },
  );

  it('answers at most 1000 deltas on a page when no limit is given', async () => {
    const deltas = Array.from({ length: 1001 }, (_, i) => delta(`m${i}`, 'ann', i + 1, null));
    await http.request('POST', '/documents/many/deltas/batch', { json: { deltas } });
    const { pages } = await readAllPages(http, 'many', '');
    expect(pages.map((page) => page.deltas.length)).toEqual([1000, 1]);
  });
});

describe.each(DRIVERS)('catch-up of a log far larger than one answer (%s driver)', (driver) => {
  const MAX_DELTA_BYTES = 32 * 1024;
  const MAX_RESPONSE_BYTES = 256 * 1024;
  const COUNT = 560;

  it(`reads ${COUNT} deltas near MAX_DELTA_BYTES page by page, each page within the response budget`, async () => {
    const http = await apps.start(driver, {
      MAX_DELTA_BYTES: String(MAX_DELTA_BYTES),
      MAX_RESPONSE_BYTES: String(MAX_RESPONSE_BYTES),
    });
    // Half JSON text, half bytes (base64 makes them a third longer on the way out).
    const large = (i: number) =>
      i % 2
        ? { ...delta(`big${i}`, 'ann', i + 1, undefined), dataBase64: Buffer.alloc(30_000, i).toString('base64') }
        : delta(`big${i}`, 'ann', i + 1, String(i % 10).repeat(30_000));
    for (let from = 0; from < COUNT; from += 20) {
      const deltas = Array.from({ length: 20 }, (_, k) => large(from + k));
      expect((await http.request('POST', '/documents/large/deltas/batch', { json: { deltas } })).body).toEqual({
        added: 20,
      });
    }

    const { pages, texts } = await readAllPages(http, 'large', 'limit=10000');
    expect(ids(pages)).toEqual(Array.from({ length: COUNT }, (_, i) => `big${i}`));
    // The budget counts the deltas; the envelope around them adds a few characters.
    for (const text of texts) expect(text.length).toBeLessThan(MAX_RESPONSE_BYTES + 100);
    const total = texts.reduce((sum, text) => sum + text.length, 0);
    expect(total).toBeGreaterThan(50 * MAX_RESPONSE_BYTES);
    // What comes back is what was sent, text and bytes alike (toEqual ignores the bytes delta's undefined data).
    const all = pages.flatMap((page) => page.deltas);
    expect(all.slice(0, 2)).toEqual([large(0), large(1)]);
  }, 120_000);
});
