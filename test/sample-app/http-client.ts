import type { NestExpressApplication } from '@nestjs/platform-express';
import { listenLocally } from '../support/nest-app.js';
import { startSampleAppInProcess } from './sample-app.js';

/** What a test reads of an answer: the status, the media type, the parsed JSON body (if it is JSON) and the text. */
export interface Answer {
  status: number;
  type: string | null;
  body: Record<string, unknown> | undefined;
  text: string;
  headers: Headers;
}

export interface RequestOptions {
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as it is, with the headers given. */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** Sends one request to the app at `baseUrl` and reads the whole answer. */
export async function request(
  baseUrl: string,
  method: string,
  path: string,
  { json, body, headers = {} }: RequestOptions = {},
): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: json === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: json === undefined ? body : JSON.stringify(json),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: parsed,
    text,
    headers: response.headers,
  };
}

/** The sample app in this process, listening on a free port, with a `request` bound to it. */
export interface HttpApp {
  readonly app: NestExpressApplication;
  readonly baseUrl: string;
  request(method: string, path: string, options?: RequestOptions): Promise<Answer>;
  close(): Promise<void>;
}

export async function startHttpApp(env: Record<string, string> = {}): Promise<HttpApp> {
  const app = await startSampleAppInProcess(env);
  const baseUrl = await listenLocally(app);
  return {
    app,
    baseUrl,
    request: (method, path, options) => request(baseUrl, method, path, options),
    close: () => app.close(),
  };
}

/** The answer's JSON error, as every error of the app must be: JSON with its status in the body. */
export function expectJsonError(answer: Answer, status: number): Record<string, unknown> {
  expect({ status: answer.status, type: answer.type }).toEqual({
    status,
    type: expect.stringMatching(/^application\/json/),
  });
  expect(answer.body).toMatchObject({ statusCode: status, error: expect.any(String), message: expect.any(String) });
  return answer.body!;
}
