import { connect } from 'node:net';
import { expectJsonError, startHttpApp, type HttpApp } from './http-client.js';

/** A value that must never come back in an answer. */
const SECRET = 'Sup3rS3cret-payload';

/** Writes raw bytes to the app's port and reads until the server closes: for requests Node refuses before Express. */
function rawExchange(baseUrl: string, payload: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(payload));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

/** The status and JSON body of a raw HTTP answer. */
function parseRaw(answer: string): { status: number; type: string | undefined; body: unknown } {
  const [head, body] = answer.split('\r\n\r\n', 2) as [string, string];
  const type = /^content-type: *(.*)$/im.exec(head)?.[1];
  return { status: Number(head.split(' ')[1]), type, body: JSON.parse(body) };
}

/** A delta whose data nests `depth` arrays, written without building the value (it would not fit the stack). */
const nestedDelta = (depth: number): string =>
  `{"id":"deep","clientId":"ann","timestamp":1,"vectorClock":{"ann":1},"data":${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe('requests the sync app refuses before the stores see them', () => {
  let http: HttpApp;

  beforeAll(async () => {
    http = await startHttpApp();
  });
  afterAll(async () => {
    await http.close();
  });

  it('answers a JSON body over the body limit with 413 and a JSON error naming the limit', async () => {
    const answer = await http.request('POST', '/documents/big/deltas', {
      body: `"${'x'.repeat(16 * 1024 * 1024)}"`,
      headers: { 'content-type': 'application/json' },
    });
    expect(expectJsonError(answer, 413).message).toBe('the body is larger than the limit of 16777216 bytes');
  });

  it.each([
    ['a delta sent as text/plain', 'POST', '/documents/d/deltas', 'text/plain', 'application/json'],
    [
      'a compaction sent as a form',
      'POST',
      '/documents/d/compact',
      'application/x-www-form-urlencoded',
      'application/json',
    ],
    ['a snapshot sent as JSON', 'PUT', '/documents/d/snapshot', 'application/json', 'application/octet-stream'],
  ])('answers %s with 415 and a JSON error naming the type it wants', async (_case, method, path, type, wanted) => {
    const answer = await http.request(method, path, {
      body: '{"upTo":{"a":1}}',
      headers: { 'content-type': type, 'x-vector-clock': '{"a":1}' },
    });
    expect(expectJsonError(answer, 415).message).toContain(wanted);
  });

  it('answers request headers larger than Node accepts with 431 and a JSON error, then closes the connection', async () => {
    const answer = await rawExchange(
      http.baseUrl,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Large: ${SECRET}${'a'.repeat(32 * 1024)}\r\n\r\n`,
    );
    expect(parseRaw(answer)).toEqual({
      status: 431,
      type: 'application/json; charset=utf-8',
      body: { statusCode: 431, error: 'Request Header Fields Too Large', message: expect.any(String) },
    });
    expect(answer).not.toContain(SECRET);
  });

  it('answers a request that is not HTTP with 400 and a JSON error', async () => {
    const answer = parseRaw(await rawExchange(http.baseUrl, `${SECRET} \u0001\r\n\r\n`));
    expect(answer).toMatchObject({ status: 400, type: 'application/json; charset=utf-8', body: { statusCode: 400 } });
    expect(JSON.stringify(answer.body)).not.toContain(SECRET);
  });

  it('answers a delta whose data nests 3,000 levels deep with 400 and a JSON error, and stores nothing', async () => {
    const answer = await http.request('POST', '/documents/deep/deltas', {
      body: nestedDelta(3000),
      headers: { 'content-type': 'application/json' },
    });
    expect(expectJsonError(answer, 400).argument).toBe('body');
    expectJsonError(await http.request('GET', '/documents/deep'), 404);
  });

  it('refuses 8 million levels of nesting from the raw bytes, in far less time than parsing them takes', async () => {
    const started = performance.now();
    const answer = await http.request('POST', '/documents/deep/deltas', {
      body: nestedDelta(8_000_000),
      headers: { 'content-type': 'application/json' },
    });
    expectJsonError(answer, 400);
    // JSON.parse alone needs about 2 s per million levels here; the scan needs milliseconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('still stores data nested as deep as MAX_JSON_DEPTH allows', async () => {
    const answer = await http.request('POST', '/documents/deep-enough/deltas', {
      body: nestedDelta(64),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.body).toEqual({ stored: true });
  });

  it.each<[string, string, string, { body?: string; headers?: Record<string, string> }]>([
    ['a body that is not JSON', 'POST', '/documents/d/deltas', { body: `{"id": ${SECRET}` }],
    ['an unknown route', 'GET', `/documents/d/${SECRET}`, {}],
    [
      'a clock key too long to be one',
      'GET',
      `/documents/d/deltas?since=${encodeURIComponent(`{"${SECRET.repeat(20)}":1}`)}`,
      {},
    ],
    [
      'data keys nested deeper than the limit',
      'POST',
      '/documents/d/deltas',
      // One level past the stores' limit, so that the raw scan lets it through and the store's path names the keys.
      {
        body: JSON.stringify({
          id: 'k',
          clientId: 'ann',
          timestamp: 1,
          vectorClock: { ann: 1 },
          data: deepObject(65, SECRET),
        }),
      },
    ],
  ])('answers %s without repeating any of it', async (_case, method, path, options) => {
    const answer = await http.request(method, path, {
      ...options,
      headers: { 'content-type': 'application/json', ...options.headers },
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expectJsonError(answer, answer.status);
    expect(answer.text).not.toContain(SECRET);
  });
});

/** `{ key: { key: ... 1 } }`, `depth` objects deep. */
function deepObject(depth: number, key: string): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = { [key]: value };
  return value;
}
