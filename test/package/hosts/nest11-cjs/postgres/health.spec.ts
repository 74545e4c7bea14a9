import { INestApplication } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { STORAGE_PROVIDER, StorageModule, type StorageProvider } from 'nest-sync-storage';
import { HealthController } from './health.controller';

/** The app's GET /health; with `healthy` the provider reports that instead of asking the memory driver. */
async function healthApp(healthy?: boolean): Promise<INestApplication> {
  const builder = Test.createTestingModule({
    imports: [StorageModule.forRoot({ driver: 'memory', isGlobal: true }), TerminusModule],
    controllers: [HealthController],
  });
  if (healthy !== undefined) {
    const provider: Partial<StorageProvider> = {
      driver: 'memory',
      close: async () => undefined,
      checkHealth: async () => ({ healthy, driver: 'memory', latencyMs: 1, message: 'storage probe failed' }),
    };
    builder.overrideProvider(STORAGE_PROVIDER).useValue(provider);
  }
  const app = (await builder.compile()).createNestApplication({ logger: false });
  return app.init();
}

// Terminus turns the indicator's returned `down` (it never throws) into a 503.
describe('GET /health through Terminus', () => {
  it('is 200 while the storage is up', async () => {
    const app = await healthApp();
    const response = await request(app.getHttpServer()).get('/health');
    expect(response.status).toBe(200);
    expect(response.body.info).toEqual({ storage: { status: 'up', driver: 'memory', latencyMs: expect.any(Number) } });
    await app.close();
  });

  it('is 503 with the storage down and its message', async () => {
    const app = await healthApp(false);
    const response = await request(app.getHttpServer()).get('/health');
    expect(response.status).toBe(503);
    expect(response.body.error).toEqual({
      storage: { status: 'down', driver: 'memory', message: 'storage probe failed' },
    });
    await app.close();
  });
});
