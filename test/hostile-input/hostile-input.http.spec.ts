import type { NestExpressApplication } from '@nestjs/platform-express';
import { STORAGE_PROVIDER, type StorageProvider } from '../../src/index.js';
import { request } from '../sample-app/http-client.js';
import { startSampleAppInProcess } from '../sample-app/sample-app.js';
import { listenLocally } from '../support/nest-app.js';
import {
  HOSTILE_CASES,
  HOSTILE_LIMITS,
  ROOMS,
  TARGET_DOC,
  seedHostileTarget,
  validDelta,
  type HttpRequest,
} from './hostile-input.cases.js';
import { namesArgument } from './expect-rejection.js';
import { readObservableState } from './observable-state.js';

interface RawRequest {
  method: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

const DOC = `/documents/${TARGET_DOC}`;
const JSON_TYPE = { 'content-type': 'application/json' };
const BYTES_TYPE = { 'content-type': 'application/octet-stream' };
const send = (method: string, path: string, body?: string | Uint8Array, headers?: Record<string, string>) => ({
  method,
  path,
  body,
  headers,
});
const postJson = (path: string, body: string): RawRequest => send('POST', path, body, JSON_TYPE);
const putSnapshot = (body: string | Uint8Array, headers: Record<string, string>): RawRequest =>
  send('PUT', `${DOC}/snapshot`, body, headers);

/** Inputs only HTTP can send: broken JSON, wrong content types, unparsable clocks and paths (400 unless said). */
const HTTP_ONLY: ReadonlyArray<{ input: string; request: RawRequest; status?: 415 }> = [
  { input: 'a JSON body of null', request: postJson(`${DOC}/deltas`, 'null') },
  { input: 'a JSON body that is a string', request: postJson(`${DOC}/deltas`, '"delta"') },
  { input: 'a body that is not JSON', request: postJson(`${DOC}/deltas`, '{"id": "x",') },
  { input: 'a batch whose deltas is not an array', request: postJson(`${DOC}/deltas/batch`, '{"deltas": {"0": 1}}') },
  { input: 'a since that is not JSON', request: send('GET', `${DOC}/deltas?since=%7Ba`) },
  { input: 'a limit that is not a number', request: send('GET', '/documents?limit=ten') },
  { input: 'a fractional limit', request: send('GET', '/documents?limit=1.5') },
  {
    input: 'a snapshot sent as text',
    request: putSnapshot('abc', { 'content-type': 'text/plain', 'x-vector-clock': '{"a":9}' }),
    status: 415,
  },
  {
    input: 'a delta sent as a form',
    request: send('POST', `${DOC}/deltas`, 'id=x&clientId=zed', {
      'content-type': 'application/x-www-form-urlencoded',
    }),
    status: 415,
  },
  {
    input: 'awareness sent as text',
    request: send('PUT', `${DOC}/awareness/x`, '{"state":1,"clock":1}', { 'content-type': 'text/plain' }),
    status: 415,
  },
  { input: 'a limit of 0 on catch-up', request: send('GET', `${DOC}/deltas?limit=0`) },
  { input: 'a limit of 10001 on catch-up', request: send('GET', `${DOC}/deltas?limit=10001`) },
  { input: 'an after no page could have returned', request: send('GET', `${DOC}/deltas?after=not-a-cursor`) },
  { input: 'a snapshot without its clock header', request: putSnapshot(new Uint8Array([1]), BYTES_TYPE) },
  {
    input: 'a snapshot clock header that is not JSON',
    request: putSnapshot(new Uint8Array([1]), { ...BYTES_TYPE, 'x-vector-clock': 'a=1' }),
  },
  {
    input: 'a snapshot clock header that is a number',
    request: putSnapshot(new Uint8Array([1]), { ...BYTES_TYPE, 'x-vector-clock': '7' }),
  },
  { input: 'a compaction body that is an array', request: postJson(`${DOC}/compact`, '[1]') },
  { input: 'an awareness body that is an array', request: send('PUT', `${DOC}/awareness/x`, '[1]', JSON_TYPE) },
  {
    input: 'a delta id holding U+0000 as a JSON escape',
    request: postJson(`${DOC}/deltas`, JSON.stringify(validDelta({ id: 'a\u0000' }))),
  },
  {
    input: 'a clock key __proto__ with a bad counter',
    request: postJson(
      `${DOC}/deltas`,
      '{"id":"p","clientId":"zed","timestamp":1,"data":1,"vectorClock":{"zed":1,"__proto__":-1}}',
    ),
  },
  { input: 'a document id that is invalid percent-encoding', request: send('PUT', '/documents/%E0%A4%A') },
  { input: 'a document id that encodes a lone surrogate', request: send('PUT', '/documents/%ED%A0%80') },
];

function toRawRequest({ method, path, bytes, headers, ...rest }: HttpRequest): RawRequest {
  if (bytes) return send(method, path, bytes, { ...BYTES_TYPE, ...headers });
  if ('json' in rest) return send(method, path, JSON.stringify(rest.json), JSON_TYPE);
  return send(method, path);
}

const OVER_HTTP = HOSTILE_CASES.filter((testCase) => testCase.http).map((testCase) => ({
  ...testCase,
  request: toRawRequest(testCase.http!),
}));

describe('hostile input over HTTP (the sync app on the memory driver)', () => {
  let app: NestExpressApplication;
  let baseUrl: string;
  let provider: StorageProvider;
  let current: unknown;

  beforeAll(async () => {
    app = await startSampleAppInProcess({
      MAX_DELTA_BYTES: String(HOSTILE_LIMITS.maxDeltaBytes),
      MAX_SNAPSHOT_BYTES: String(HOSTILE_LIMITS.maxSnapshotBytes),
      MAX_AWARENESS_BYTES: String(HOSTILE_LIMITS.maxAwarenessBytes),
      AWARENESS_TIMEOUT_MS: '3600000',
    });
    baseUrl = await listenLocally(app);
    provider = app.get<StorageProvider>(STORAGE_PROVIDER);
    await seedHostileTarget(provider);
    current = await readObservableState(provider, ROOMS);
  });
  afterAll(async () => {
    await app?.close();
  });

  const send = ({ method, path, body, headers }: RawRequest) => request(baseUrl, method, path, { body, headers });

  it("carries at least 40 of the store table's bad inputs over HTTP", () => {
    expect(OVER_HTTP.length).toBeGreaterThanOrEqual(40);
  });

  it.each(OVER_HTTP)(
    '$method given $input answers 400 (413 past the body limit) with a JSON error, and writes nothing',
    async (testCase) => {
      const before = current;
      const expected = testCase.http!.status ?? 400;
      const { status, type, body } = await send(testCase.request);
      current = await readObservableState(provider, ROOMS);
      expect({ status, type }).toEqual({ status: expected, type: expect.stringMatching(/^application\/json/) });
      expect(body).toMatchObject({ statusCode: expected, message: expect.any(String) });
      if (expected === 400) expect(namesArgument(String(body!.argument), testCase.argument)).toBe(true);
      expect(current).toEqual(before);
    },
  );

  it.each(HTTP_ONLY)(
    'answers $input with 400 (415 for a wrong type) and a JSON error, never a 500',
    async (testCase) => {
      const before = current;
      const expected = testCase.status ?? 400;
      const { status, type, body } = await send(testCase.request);
      current = await readObservableState(provider, ROOMS);
      expect({ status, type }).toEqual({ status: expected, type: expect.stringMatching(/^application\/json/) });
      expect(body).toMatchObject({ statusCode: expected, message: expect.any(String) });
      expect(current).toEqual(before);
    },
  );
});
