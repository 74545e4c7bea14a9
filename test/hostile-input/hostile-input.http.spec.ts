import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { STORAGE_PROVIDER, type StorageProvider } from '../../src/index.js';
import type { ResolvedStorageOptions } from '../../src/storage/contract/options.js';
import { RESOLVED_STORAGE_OPTIONS } from '../../src/storage/storage.internal-constants.js';
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

// AppModule validates the environment when it is imported, so the environment is set first.
for (const name of Object.keys(process.env))
  if (/^(STORAGE_|DATABASE_|MAX_|AWARENESS_)/.test(name)) delete process.env[name];
Object.assign(process.env, {
  STORAGE_DRIVER: 'memory',
  MAX_DELTA_BYTES: String(HOSTILE_LIMITS.maxDeltaBytes),
  MAX_SNAPSHOT_BYTES: String(HOSTILE_LIMITS.maxSnapshotBytes),
  AWARENESS_TIMEOUT_MS: '3600000',
});
const { AppModule } = await import('../../src/app/app.module.js');
const { configureApp } = await import('../../src/app/configure-app.js');

interface RawRequest {
  method: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** Inputs only HTTP can send: broken JSON, wrong content types, unparsable clocks and paths. */
const HTTP_ONLY: ReadonlyArray<{ input: string; request: RawRequest }> = [
  {
    input: 'a JSON body of null',
    request: {
      method: 'POST',
      path: `/documents/${TARGET_DOC}/deltas`,
      body: 'null',
      headers: { 'content-type': 'application/json' },
    },
  },
  {
    input: 'a JSON body that is a string',
    request: {
      method: 'POST',
      path: `/documents/${TARGET_DOC}/deltas`,
      body: '"delta"',
      headers: { 'content-type': 'application/json' },
    },
  },
  {
    input: 'a body that is not JSON',
    request: {
      method: 'POST',
      path: `/documents/${TARGET_DOC}/deltas`,
      body: '{"id": "x",',
      headers: { 'content-type': 'application/json' },
    },
  },
  {
    input: 'a batch whose deltas is not an array',
    request: {
      method: 'POST',
      path: `/documents/${TARGET_DOC}/deltas/batch`,
      body: '{"deltas": {"0": 1}}',
      headers: { 'content-type': 'application/json' },
    },
  },
  { input: 'a since that is not JSON', request: { method: 'GET', path: `/documents/${TARGET_DOC}/deltas?since=%7Ba` } },
  { input: 'a limit that is not a number', request: { method: 'GET', path: '/documents?limit=ten' } },
  { input: 'a fractional limit', request: { method: 'GET', path: '/documents?limit=1.5' } },
  {
    input: 'a snapshot sent as text',
    request: {
      method: 'PUT',
      path: `/documents/${TARGET_DOC}/snapshot`,
      body: 'abc',
      headers: { 'content-type': 'text/plain', 'x-vector-clock': '{"a":9}' },
    },
  },
  {
    input: 'a snapshot without its clock header',
    request: {
      method: 'PUT',
      path: `/documents/${TARGET_DOC}/snapshot`,
      body: new Uint8Array([1]),
      headers: { 'content-type': 'application/octet-stream' },
    },
  },
  {
    input: 'a snapshot clock header that is not JSON',
    request: {
      method: 'PUT',
      path: `/documents/${TARGET_DOC}/snapshot`,
      body: new Uint8Array([1]),
      headers: { 'content-type': 'application/octet-stream', 'x-vector-clock': 'a=1' },
    },
  },
  {
    input: 'a snapshot clock header that is a number',
    request: {
      method: 'PUT',
      path: `/documents/${TARGET_DOC}/snapshot`,
      body: new Uint8Array([1]),
      headers: { 'content-type': 'application/octet-stream', 'x-vector-clock': '7' },
    },
  },
  {
    input: 'a compaction body that is an array',
    request: {
      method: 'POST',
      path: `/documents/${TARGET_DOC}/compact`,
      body: '[1]',
      headers: { 'content-type': 'application/json' },
    },
  },
  {
    input: 'an awareness body that is an array',
    request: {
      method: 'PUT',
      path: `/documents/${TARGET_DOC}/awareness/x`,
      body: '[1]',
      headers: { 'content-type': 'application/json' },
    },
  },
  {
    input: 'a delta id holding U+0000 as a JSON escape',
    request: {
      method: 'POST',
      path: `/documents/${TARGET_DOC}/deltas`,
      body: JSON.stringify(validDelta({ id: 'a\u0000' })),
      headers: { 'content-type': 'application/json' },
    },
  },
  {
    input: 'a clock key __proto__ with a bad counter',
    request: {
      method: 'POST',
      path: `/documents/${TARGET_DOC}/deltas`,
      body: '{"id":"p","clientId":"zed","timestamp":1,"data":1,"vectorClock":{"zed":1,"__proto__":-1}}',
      headers: { 'content-type': 'application/json' },
    },
  },
  { input: 'a document id that is invalid percent-encoding', request: { method: 'PUT', path: '/documents/%E0%A4%A' } },
  { input: 'a document id that encodes a lone surrogate', request: { method: 'PUT', path: '/documents/%ED%A0%80' } },
];

function toRawRequest(request: HttpRequest): RawRequest {
  if (request.bytes)
    return {
      method: request.method,
      path: request.path,
      body: request.bytes,
      headers: { 'content-type': 'application/octet-stream', ...request.headers },
    };
  if ('json' in request)
    return {
      method: request.method,
      path: request.path,
      body: JSON.stringify(request.json),
      headers: { 'content-type': 'application/json' },
    };
  return { method: request.method, path: request.path };
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
    app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: false });
    configureApp(app, app.get<ResolvedStorageOptions>(RESOLVED_STORAGE_OPTIONS));
    await app.listen(0, '127.0.0.1');
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    provider = app.get<StorageProvider>(STORAGE_PROVIDER);
    await seedHostileTarget(provider);
    current = await readObservableState(provider, ROOMS);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function send(
    request: RawRequest,
  ): Promise<{ status: number; type: string | null; body: Record<string, unknown> | undefined }> {
    const response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    const text = await response.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { status: response.status, type: response.headers.get('content-type'), body };
  }

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

  it.each(HTTP_ONLY)('answers $input with 400 and a JSON error, never a 500', async ({ request }) => {
    const before = current;
    const { status, type, body } = await send(request);
    current = await readObservableState(provider, ROOMS);
    expect({ status, type }).toEqual({ status: 400, type: expect.stringMatching(/^application\/json/) });
    expect(body).toMatchObject({ statusCode: 400, message: expect.anything() });
    expect(current).toEqual(before);
  });
});
