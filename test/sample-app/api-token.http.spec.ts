import { expectJsonError, startHttpApp, type HttpApp } from './http-client.js';
import { openEventStream } from './sse-client.js';

const TOKEN = 'k3y-Of-The-Sync-App-0123456789';

/** One route of each controller, the event stream included. */
const ROUTES: ReadonlyArray<[string, string]> = [
  ['GET', '/documents'],
  ['PUT', '/documents/guarded'],
  ['GET', '/documents/guarded/deltas'],
  ['GET', '/documents/guarded/awareness'],
  ['DELETE', '/connections/c/awareness'],
  ['GET', '/documents/guarded/events'],
];

describe('the sync app with API_TOKEN set', () => {
  let http: HttpApp;

  beforeAll(async () => {
    http = await startHttpApp({ API_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await http.close();
  });

  it.each<[string, Record<string, string>]>([
    ['no Authorization header', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${TOKEN.replace('k', 'K')}` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 16)}` }],
    ['the token with more after it', { authorization: `Bearer ${TOKEN}x` }],
    ['the token under another scheme', { authorization: `Basic ${TOKEN}` }],
    ['the token without a scheme', { authorization: TOKEN }],
  ])('answers every route but /health given %s with 401 and a JSON error', async (_case, headers) => {
    for (const [method, path] of ROUTES) {
      const answer = await http.request(method, path, { headers });
      expectJsonError(answer, 401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(answer.text).not.toContain(TOKEN.slice(0, 16));
    }
  });

  it('serves every route to a request carrying the token, whatever the case of the scheme', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      for (const [method, path] of ROUTES.filter(([, route]) => !route.endsWith('/events'))) {
        const answer = await http.request(method, path, { headers: { authorization: `${scheme} ${TOKEN}` } });
        expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      }
    }
    const stream = await openEventStream(`${http.baseUrl}/documents/guarded/events`, {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(stream.status).toBe(200);
    await stream.close();
  });

  it('answers /health without the token, for probes', async () => {
    expect((await http.request('GET', '/health')).status).toBe(200);
  });

  it('leaves the OpenAPI description open, where the UI can be given the token, described as no JWT', async () => {
    const docs = await http.request('GET', '/docs-json');
    expect(docs.status).toBe(200);
    expect(docs.body).toMatchObject({
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    });
    const { bearer } = (docs.body as { components: { securitySchemes: { bearer: object } } }).components
      .securitySchemes;
    expect(bearer).not.toHaveProperty('bearerFormat');
    expect(docs.text).not.toContain(TOKEN);
  });
});

describe('the sync app without API_TOKEN', () => {
  it('serves every route without an Authorization header', async () => {
    const http = await startHttpApp();
    try {
      for (const [method, path] of ROUTES.filter(([, route]) => !route.endsWith('/events')))
        expect((await http.request(method, path)).status).toBe(200);
    } finally {
      await http.close();
    }
  });
});
