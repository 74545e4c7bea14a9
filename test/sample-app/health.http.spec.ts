import type { NestExpressApplication } from '@nestjs/platform-express';
import { STORAGE_PROVIDER, type StorageProvider } from '../../src/index.js';
import { SECRET_DRIVER_TEXT, StorageProviderDouble } from '../fixtures/storage-provider.double.js';
import { closeAfterEach, listenLocally } from '../support/nest-app.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { occupyOnlyConnection } from '../support/sql.js';
import { startSampleAppInProcess } from './sample-app.js';

/** GET /health: its status and parsed body, and the raw text for secret checks. */
async function getHealth(app: NestExpressApplication): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(`${await listenLocally(app)}/health`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
}

describe('GET /health of the sample app', () => {
  const closed = closeAfterEach();
  let database: TestDatabase | undefined;

  afterAll(async () => {
    await database?.drop();
  });

  it('answers 200 with status ok and the memory storage up', async () => {
    const app = closed(await startSampleAppInProcess());
    expect(await getHealth(app)).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { storage: { status: 'up', driver: 'memory', latencyMs: expect.any(Number) } } },
    });
  });

  it('answers 503 with the storage down once the storage has been closed under a running app', async () => {
    const app = closed(await startSampleAppInProcess());
    await app.get<StorageProvider>(STORAGE_PROVIDER).close();
    expect(await getHealth(app)).toMatchObject({
      status: 503,
      body: { status: 'error', error: { storage: { status: 'down', driver: 'memory' } } },
    });
  });

  it("answers 503 without the driver's error text when the storage's health check fails", async () => {
    const app = closed(
      await startSampleAppInProcess({}, { overrides: [[STORAGE_PROVIDER, new StorageProviderDouble('rejects')]] }),
    );
    const { status, body, text } = await getHealth(app);
    expect({ status, body }).toMatchObject({
      status: 503,
      body: { status: 'error', info: {}, error: { storage: { status: 'down', driver: 'postgres' } } },
    });
    expect(text).not.toContain(SECRET_DRIVER_TEXT);
  });

  it('answers 503 within HEALTH_CHECK_TIMEOUT_MS when the database hangs', async () => {
    database = await createTestDatabase();
    const schema = uniqueName('health_http');
    const app = closed(
      await startSampleAppInProcess({
        STORAGE_DRIVER: 'postgres',
        DATABASE_URL: database.url,
        DATABASE_SCHEMA: schema,
        DATABASE_POOL_MAX: '1',
        HEALTH_CHECK_TIMEOUT_MS: '200',
      }),
    );
    const hang = await occupyOnlyConnection(database.url, schema, app.get<StorageProvider>(STORAGE_PROVIDER).documents);
    try {
      const { status, body, text } = await getHealth(app);
      expect({ status, body }).toMatchObject({
        status: 503,
        body: { status: 'error', error: { storage: { status: 'down', message: expect.stringMatching(/timed out/) } } },
      });
      expect(text).not.toContain(database.password);
    } finally {
      await hang.release();
    }
  });
});
