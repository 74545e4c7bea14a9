import type { NestExpressApplication } from '@nestjs/platform-express';
import { STORAGE_PROVIDER, StorageValidationError, type StorageProvider } from '../../src/index.js';
import { InvalidEnvironmentError } from '../../sample/sync-app/src/config/app.config.js';
import { listenLocally } from '../support/nest-app.js';
import { sampleAppModule, startSampleAppInProcess } from './sample-app.js';

describe('AppModule.forRoot configures the storage from the environment', () => {
  let app: NestExpressApplication;
  let storage: StorageProvider;

  beforeAll(async () => {
    app = await startSampleAppInProcess({ AWARENESS_TIMEOUT_MS: '4000', MAX_SNAPSHOT_BYTES: '16' });
    storage = app.get(STORAGE_PROVIDER);
  });

  afterAll(async () => {
    await app.close();
  });

  let baseUrl: Promise<string> | undefined;
  /** The app's URL; it starts listening on first use. */
  const served = (): Promise<string> => (baseUrl ??= listenLocally(app));

  it('uses the memory driver when STORAGE_DRIVER is unset', () => {
    expect(storage.driver).toBe('memory');
  });

  it('gives awareness entries the AWARENESS_TIMEOUT_MS lifetime', async () => {
    const { awareness } = storage;
    await awareness.set('doc', 'client', { cursor: 0 }, 1);
    const entry = (await awareness.get('doc', 'client'))!;
    expect(entry.expiresAt.getTime() - entry.updatedAt.getTime()).toBe(4000);
  });

  it('limits snapshots to MAX_SNAPSHOT_BYTES', async () => {
    const { documents } = storage;
    await expect(documents.saveSnapshot('doc', new Uint8Array(17), { a: 1 })).rejects.toBeInstanceOf(
      StorageValidationError,
    );
    await expect(documents.saveSnapshot('doc', new Uint8Array(16), {})).resolves.toBeUndefined();
  });

  it('describes every route of the HTTP API in OpenAPI at /docs-json, with the UI at /docs', async () => {
    const baseUrl = await served();
    const description = (await (await fetch(`${baseUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(description.paths).sort()).toEqual([
      '/connections/{connectionId}/awareness',
      '/documents',
      '/documents/{documentId}',
      '/documents/{documentId}/awareness',
      '/documents/{documentId}/awareness/{clientId}',
      '/documents/{documentId}/changes',
      '/documents/{documentId}/clock',
      '/documents/{documentId}/compact',
      '/documents/{documentId}/deltas',
      '/documents/{documentId}/deltas/batch',
      '/documents/{documentId}/events',
      '/documents/{documentId}/fork',
      '/documents/{documentId}/snapshot',
      '/documents/{documentId}/versions',
      '/documents/{documentId}/versions/{version}',
      '/health',
    ]);
    expect((await fetch(`${baseUrl}/docs`)).status).toBe(200);
  });

  it('states in OpenAPI the success and error statuses each route answers, 404 on the reads of a document only', async () => {
    const baseUrl = await served();
    const description = (await (await fetch(`${baseUrl}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const statuses = Object.entries(description.paths).flatMap(([path, operations]) =>
      // One [route, its statuses] per operation.
      Object.entries(operations).map(([method, { responses }]): [string, string[]] => [
        `${method.toUpperCase()} ${path}`,
        Object.keys(responses),
      ]),
    );
    for (const [route, codes] of statuses) {
      expect({ route, success: codes.some((code) => /^2\d\d$/.test(code)) }).toEqual({ route, success: true });
      if (route !== 'GET /health')
        expect({ route, codes }).toEqual({ route, codes: expect.arrayContaining(['401', '503']) });
    }
    const with404 = statuses.filter(([, codes]) => codes.includes('404')).map(([route]) => route);
    expect(with404.sort()).toEqual([
      'DELETE /documents/{documentId}',
      'DELETE /documents/{documentId}/awareness/{clientId}',
      'GET /documents/{documentId}',
      'GET /documents/{documentId}/changes',
      'GET /documents/{documentId}/clock',
      'GET /documents/{documentId}/deltas',
      'GET /documents/{documentId}/snapshot',
      'GET /documents/{documentId}/versions',
      'GET /documents/{documentId}/versions/{version}',
      // The source document, or the version to copy.
      'POST /documents/{documentId}/fork',
    ]);
  });

  it('rejects a bad environment before Nest starts, with an error naming the variable', async () => {
    const rejection = sampleAppModule({ STORAGE_DRIVER: 'postgres' });
    await expect(rejection).rejects.toBeInstanceOf(InvalidEnvironmentError);
    await expect(rejection).rejects.toThrow(/DATABASE_URL/);
  });
});
