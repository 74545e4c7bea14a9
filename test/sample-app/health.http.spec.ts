import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { STORAGE_PROVIDER } from '../../src/index.js';
import {
  SECRET_DRIVER_TEXT,
  StorageProviderDouble,
  type HealthBehaviour,
} from '../fixtures/storage-provider.double.js';

// AppModule validates the environment when it is imported, so the environment is set first.
for (const name of Object.keys(process.env)) if (/^(STORAGE_|DATABASE_)/.test(name)) delete process.env[name];
process.env.STORAGE_DRIVER = 'memory';
process.env.HEALTH_CHECK_TIMEOUT_MS = '100';
const { AppModule } = await import('../../src/app/app.module.js');

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `${await app.getUrl()}/health`;
}

async function appWithStorage(behaviour: HealthBehaviour): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(STORAGE_PROVIDER)
    .useValue(new StorageProviderDouble(behaviour))
    .compile();
  return moduleRef.createNestApplication({ logger: false });
}

describe('GET /health over HTTP', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers 200 with status ok and the memory storage up', async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    const response = await fetch(await listen(app));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      status: 'ok',
      info: { storage: { status: 'up', driver: 'memory', latencyMs: expect.any(Number) } },
      error: {},
    });
  });

  it.each<[string, HealthBehaviour, RegExp]>([
    ['reports unhealthy', 'unhealthy', /unhealthy/],
    ['rejects', 'rejects', /failed/],
    ['never answers', 'hangs', /timed out/],
  ])('answers 503 with status error and the storage down when the storage %s', async (_case, behaviour, message) => {
    app = await appWithStorage(behaviour);
    const response = await fetch(await listen(app));
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      status: 'error',
      info: {},
      error: { storage: { status: 'down', driver: 'postgres', message: expect.stringMatching(message) } },
    });
    expect(text).not.toContain('password=secret');
    expect(text).not.toContain(SECRET_DRIVER_TEXT);
  });

  it('answers 503 once the storage has been closed under a running app', async () => {
    app = await NestFactory.create(AppModule, { logger: false });
    const url = await listen(app);
    await app.get(STORAGE_PROVIDER).close();
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'error',
      error: { storage: { status: 'down', driver: 'memory' } },
    });
  });
});
