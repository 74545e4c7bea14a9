import { Test, type TestingModule } from '@nestjs/testing';
import { STORAGE_PROVIDER, StorageHealthIndicator, StorageModule, type StorageModuleOptions } from '../../src/index.js';
import {
  SECRET_DRIVER_TEXT,
  StorageProviderDouble,
  type HealthBehaviour,
} from '../fixtures/storage-provider.double.js';

const HEALTH_TIMEOUT_MS = 50;

async function indicatorFor(
  behaviour: HealthBehaviour | 'memory',
  options: Partial<StorageModuleOptions> = {},
): Promise<{ moduleRef: TestingModule; indicator: StorageHealthIndicator }> {
  const builder = Test.createTestingModule({
    imports: [StorageModule.forRoot({ driver: 'memory', healthCheckTimeoutMs: HEALTH_TIMEOUT_MS, ...options })],
  });
  if (behaviour !== 'memory') builder.overrideProvider(STORAGE_PROVIDER).useValue(new StorageProviderDouble(behaviour));
  const moduleRef = await builder.compile();
  return { moduleRef, indicator: moduleRef.get(StorageHealthIndicator) };
}

describe('StorageHealthIndicator', () => {
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  describe('on a working memory storage', () => {
    it("reports up under the default key 'storage' with the driver and a latency", async () => {
      let indicator;
      ({ moduleRef, indicator } = await indicatorFor('memory'));
      const result = await indicator.isHealthy();
      expect(Object.keys(result)).toEqual(['storage']);
      expect(result.storage).toEqual({ status: 'up', driver: 'memory', latencyMs: expect.any(Number) });
      expect(result.storage.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('reports up under a key the caller chooses', async () => {
      let indicator;
      ({ moduleRef, indicator } = await indicatorFor('memory'));
      const result = await indicator.isHealthy('sync-store');
      expect(result).toEqual({ 'sync-store': { status: 'up', driver: 'memory', latencyMs: expect.any(Number) } });
    });

    it('reports down once the storage has been closed', async () => {
      let indicator;
      ({ moduleRef, indicator } = await indicatorFor('memory'));
      await moduleRef.close();
      const result = await indicator.isHealthy();
      expect(result.storage).toMatchObject({ status: 'down', driver: 'memory', message: expect.any(String) });
    });
  });

  it("reports the provider's own driver when it is up", async () => {
    let indicator;
    ({ moduleRef, indicator } = await indicatorFor('healthy'));
    expect((await indicator.isHealthy()).storage).toMatchObject({ status: 'up', driver: 'postgres' });
  });

  it.each<[string, HealthBehaviour]>([
    ['checkHealth reports unhealthy', 'unhealthy'],
    ['checkHealth rejects', 'rejects'],
    ['checkHealth throws instead of returning a promise', 'throws'],
  ])('reports down, without throwing, when %s', async (_case, behaviour) => {
    let indicator;
    ({ moduleRef, indicator } = await indicatorFor(behaviour));
    const result = await indicator.isHealthy('db');
    expect(result).toEqual({ db: { status: 'down', driver: 'postgres', message: expect.any(String) } });
  });

  it('reports down with a timeout message when checkHealth never answers', async () => {
    let indicator;
    ({ moduleRef, indicator } = await indicatorFor('hangs'));
    // The double's promise never settles, so only the indicator's own timeout can resolve this.
    const result = await indicator.isHealthy();
    expect(result.storage).toEqual({ status: 'down', driver: 'postgres', message: expect.stringMatching(/timed out/) });
  });

  it('answers every call while checkHealth keeps hanging', async () => {
    let indicator;
    ({ moduleRef, indicator } = await indicatorFor('hangs'));
    const results = await Promise.all([indicator.isHealthy('a'), indicator.isHealthy('b'), indicator.isHealthy('c')]);
    expect(results.map((result) => Object.values(result)[0]!.status)).toEqual(['down', 'down', 'down']);
  });

  it.each<[string, HealthBehaviour]>([
    ['reports unhealthy with it', 'unhealthy'],
    ['rejects with it', 'rejects'],
    ['throws it', 'throws'],
  ])("never repeats the driver's text (a password) in the result when checkHealth %s", async (_case, behaviour) => {
    let indicator;
    ({ moduleRef, indicator } = await indicatorFor(behaviour));
    const shown = JSON.stringify(await indicator.isHealthy());
    expect(shown).not.toContain('password=secret');
    expect(shown).not.toContain('db.internal');
    expect(shown).not.toContain(SECRET_DRIVER_TEXT);
  });
});
