import { ServiceUnavailableException, type INestApplication } from '@nestjs/common';
import { HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { STORAGE_PROVIDER, StorageHealthIndicator, StorageModule, type StorageProvider } from '../../src/index.js';
import {
  SECRET_DRIVER_TEXT,
  StorageProviderDouble,
  type BrokenHealthCheck,
} from '../fixtures/storage-provider.double.js';
import { closeAfterEach, startNestApp } from '../support/nest-app.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/postgres.js';
import { occupyOnlyConnection } from '../support/sql.js';

const HEALTH_TIMEOUT_MS = 200;
/** Slack for a loaded machine; a check that waited for the database instead would take seconds. */
const SLACK_MS = 1_500;

/** The real container: StorageModule beside Terminus, as a host app wires `/health`. */
function startHealthApp(
  storage: Parameters<typeof StorageModule.forRoot>[0],
  provider?: StorageProvider,
): Promise<INestApplication> {
  return startNestApp(
    { module: class HealthProbeModule {}, imports: [StorageModule.forRoot(storage), TerminusModule] },
    { overrides: provider ? [[STORAGE_PROVIDER, provider]] : [] },
  );
}

/** Terminus' own verdict on the indicator: its `ok` result, or the body of the 503 it throws. */
async function terminusCheck(app: INestApplication, key?: string): Promise<HealthCheckResult> {
  const indicator = app.get(StorageHealthIndicator);
  try {
    return await app.get(HealthCheckService).check([() => indicator.isHealthy(key)]);
  } catch (error) {
    if (error instanceof ServiceUnavailableException) return error.getResponse() as HealthCheckResult;
    throw error;
  }
}

describe('StorageHealthIndicator through Terminus', () => {
  const closed = closeAfterEach();
  let app: INestApplication | undefined;
  let database: TestDatabase | undefined;

  afterAll(async () => {
    await database?.drop();
  });

  describe('on the memory driver', () => {
    beforeEach(async () => {
      app = closed(await startHealthApp({ driver: 'memory', healthCheckTimeoutMs: HEALTH_TIMEOUT_MS }));
    });

    it("reports up under the key 'storage' with the driver and a latency, and Terminus answers ok", async () => {
      const result = await terminusCheck(app!);
      expect(result).toMatchObject({ status: 'ok', error: {} });
      expect(result.info).toEqual({ storage: { status: 'up', driver: 'memory', latencyMs: expect.any(Number) } });
      expect(result.info!.storage!.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('reports under a key the caller chooses', async () => {
      expect(Object.keys((await terminusCheck(app!, 'sync-store')).details)).toEqual(['sync-store']);
    });

    it("reports down with the provider's own message once the storage is closed, and Terminus answers error", async () => {
      const provider = app!.get<StorageProvider>(STORAGE_PROVIDER);
      await provider.close();
      const { message } = await provider.checkHealth();
      expect(await terminusCheck(app!)).toMatchObject({
        status: 'error',
        info: {},
        error: { storage: { status: 'down', driver: 'memory', message } },
      });
    });
  });

  it.each<[string, BrokenHealthCheck]>([
    ['rejects', 'rejects'],
    ['throws instead of returning a promise', 'throws'],
  ])("reports down with a fixed message, never the provider's error text, when checkHealth %s", async (_case, how) => {
    app = closed(await startHealthApp({ driver: 'memory' }, new StorageProviderDouble(how)));
    const result = await terminusCheck(app);
    expect(result.error).toEqual({ storage: { status: 'down', driver: 'postgres', message: expect.any(String) } });
    const shown = JSON.stringify(result);
    for (const secret of ['password=secret', 'db.internal', SECRET_DRIVER_TEXT]) expect(shown).not.toContain(secret);
  });

  describe('on the postgres driver with one pooled connection', () => {
    const schema = uniqueName('health');

    beforeEach(async () => {
      database ??= await createTestDatabase();
      app = closed(
        await startHealthApp({
          driver: 'postgres',
          clientUrl: database.url,
          schema,
          pool: { max: 1 },
          healthCheckTimeoutMs: HEALTH_TIMEOUT_MS,
        }),
      );
    });

    it('reports up while the database answers', async () => {
      expect((await terminusCheck(app!)).info).toEqual({
        storage: { status: 'up', driver: 'postgres', latencyMs: expect.any(Number) },
      });
    });

    it('reports down within the health check timeout, with no secret, while the database hangs', async () => {
      const hang = await occupyOnlyConnection(
        database!.url,
        schema,
        app!.get<StorageProvider>(STORAGE_PROVIDER).documents,
      );
      try {
        const started = performance.now();
        const results = await Promise.all([terminusCheck(app!), terminusCheck(app!), terminusCheck(app!)]);
        expect(performance.now() - started).toBeLessThan(HEALTH_TIMEOUT_MS + SLACK_MS);
        for (const result of results)
          expect(result.error).toEqual({
            storage: { status: 'down', driver: 'postgres', message: expect.stringMatching(/timed out/) },
          });
        expect(JSON.stringify(results)).not.toContain(database!.password);
      } finally {
        await hang.release();
      }
      expect((await terminusCheck(app!)).status).toBe('ok');
    });
  });
});
